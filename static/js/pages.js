/* groupchat: the small scripts of the ordinary pages (group info, find, create, invitation, management).
 * Every refusal from the API is shown with its human `detail` (in the user's language). */
(function () {
  "use strict";
  const gettext = window.gettext || ((s) => s);
  const { interpolate, api, el, fmtFull, roleBadge, toast, avatar, reportHref, showError } = window.GC;
  const $ = (id) => document.getElementById(id);
  const me = Number(document.body.dataset.userId || 0);

  /** Tiers (with what I lack for each) and categories, from GET /api/v1/tiers/. */
  let tiersPromise = null;
  function loadTiers() {
    tiersPromise = tiersPromise || api("GET", "/api/v1/tiers/");
    return tiersPromise;
  }
  function fillCategories(select, categories) {
    const current = select.dataset.current || "";
    for (const c of categories) select.append(el("option", { value: c.slug, text: c.name, selected: c.slug === current }));
    if (current && !categories.some((c) => c.slug === current)) select.append(el("option", { value: current, text: current, selected: true }));
  }
  function missingText(m) {
    if (m.code === "owner_verification_level") {
      return interpolate(gettext("needs identity verification level L%(need)s (yours: L%(have)s)"), m);
    }
    if (m.code === "credit_insufficient") {
      return interpolate(gettext("your credit grade %(have)s does not allow this class yet"), m);
    }
    return m.code;
  }


  // ---------------------------------------------------------------- group info: join, leave, transfer ---------
  const info = $("group-info");
  if (info) {
    const code = info.dataset.code;
    const joinForm = $("join-form");
    if (joinForm) {
      joinForm.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        showError("#join-error", null);
        const answer = $("join-answer") ? $("join-answer").value : "";
        $("join-btn").disabled = true;
        try {
          const res = await api("POST", `/api/v1/groups/${code}/join/`, { answer });
          if (res.status === "joined") { location.href = "/?g=" + code; return; }
          joinForm.hidden = true;
          $("join-ok").hidden = false;
          $("join-ok").textContent = gettext("Your request has been sent. You will be told when an owner or admin has decided.");
        } catch (e) {
          showError("#join-error", e);
          $("join-btn").disabled = false;
        }
      });
    }
    const leave = $("leave-btn");
    if (leave) {
      leave.addEventListener("click", async () => {
        if (!confirm(gettext("Leave this group?"))) return;
        try { await api("POST", `/api/v1/groups/${code}/leave/`, {}); location.reload(); } catch (e) { showError("#join-error", e); }
      });
    }
    const transfer = $("transfer-form");
    if (transfer) {
      transfer.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        showError("#transfer-error", null);
        try {
          await api("POST", `/api/v1/groups/${code}/transfer/accept/`, { acknowledge_duties: $("transfer-ack").checked });
          location.href = `/g/${code}/manage/`;
        } catch (e) { showError("#transfer-error", e); }
      });
    }
  }

  // ---------------------------------------------------------------- find -------------------------------------
  const findForm = $("find-form");
  if (findForm) {
    const run = async () => {
      const q = $("find-q").value.trim();
      showError("#find-error", null);
      $("find-empty").hidden = true;
      $("find-results").textContent = "";
      if (!q) return;
      history.replaceState(null, "", "/find/?q=" + encodeURIComponent(q));
      try {
        const data = await api("GET", "/api/v1/groups/search/?q=" + encodeURIComponent(q));
        $("find-empty").hidden = data.results.length > 0;
        for (const g of data.results) {
          $("find-results").append(el("li", { class: "result", dataset: { code: g.code } },
            avatar(g.name, g.code),
            el("div", { class: "result-main" },
              el("a", { class: "result-name", href: `/g/${g.code}/`, text: g.name }),
              el("div", { class: "result-sub", text: [interpolate(gettext("Group code %(code)s"), { code: g.code }),
                interpolate(gettext("%(n)s members"), { n: g.member_count }), g.category].filter(Boolean).join(" · ") })),
            el("a", { class: "btn btn-small", href: `/g/${g.code}/`, text: gettext("View") })));
        }
      } catch (e) { showError("#find-error", e); }
    };
    findForm.addEventListener("submit", (ev) => { ev.preventDefault(); run(); });
    if ($("find-q").value.trim()) run();
  }

  // ---------------------------------------------------------------- create -----------------------------------
  const createForm = $("create-form");
  if (createForm) {
    const mode = $("c-join-mode");
    loadTiers().then((data) => {
      fillCategories($("c-category"), data.categories);
      const box = $("c-tiers");
      $("c-tiers-loading").remove();
      let checked = false;
      for (const tier of data.tiers) {
        const ok = !tier.missing.length;
        const notes = [interpolate(gettext("up to %(n)s members"), { n: tier.max_members })];
        if (tier.requires_review) notes.push(gettext("reviewed by the platform before it opens"));
        const input = el("input", { type: "radio", name: "tier", value: tier.slug, disabled: !ok,
          checked: ok && !checked, dataset: { joinModes: tier.join_modes.join(",") } });
        if (ok) checked = true;
        box.append(el("label", { class: "tier" + (ok ? "" : " tier-locked"), dataset: { tier: tier.slug } }, input,
          el("span", { class: "tier-main" }, el("strong", { text: tier.name }), el("span", { class: "hint", text: notes.join(" · ") }),
            ok ? null : el("span", { class: "tier-missing", text: gettext("Not available to you: ") + tier.missing.map(missingText).join("; ") }))));
      }
      syncModes();
    }).catch((e) => showError("#create-error", e));
    // A tier allows only some join modes: offer only those.
    const syncModes = () => {
      const tier = createForm.querySelector("input[name=tier]:checked");
      if (!tier) return;
      const allowed = tier.dataset.joinModes.split(",");
      for (const opt of mode.options) opt.disabled = !allowed.includes(opt.value);
      if (mode.selectedOptions[0].disabled) { mode.value = allowed[0]; syncQuestion(); }
    };
    $("c-tiers").addEventListener("change", syncModes);
    const syncQuestion = () => { $("c-question-row").hidden = mode.value !== "question"; };
    mode.addEventListener("change", syncQuestion);
    syncQuestion();
    createForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      showError("#create-error", null);
      const f = createForm.elements;
      const tier = createForm.querySelector("input[name=tier]:checked");
      const body = { name: f.name.value, category: f.category.value, join_mode: f.join_mode.value,
        tier: tier ? tier.value : "",
        join_question: f.join_question.value, announcement: f.announcement.value, rules: f.rules.value,
        is_public: f.is_public.checked, acknowledge_duties: f.acknowledge_duties.checked };
      $("create-btn").disabled = true;
      try {
        const g = await api("POST", "/api/v1/groups/", body);
        if (g.status === "pending_review") {
          $("create-review").hidden = false;
          $("create-btn").hidden = true;
          return;
        }
        location.href = "/?g=" + g.code;
      } catch (e) {
        showError("#create-error", fieldErrors(e));
        $("create-btn").disabled = false;
      }
    });
  }

  /** A validation refusal lists the fields; say which ones, after the human detail. */
  function fieldErrors(e) {
    const fields = e.data && e.data.fields;
    if (!fields || typeof fields !== "object") return e;
    const parts = Object.entries(fields).map(([k, v]) => `${k}: ${[].concat(v).join(" ")}`);
    return new Error(`${e.message} (${parts.join("; ")})`);
  }

  // ---------------------------------------------------------------- invitation -------------------------------
  const invite = $("invite-page");
  if (invite) {
    const token = invite.dataset.token;
    $("invite-accept").addEventListener("click", async () => {
      showError("#invite-error", null);
      try {
        const res = await api("POST", `/api/v1/invitations/${token}/accept/`, {});
        $("invite-actions").hidden = true;
        $("invite-ok").hidden = false;
        $("invite-ok").textContent = gettext("You have joined the group. Opening the chat…");
        setTimeout(() => { location.href = "/?g=" + res.group; }, 600);
      } catch (e) { showError("#invite-error", e); }
    });
    const decline = $("invite-decline");
    if (decline) {
      decline.addEventListener("click", async () => {
        showError("#invite-error", null);
        try {
          await api("POST", `/api/v1/invitations/${token}/decline/`, {});
          $("invite-actions").hidden = true;
          $("invite-ok").hidden = false;
          $("invite-ok").textContent = gettext("You declined the invitation.");
        } catch (e) { showError("#invite-error", e); }
      });
    }
  }

  // ---------------------------------------------------------------- management -------------------------------
  const manage = $("manage-page");
  if (manage) {
    const code = manage.dataset.code;
    const myRole = manage.dataset.myRole;
    const base = `/api/v1/groups/${code}`;
    const fail = (e) => { showError("#manage-error", e); toast(e.message, "error"); };

    const AUDIT = {
      create: gettext("created the group"), update: gettext("changed the group's texts"), join: gettext("joined"), leave: gettext("left"),
      remove: gettext("removed a member"), ban: gettext("banned a member"), unban: gettext("lifted a ban"), mute: gettext("muted a member"),
      unmute: gettext("unmuted a member"), mute_all: gettext("muted everyone"), unmute_all: gettext("unmuted everyone"),
      approve: gettext("approved a join request"), refuse: gettext("refused a join request"), invite: gettext("invited a user"),
      link: gettext("created an invite link"), delete_message: gettext("deleted a message"), role: gettext("changed a role"),
      transfer: gettext("transferred ownership"), settings: gettext("changed the join settings"), close: gettext("closed the group"),
    };
    const MUTES = [[10, gettext("10 minutes")], [60, gettext("1 hour")], [60 * 24, gettext("1 day")], [60 * 24 * 7, gettext("7 days")],
      [60 * 24 * 30, gettext("30 days")]];

    async function loadRequests() {
      const tbody = $("requests-table").tBodies[0];
      try {
        const data = await fetchLatest("requests", `${base}/requests/`);
        if (!data) return;
        tbody.textContent = "";
        $("requests-table").hidden = !data.results.length;
        $("requests-empty").hidden = !!data.results.length;
        for (const r of data.results) {
          const decide = (approve) => async () => {
            try { await api("POST", `/api/v1/requests/${r.id}/decide/`, { approve }); toast(approve ? gettext("Approved.") : gettext("Refused.")); }
            catch (e) { fail(e); }
            loadRequests(); loadMembers();
          };
          tbody.append(el("tr", { dataset: { request: r.id } },
            el("td", { text: r.user.nickname }), el("td", { class: "pre", text: r.answer || "—" }),
            el("td", { text: fmtFull(r.created_at) }),
            el("td", {}, el("div", { class: "row-actions" },
              el("button", { type: "button", class: "btn btn-small approve-btn", text: gettext("Approve"), onclick: decide(true) }),
              el("button", { type: "button", class: "btn btn-small btn-ghost refuse-btn", text: gettext("Refuse"), onclick: decide(false) })))));
        }
      } catch (e) { showError("#manage-error", e); $("requests-empty").hidden = true; }
    }

    async function act(method, url, body, okText) {
      try { await api(method, url, body); if (okText) toast(okText); } catch (e) { fail(e); }
      loadMembers();
      loadAudit();
    }

    // Each table is reloaded after every action; only the newest answer is drawn (they may arrive out of order).
    const latest = {};
    const fetchLatest = async (key, url) => {
      const n = (latest[key] = (latest[key] || 0) + 1);
      const data = await api("GET", url);
      return n === latest[key] ? data : null;
    };

    async function loadMembers() {
      const tbody = $("members-table").tBodies[0];
      let data;
      try { data = await fetchLatest("members", `${base}/members/`); } catch (e) { showError("#manage-error", e); return; }
      if (!data) return;
      tbody.textContent = "";
      for (const m of data.results) {
        const uid = m.user.id;
        const muted = m.muted_until && Date.parse(m.muted_until) > Date.now();
        const actions = el("div", { class: "row-actions" });
        // Admins cannot act on the owner or on other admins (the API refuses it too).
        if (uid !== me && m.role !== "owner" && !(myRole === "admin" && m.role === "admin")) {
          const sel = el("select", { class: "mute-select", "aria-label": gettext("Mute for") },
            el("option", { value: "", text: gettext("Mute…") }),
            MUTES.map(([v, label]) => el("option", { value: v, text: label })),
            muted ? el("option", { value: "unmute", text: gettext("Unmute") }) : null);
          sel.addEventListener("change", () => {
            if (!sel.value) return;
            const minutes = sel.value === "unmute" ? null : Number(sel.value);
            act("POST", `${base}/members/${uid}/mute/`, { minutes }, minutes ? gettext("Muted.") : gettext("Unmuted."));
          });
          actions.append(sel,
            el("button", { type: "button", class: "btn btn-small btn-ghost remove-btn", text: gettext("Remove"), onclick: () => {
              if (confirm(interpolate(gettext("Remove %(name)s from the group?"), { name: m.user.nickname }))) {
                act("POST", `${base}/members/${uid}/remove/`, { ban: false }, gettext("Removed."));
              }
            } }),
            el("button", { type: "button", class: "btn btn-small btn-danger ban-btn", text: gettext("Ban"), onclick: () => {
              if (confirm(interpolate(gettext("Remove and ban %(name)s? They cannot join again until the ban is lifted."), { name: m.user.nickname }))) {
                act("POST", `${base}/members/${uid}/remove/`, { ban: true }, gettext("Banned."));
              }
            } }));
          if (myRole === "owner") {
            actions.append(m.role === "admin"
              ? el("button", { type: "button", class: "btn btn-small btn-ghost role-btn", text: gettext("Revoke admin"),
                onclick: () => act("POST", `${base}/members/${uid}/role/`, { role: "member" }, gettext("Done.")) })
              : el("button", { type: "button", class: "btn btn-small btn-ghost role-btn", text: gettext("Make admin"),
                onclick: () => {
                  // G9a: whoever manages a group answers for it; the owner confirms the new admin knows the duties.
                  if (confirm(interpolate(gettext("Make %(name)s an admin? Confirm that they have been told an admin's duties: manage the group lawfully, enforce its rules, stop and report unlawful content, and use mute and removal fairly."), { name: m.user.nickname }))) {
                    act("POST", `${base}/members/${uid}/role/`, { role: "admin", acknowledge_duties: true }, gettext("Done."));
                  }
                } }),
            el("button", { type: "button", class: "btn btn-small btn-ghost transfer-btn", text: gettext("Transfer ownership"), onclick: () => {
              if (confirm(interpolate(gettext("Offer the ownership to %(name)s? They become the owner once they accept the owner's duties."), { name: m.user.nickname }))) {
                act("POST", `${base}/transfer/`, { user_id: uid }, gettext("Offer sent; waiting for them to accept."));
              }
            } }));
          }
        }
        actions.append(el("a", { class: "report-link", href: reportHref("user", uid), text: gettext("Report") }));
        tbody.append(el("tr", { dataset: { userId: uid, role: m.role } },
          el("td", {}, el("span", { class: "people" }, avatar(m.user.nickname, uid), " ", m.user.nickname, " ", roleBadge(m.role))),
          el("td", { text: fmtFull(m.joined_at) }),
          el("td", { text: muted ? fmtFull(m.muted_until) : "—" }),
          el("td", {}, actions)));
      }
    }

    async function loadAudit() {
      const tbody = $("audit-table").tBodies[0];
      try {
        const data = await fetchLatest("audit", `${base}/audit/`);
        if (!data) return;
        tbody.textContent = "";
        for (const e of data.results) {
          const details = Object.entries(e.data || {}).filter(([k, v]) => k !== "message_id" && v !== null && v !== "")
            .map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`).join(", ");
          tbody.append(el("tr", { dataset: { action: e.action } }, el("td", { text: fmtFull(e.created_at) }),
            el("td", { text: e.actor || "—" }), el("td", { text: AUDIT[e.action] || e.action }),
            el("td", { text: e.target || "—" }), el("td", { class: "pre", text: details })));
        }
      } catch (e) { showError("#audit-error", e); }
    }

    $("mute-all").addEventListener("change", async (ev) => {
      try {
        const res = await api("POST", `${base}/mute-all/`, { muted: ev.target.checked });
        ev.target.checked = res.all_muted;
        toast(res.all_muted ? gettext("Everyone is muted.") : gettext("Everyone may post again."));
        loadAudit();
      } catch (e) { ev.target.checked = !ev.target.checked; fail(e); }
    });

    $("settings-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      showError("#settings-error", null);
      $("settings-ok").hidden = true;
      const f = ev.target.elements;
      try {
        const g = await api("PATCH", `${base}/`, { name: f.name.value, category: f.category.value,
          join_mode: f.join_mode.value, join_question: f.join_question.value, is_public: f.is_public.checked,
          announcement: f.announcement.value, rules: f.rules.value });
        $("m-title").textContent = g.name;
        $("settings-ok").hidden = false;
        loadAudit();
      } catch (e) { showError("#settings-error", fieldErrors(e)); }
    });

    $("invite-create").addEventListener("click", async () => {
      showError("#invite-error", null);
      try {
        const res = await api("POST", `${base}/invitations/`, {});
        $("invite-result").hidden = false;
        $("invite-link").textContent = location.origin + res.link;
        $("invite-expires").textContent = fmtFull(res.expires_at);
        loadAudit();
      } catch (e) { showError("#invite-error", e); }
    });

    const close = $("close-group");
    if (close) {
      close.addEventListener("click", async () => {
        if (!confirm(gettext("Close this group for good? Nobody will be able to post any more."))) return;
        try { await api("POST", `${base}/close/`, {}); location.href = `/g/${code}/`; } catch (e) { fail(e); }
      });
    }

    loadTiers().then((data) => fillCategories($("s-category"), data.categories)).catch(() => {});
    loadRequests();
    loadMembers();
    loadAudit();
  }
})();
