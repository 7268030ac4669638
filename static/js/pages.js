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
  /** My credit (for the largest class my grade may own), from GET /api/v1/me/credit/; null when unavailable. */
  let creditPromise = null;
  function loadCredit() {
    creditPromise = creditPromise || api("GET", "/api/v1/me/credit/").catch(() => null);
    return creditPromise;
  }
  const GRADES = "ABCD"; // A best
  /** One missing qualification, in words that say exactly what is needed and what I have. ``ctx``: names of the
   * tiers by slug and my credit (``allows.max_owned_tier``). */
  function missingText(m, ctx) {
    if (m.code === "owner_verification_level") {
      return interpolate(gettext("needs identity verification level L%(need)s (yours: L%(have)s)"), m);
    }
    if (m.code === "credit_insufficient") {
      if (GRADES.indexOf(m.need) < GRADES.indexOf(m.have)) {
        return interpolate(gettext("needs credit grade %(need)s or better (yours: %(have)s)"), m);
      }
      // The grade meets the class's minimum, but the grade's own ceiling (largest class owned) is lower.
      const slug = ctx && ctx.credit && ctx.credit.allows ? ctx.credit.allows.max_owned_tier : null;
      const tier = slug && ctx.names ? ctx.names[slug] : "";
      return tier
        ? interpolate(gettext("needs a credit grade better than %(have)s (grade %(have)s may own groups up to the %(tier)s class)"), { have: m.have, tier })
        : interpolate(gettext("needs a credit grade better than %(have)s"), m);
    }
    return m.code;
  }
  const FIX = {
    owner_verification_level: ["/me/identity/", () => gettext("Verify your identity")],
    credit_insufficient: ["/me/credit/", () => gettext("My credit")],
  };
  /** The missing items as nodes: each text, then a link to where it can be fixed. */
  function missingNodes(list, ctx) {
    const out = [];
    list.forEach((m, i) => {
      if (i) out.push(gettext("; "));
      out.push(el("span", { class: "missing-item", dataset: { code: m.code }, text: missingText(m, ctx) }));
      if (FIX[m.code]) out.push(" ", el("a", { class: "fix-link", href: FIX[m.code][0], text: FIX[m.code][1]() }));
    });
    return out;
  }
  /** A refusal from the API; when it lists what is missing (tier qualification), every item is shown with its fix. */
  function showRefusal(target, e, ctx) {
    showError(target, e);
    const missing = e && e.data && Array.isArray(e.data.missing) ? e.data.missing : [];
    const box = document.querySelector(target);
    if (box && missing.length) {
      box.append(el("span", { class: "refusal-missing" }, " ", gettext("What is missing: "), missingNodes(missing, ctx)));
    }
  }
  const tierNames = (data) => Object.fromEntries(data.tiers.map((t) => [t.slug, t.name]));

  const APPLICATION_STATUS = { pending: () => gettext("waiting for review"), approved: () => gettext("approved"),
    refused: () => gettext("refused") };
  /** One of my group applications (a new reviewed group, or the upgrade of a group). */
  function applicationItem(a, names) {
    const tier = names[a.tier] || a.tier;
    const what = a.is_upgrade
      ? interpolate(gettext("Group %(code)s into the %(tier)s class"), { code: a.group, tier })
      : interpolate(gettext("New group “%(name)s” (%(tier)s)"), { name: a.name, tier });
    const status = APPLICATION_STATUS[a.status] ? APPLICATION_STATUS[a.status]() : a.status;
    return el("li", { class: "application", dataset: { application: a.id, status: a.status, tier: a.tier } },
      el("strong", { class: "application-what", text: what }), " ",
      el("span", { class: "badge app-status app-" + a.status, text: status }), " ",
      el("span", { class: "muted", text: fmtFull(a.created_at) }),
      a.status === "refused" && a.reason ? el("div", { class: "muted", text: interpolate(gettext("Reason: %(reason)s"), a) }) : null,
      a.status === "approved" && a.group && !a.is_upgrade ? el("a", { href: "/?g=" + a.group, text: " " + gettext("Open the chat") }) : null);
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
    const ctx = { names: {}, credit: null };
    Promise.all([loadTiers(), loadCredit()]).then(([data, credit]) => {
      ctx.names = tierNames(data);
      ctx.credit = credit;
      fillCategories($("c-category"), data.categories);
      const box = $("c-tiers");
      $("c-tiers-loading").remove();
      let checked = false;
      for (const tier of data.tiers) {
        const ok = !tier.missing.length;
        const notes = [interpolate(gettext("up to %(n)s members"), { n: tier.max_members })];
        if (tier.requires_review) notes.push(gettext("reviewed by the platform before it opens"));
        const input = el("input", { type: "radio", name: "tier", value: tier.slug, disabled: !ok,
          checked: ok && !checked, dataset: { joinModes: tier.join_modes.join(","), review: tier.requires_review ? "1" : "" } });
        if (ok) checked = true;
        box.append(el("label", { class: "tier" + (ok ? "" : " tier-locked"), dataset: { tier: tier.slug } }, input,
          el("span", { class: "tier-main" }, el("strong", { text: tier.name }), el("span", { class: "hint", text: notes.join(" · ") }),
            ok ? null : el("span", { class: "tier-missing" }, gettext("Not available to you: "), missingNodes(tier.missing, ctx)))));
      }
      syncModes();
    }).catch((e) => showError("#create-error", e));
    // My applications waiting for (or decided by) the platform's review.
    const loadApplications = async () => {
      try {
        const [data, tiersData] = await Promise.all([api("GET", "/api/v1/applications/"), loadTiers()]);
        const list = $("c-applications-list");
        list.textContent = "";
        for (const a of data.results.slice(0, 10)) list.append(applicationItem(a, tierNames(tiersData)));
        $("c-applications").hidden = !data.results.length;
      } catch (e) { /* the form still works without the list */ }
    };
    loadApplications();
    // A tier allows only some join modes: offer only those. A reviewed tier says so, and the button says "submit".
    const syncModes = () => {
      const tier = createForm.querySelector("input[name=tier]:checked");
      if (!tier) return;
      const review = !!tier.dataset.review;
      $("c-review-note").hidden = !review;
      $("create-btn").textContent = review ? $("create-btn").dataset.review : $("create-btn").dataset.create;
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
          loadApplications();
          return;
        }
        location.href = "/?g=" + g.code;
      } catch (e) {
        showRefusal("#create-error", fieldErrors(e), ctx);
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

    // ---- group class (tier): current class, activity and size bands, history; the owner may grow the group.
    const BANDS = { quiet: () => gettext("quiet"), active: () => gettext("active"), busy: () => gettext("busy") };
    const REASONS = { create: () => gettext("group created"), upgrade: () => gettext("grown by the owner"),
      review: () => gettext("approved by the platform's review"), size: () => gettext("moved up by its member count (daily review)"),
      policy: () => gettext("the platform changed the classes") };
    const tierCtx = { names: {}, credit: null };

    let tierSeq = 0; // only the newest load draws the class options (loads may finish out of order)
    async function loadTier() {
      const seq = ++tierSeq;
      let info, data;
      try {
        [info, data] = await Promise.all([fetchLatest("tier", `${base}/tier/`), loadTiers()]);
      } catch (e) { showError("#tier-error", e); return; }
      if (!info) return;
      const names = (tierCtx.names = tierNames(data));
      const byslug = Object.fromEntries(data.tiers.map((t) => [t.slug, t]));
      const current = byslug[info.tier];
      $("tier-current").textContent = current
        ? `${current.name} · ${interpolate(gettext("up to %(n)s members"), { n: current.max_members })}` : "—";
      $("tier-current").dataset.tier = info.tier || "";
      $("tier-activity").textContent = `${BANDS[info.activity_band] ? BANDS[info.activity_band]() : info.activity_band} · ` +
        interpolate(gettext("%(n)s messages a day (30-day average)"), { n: (info.activity_avg || 0).toFixed(1) });
      $("tier-activity").dataset.band = info.activity_band;
      $("tier-size").textContent = interpolate(gettext("%(n)s members"), { n: manage.dataset.memberCount }) +
        (info.size_band ? " · " + interpolate(gettext("size band: %(tier)s"), { tier: names[info.size_band] || info.size_band }) : "");
      const tbody = $("tier-history").tBodies[0];
      tbody.textContent = "";
      for (const c of info.changes) {
        const change = c.from ? `${names[c.from] || c.from} → ${names[c.to] || c.to}` : `→ ${names[c.to] || c.to}`;
        tbody.append(el("tr", { dataset: { reason: c.reason, to: c.to } }, el("td", { text: fmtFull(c.created_at) }),
          el("td", { text: change }), el("td", { text: REASONS[c.reason] ? REASONS[c.reason]() : c.reason })));
      }
      $("tier-history").hidden = !info.changes.length;
      $("tier-history-empty").hidden = !!info.changes.length;
      if ($("tier-grow")) loadTierOptions(data, info, seq);
    }

    async function loadTierOptions(data, info, seq) {
      const [apps, credit] = await Promise.all([api("GET", "/api/v1/applications/").catch(() => ({ results: [] })), loadCredit()]);
      if (seq !== tierSeq) return;
      tierCtx.credit = credit;
      const waiting = apps.results.filter((a) => a.is_upgrade && a.group === code && a.status === "pending");
      const at = data.tiers.findIndex((t) => t.slug === info.tier);
      const higher = data.tiers.slice(at + 1);
      const list = $("tier-options");
      list.textContent = "";
      for (const t of higher) {
        const ok = !t.missing.length;
        const pendingHere = waiting.some((a) => a.tier === t.slug);
        const notes = [interpolate(gettext("up to %(n)s members"), { n: t.max_members })];
        if (t.requires_review) notes.push(gettext("the platform reviews the change first"));
        const btn = el("button", { type: "button", class: "btn btn-small tier-grow-btn", disabled: !ok || pendingHere,
          text: t.requires_review ? interpolate(gettext("Apply for %(tier)s"), { tier: t.name })
            : interpolate(gettext("Grow into %(tier)s"), { tier: t.name }) });
        btn.addEventListener("click", () => growInto(t, btn));
        list.append(el("li", { class: "tier-option" + (ok ? "" : " tier-locked"), dataset: { tier: t.slug } },
          el("div", { class: "tier-main" }, el("strong", { text: t.name }), el("span", { class: "hint", text: notes.join(" · ") }),
            ok ? null : el("span", { class: "tier-missing" }, gettext("Not available to you: "), missingNodes(t.missing, tierCtx)),
            pendingHere ? el("span", { class: "hint tier-waiting", text: gettext("Your application is waiting for the platform's review.") }) : null),
          btn));
      }
      $("tier-top").hidden = higher.length > 0;
      $("tier-pending-list").textContent = "";
      for (const a of waiting) $("tier-pending-list").append(applicationItem(a, tierCtx.names));
      $("tier-pending").hidden = !waiting.length;
    }

    async function growInto(t, btn) {
      showError("#tier-error", null);
      $("tier-ok").hidden = true;
      btn.disabled = true;
      try {
        const res = await api("POST", `${base}/tier/`, { tier: t.slug });
        $("tier-ok").textContent = res.status === "pending_review"
          ? interpolate(gettext("Submitted for the platform's review: the group grows into %(tier)s once approved; you will be told the outcome."), { tier: t.name })
          : interpolate(gettext("The group is now in the %(tier)s class."), { tier: t.name });
        $("tier-ok").hidden = false;
        $("tier-ok").dataset.status = res.status;
      } catch (e) {
        showRefusal("#tier-error", e, tierCtx);
        btn.disabled = false;
      }
      loadTier();
      loadAudit();
    }

    loadTiers().then((data) => fillCategories($("s-category"), data.categories)).catch(() => {});
    loadRequests();
    loadMembers();
    loadTier();
    loadAudit();
  }
})();
