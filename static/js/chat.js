/* groupchat: the live chat client.
 *
 * One WebSocket per tab at /ws/ (DESIGN §4), multiplexed over all my groups. For every group the client keeps the
 * highest contiguous seq it has seen (`lastSeq`); on every (re)connect it sends `resume {cursors}` and on a gap in
 * seq it asks for that group again, so nothing is lost even though live delivery is at-most-once. Messages are
 * kept per group in a Map keyed by seq, so a replayed or repeated frame never shows twice.
 * Sends are optimistic: a pending bubble (client_id = crypto.randomUUID()) until the `ack`; an `error` frame with
 * that client_id marks it failed with the server's human `detail` and a retry button (same client_id: idempotent),
 * except `unavailable` (the database briefly unreachable), which the client retries by itself after `retry_after`.
 * A `held` frame (content screening kept it for a moderator) marks it "waiting for review": only its sender sees it.
 * Released, it arrives as an ordinary message (same client_id) and the bubble resolves; removed, the sender gets a
 * `notice`, and the client asks again with the same client_id to learn which (`held_removed` marks it failed).
 */
(function () {
  "use strict";
  const gettext = window.gettext || ((s) => s);
  const { interpolate, api, el, fmtTime, fmtFull, fmtDay, isoDayKey, roleBadge, toast, avatar, reportHref, uuid } = window.GC;

  const $ = (id) => document.getElementById(id);
  const root = $("chat");
  const me = { id: Number(document.body.dataset.userId), nickname: document.body.dataset.nickname };
  const groups = new Map(); // code -> group state
  const pending = new Map(); // client_id -> {cid, group, body, status: sending|held|review|failed, detail, sentAt}
  // Unsent messages survive a reload or a trip to fix a refusal (identity, agreements): kept in this tab's
  // sessionStorage and sent again, with the same client_id, once the socket is back (the server stores one copy).
  const PENDING_KEY = `groupchat.pending.${me.id}`;
  function savePending() {
    try {
      sessionStorage.setItem(PENDING_KEY, JSON.stringify([...pending.values()].map(({ cid, group, body }) => ({ cid, group, body }))));
    } catch (e) { /* storage full or disabled: the in-memory copy still retries */ }
  }
  try {
    for (const p of JSON.parse(sessionStorage.getItem(PENDING_KEY) || "[]")) {
      pending.set(p.cid, { ...p, status: "sending", detail: "", sentAt: Date.now() });
    }
  } catch (e) { sessionStorage.removeItem(PENDING_KEY); }
  let current = null;
  let ws = null;
  let attempt = 0;
  let reconnectTimer = null;
  let lastFrameAt = 0;
  let groupsLoaded = false;

  const ui = {
    list: $("group-list"), empty: $("empty-groups"), conn: $("conn"), pane: $("pane-inner"),
    placeholder: $("pane-placeholder"), name: $("pane-name"), code: $("pane-code"), count: $("pane-count"),
    info: $("pane-info"), manage: $("pane-manage"), status: $("pane-status"), transfer: $("pane-transfer"),
    notices: $("pane-notices"),
    announcement: $("pane-announcement"), scroller: $("messages"), messages: $("message-list"),
    history: $("history-state"), typing: $("typing"), composer: $("composer"), input: $("composer-input"),
    members: $("members"), memberList: $("member-list"), membersCount: $("members-count"),
    rulesDialog: $("rules-dialog"), rulesText: $("rules-text"), rulesError: $("rules-error"),
  };

  function groupState(code) {
    let g = groups.get(code);
    if (!g) {
      g = { code, name: code, role: "member", unread: 0, last_message: null, member_count: 0, lastSeq: 0, readSeq: 0,
        ahead: new Set(), resumeInFlight: false, messages: new Map(), loaded: false, loading: null, oldest: null,
        hasMore: true, loadingOlder: false, info: null, members: null, status: "open", all_muted: false };
      groups.set(code, g);
    }
    return g;
  }

  // ---------------------------------------------------------------- connection state --------------------------
  function setConn(state, text) {
    ui.conn.dataset.state = state;
    ui.conn.querySelector(".conn-text").textContent = text || {
      online: gettext("Online"), connecting: gettext("Connecting…"), offline: gettext("Offline"),
    }[state];
  }

  function wsSend(frame) {
    if (ws && ws.readyState === WebSocket.OPEN && ws.helloSeen) {
      ws.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  function connect() {
    clearTimeout(reconnectTimer);
    reconnectTimer = null;
    if (ws && (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING)) return;
    setConn("connecting");
    const sock = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/");
    ws = sock;
    sock.helloSeen = false;
    sock.onmessage = (ev) => {
      lastFrameAt = Date.now();
      let frame;
      try { frame = JSON.parse(ev.data); } catch (e) { return; }
      handleFrame(frame, sock);
    };
    sock.onclose = (ev) => {
      if (ws !== sock) return;
      ws = null;
      if (ev.code === 4401) { location.href = "/login/?next=" + encodeURIComponent(location.pathname + location.search); return; }
      // 4403: a platform measure (forced offline, blacklist) closed it; its notice said why. No automatic reconnect.
      if (ev.code === 4403) { setConn("offline"); return; }
      scheduleReconnect();
    };
    sock.onerror = () => { /* onclose follows */ };
  }

  /** Exponential back-off with jitter: base 0.5 s, 1 s, 2 s ... capped at 30 s; each wait drawn in [base/2, base],
   * so many clients dropped together do not come back in step. */
  function scheduleReconnect() {
    if (reconnectTimer) return;
    const base = Math.min(30000, 500 * 2 ** attempt);
    const delay = Math.round(base / 2 + Math.random() * base / 2);
    attempt += 1;
    setConn("offline", interpolate(gettext("Offline — reconnecting in %(s)s s"), { s: Math.max(1, Math.round(delay / 1000)) }));
    reconnectTimer = setTimeout(connect, delay);
  }

  window.addEventListener("online", () => { attempt = 0; if (!ws) connect(); });
  setInterval(() => {
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    if (Date.now() - lastFrameAt > 60000) { ws.close(); return; } // silent for too long: start over
    if (Date.now() - lastFrameAt > 25000) ws.send(JSON.stringify({ type: "ping" }));
  }, 5000);

  /** Ask the server to replay each group from my last contiguous seq (on every (re)connect, and on a gap). */
  function sendResume(codes) {
    const cursors = {};
    for (const code of codes) {
      const g = groups.get(code);
      if (g) cursors[code] = g.lastSeq;
    }
    if (!Object.keys(cursors).length || !wsSend({ type: "resume", cursors })) return;
    for (const code of Object.keys(cursors)) groups.get(code).resumeInFlight = true;
  }

  // ---------------------------------------------------------------- frames ------------------------------------
  function handleFrame(f, sock) {
    switch (f.type) {
      case "hello": {
        sock.helloSeen = true;
        attempt = 0;
        setConn("online");
        const unknown = (f.groups || []).some((c) => !groups.has(c));
        const ready = unknown || !groupsLoaded ? loadGroups() : Promise.resolve();
        ready.then(() => {
          sendResume([...groups.keys()]);
          for (const p of pending.values()) if (p.status === "sending") transmit(p);
          recheckReview();
        });
        break;
      }
      case "message": onMessage(f.group, f.message); break;
      case "messages": for (const m of f.messages || []) onMessage(f.group, m); break;
      case "ack": {
        resolvePending(f.client_id);
        if (f.message) onMessage(f.message.group, f.message);
        break;
      }
      case "resumed": {
        const g = groups.get(f.group);
        if (g) {
          g.resumeInFlight = false;
          // Still a hole below what arrived live: ask again (a few times at most; the next reconnect retries).
          g.resumeRetries = g.ahead.size ? (g.resumeRetries || 0) + 1 : 0;
          if (g.ahead.size && g.resumeRetries <= 3) sendResume([g.code]);
        }
        break;
      }
      case "message_removed": onRemoved(f.group, f.seq, f.message_id); break;
      case "group": onGroupUpdated(f.group); break;
      case "group_status": onGroupStatus(f); break;
      case "membership": onMembership(f); break;
      case "typing": onTyping(f); break;
      case "notice":
        toast(f.text, f.level === "error" || f.level === "warning" ? "error" : "info");
        recheckReview();
        if (f.measure && current && groups.get(current)) loadInfo(groups.get(current)); // a measure: banners anew
        break;
      case "held": onHeld(f); break;
      case "error": onError(f); break;
      default: break; // pong and future frames
    }
  }

  function onMessage(code, m) {
    if (!code || !m) return;
    if (!groups.has(code)) { loadGroups(); return; }
    const g = groups.get(code);
    if (m.sender && m.sender.id === me.id && m.client_id && pending.has(m.client_id)) resolvePending(m.client_id);
    const known = g.messages.get(m.seq);
    if (known) {
      if (!known.removed && m.removed) { g.messages.set(m.seq, m); if (current === code) renderMessageNode(m); }
      return;
    }
    if (m.seq <= g.lastSeq) {
      // Already accounted for; keep it only if it belongs in the window this client shows.
      if (g.loaded && g.oldest !== null && m.seq > g.oldest) { g.messages.set(m.seq, m); if (current === code) renderMessageNode(m); }
      return;
    }
    g.messages.set(m.seq, m);
    g.ahead.add(m.seq);
    while (g.ahead.has(g.lastSeq + 1)) { g.lastSeq += 1; g.ahead.delete(g.lastSeq); }
    if (g.ahead.size && !g.resumeInFlight) sendResume([code]); // a gap in seq: replay from the database
    if (!g.last_message || m.seq >= g.last_message.seq) {
      g.last_message = { seq: m.seq, sender: m.sender.nickname, body: m.body, removed: m.removed, created_at: m.created_at };
    }
    const mine = m.sender && m.sender.id === me.id;
    const watching = current === code && document.visibilityState === "visible";
    if (!mine && !watching && m.seq > g.readSeq) g.unread += 1;
    if (current === code) {
      const stick = nearBottom() || mine;
      renderMessageNode(m);
      if (!g.hasMore) ui.history.textContent = historyNote(g);
      if (stick) scrollToBottom();
      else $("jump-btn").hidden = false;
      markRead();
    }
    renderGroupItem(g, true);
    updateTitle();
  }

  function onRemoved(code, seq, id) {
    const g = groups.get(code);
    if (!g) return;
    let m = g.messages.get(seq);
    if (!m) for (const x of g.messages.values()) if (x.id === id) m = x;
    if (m) {
      m.removed = true;
      m.body = "";
      if (current === code) renderMessageNode(m);
    }
    if (g.last_message && g.last_message.seq === seq) { g.last_message.removed = true; g.last_message.body = ""; renderGroupItem(g); }
  }

  function onGroupUpdated(p) {
    const g = groups.get(p.code);
    if (!g) return;
    Object.assign(g, { name: p.name, member_count: p.member_count, status: p.status, all_muted: p.all_muted });
    if (g.info) Object.assign(g.info, p);
    renderGroupItem(g);
    if (current === g.code) { renderHeader(g); loadMembers(g); }
  }

  function onGroupStatus(f) {
    const g = groups.get(f.group);
    if (!g) return;
    g.status = f.status;
    g.status_until = f.until;
    g.status_reason = f.reason;
    if (current === g.code) renderHeader(g);
  }

  function onMembership(f) {
    if (f.invitation) {
      toast(gettext("You have been invited to a group."), "info");
      return;
    }
    if (f.transfer_offered) {
      toast(gettext("You have been offered the ownership of a group."), "info");
      const g = groups.get(f.group);
      if (g && g.info) { g.info.pending_owner_is_me = true; if (current === g.code) renderHeader(g); }
      return;
    }
    if (f.removed) {
      const g = groups.get(f.group);
      toast(interpolate(gettext("You are no longer a member of %(name)s."), { name: g ? g.name : f.group }), "error");
      groups.delete(f.group);
      const li = ui.list.querySelector(`[data-code="${f.group}"]`);
      if (li) li.remove();
      if (current === f.group) closePane();
      ui.empty.hidden = groups.size > 0;
      return;
    }
    if (!groups.has(f.group)) { loadGroups().then(() => sendResume([f.group])); return; }
    const g = groups.get(f.group);
    g.role = f.role;
    if (g.info) { g.info.my_role = f.role; if (f.role === "owner") g.info.pending_owner_is_me = false; }
    if (f.muted_until !== undefined) g.muted_until = f.muted_until;
    renderGroupItem(g);
    if (current === g.code) { renderHeader(g); loadMembers(g); rerenderAll(g); }
  }

  const typingTimers = new Map();
  function onTyping(f) {
    if (f.group !== current || !f.user) return;
    typingTimers.set(f.user.nickname, Date.now());
    renderTyping();
    setTimeout(renderTyping, 3200);
  }
  function renderTyping() {
    const now = Date.now();
    const names = [...typingTimers.entries()].filter(([, at]) => now - at < 3000).map(([n]) => n);
    ui.typing.textContent = names.length ? interpolate(gettext("%(names)s is typing…"), { names: names.join(", ") }) : "";
  }

  /** Screening held my message for a moderator: it waits, visible only to me, until released or removed. */
  function onHeld(f) {
    const p = pending.get(f.client_id);
    if (!p) return;
    p.status = "review";
    p.detail = f.detail || "";
    p.heldId = f.held_id;
    renderPending(p);
  }

  /** Ask again about messages waiting for review (same client_id: the server answers held, ack or held_removed);
   * after a reconnect and after a notice, which is how a removal is told. */
  function recheckReview() {
    for (const p of pending.values()) {
      if (p.status === "review") wsSend({ type: "send", group: p.group, client_id: p.cid, body: p.body });
    }
  }

  function onError(f) {
    if (f.client_id && pending.has(f.client_id)) {
      const p = pending.get(f.client_id);
      const g = groups.get(p.group);
      if (f.code === "rules_required" && g) {
        p.status = "held";
        p.detail = f.detail;
        g.info = g.info || {};
        if (f.rules) g.info.rules = f.rules;
        g.info.rules_accepted = false;
        renderPending(p);
        showRules(g);
      } else if (f.code === "unavailable") {
        // The database is briefly unreachable: nothing was stored. Stay "sending" and send again by ourselves after
        // retry_after, with the same client_id (the server stores one copy whatever happens).
        p.sentAt = Date.now();
        setTimeout(() => { if (pending.get(p.cid) === p && p.status === "sending") transmit(p); },
          Math.max(1, Number(f.retry_after) || 2) * 1000);
      } else {
        p.status = "failed";
        p.detail = f.detail;
        p.code = f.code;
        renderPending(p);
      }
      return;
    }
    if (f.group && groups.has(f.group)) groups.get(f.group).resumeInFlight = false;
    if (f.group && f.code === "not_member") return; // a resume for a group just left
    toast(f.detail || f.code, "error");
  }

  // ---------------------------------------------------------------- group list --------------------------------
  function loadGroups() {
    return api("GET", "/api/v1/groups/").then((data) => {
      const seen = new Set();
      for (const item of data.results) {
        seen.add(item.code);
        const fresh = !groups.has(item.code);
        const g = groupState(item.code);
        Object.assign(g, { name: item.name, role: item.role, member_count: item.member_count, status: item.status,
          all_muted: item.all_muted, muted_until: item.muted_until });
        if (fresh || !g.loaded) {
          g.unread = item.unread;
          g.readSeq = item.last_seq - item.unread;
          if (item.last_seq > g.lastSeq) { g.lastSeq = item.last_seq; for (const s of g.ahead) if (s <= g.lastSeq) g.ahead.delete(s); }
          g.last_message = item.last_message;
        }
      }
      for (const code of [...groups.keys()]) if (!seen.has(code)) groups.delete(code);
      groupsLoaded = true;
      renderGroupList();
      const want = current || root.dataset.open;
      if (want && groups.has(want) && !current) openGroup(want);
      else if (!current && !want && window.matchMedia("(min-width: 760px)").matches && data.results.length) {
        openGroup(data.results[0].code);
      }
    }).catch((e) => toast(e.message, "error"));
  }

  function renderGroupList() {
    ui.list.textContent = "";
    const sorted = [...groups.values()].sort((a, b) => lastAt(b) - lastAt(a));
    for (const g of sorted) ui.list.append(groupItem(g));
    ui.empty.hidden = groups.size > 0;
    updateTitle();
  }
  function lastAt(g) { return g.last_message ? Date.parse(g.last_message.created_at) : 0; }

  function groupItem(g) {
    const preview = g.last_message
      ? (g.last_message.removed ? gettext("[message deleted]") : `${g.last_message.sender}: ${g.last_message.body}`)
      : gettext("No messages yet");
    const unread = el("span", { class: "unread", "data-unread": g.unread, text: g.unread > 99 ? "99+" : g.unread,
      "aria-label": interpolate(gettext("%(n)s unread"), { n: g.unread }) });
    unread.hidden = !g.unread;
    const li = el("li", { class: "group-item" + (current === g.code ? " active" : ""), dataset: { code: g.code } },
      el("button", { type: "button", class: "group-btn", onclick: () => openGroup(g.code) },
        avatar(g.name, g.code),
        el("span", { class: "group-main" },
          el("span", { class: "group-top" }, el("span", { class: "group-name", text: g.name }),
            el("time", { class: "group-time", text: g.last_message ? fmtTime(g.last_message.created_at) : "" })),
          el("span", { class: "group-bottom" }, el("span", { class: "group-preview", text: preview }), unread))));
    return li;
  }

  function renderGroupItem(g, moveToTop) {
    const old = ui.list.querySelector(`[data-code="${g.code}"]`);
    const li = groupItem(g);
    if (!old) { ui.list.prepend(li); ui.empty.hidden = true; return; }
    if (moveToTop && old !== ui.list.firstElementChild) { old.remove(); ui.list.prepend(li); } else old.replaceWith(li);
  }

  function updateTitle() {
    const total = [...groups.values()].reduce((n, g) => n + g.unread, 0);
    document.title = (total ? `(${total}) ` : "") + gettext("Chats") + " · groupchat";
  }

  // ---------------------------------------------------------------- opening a group ---------------------------
  async function openGroup(code) {
    const g = groups.get(code);
    if (!g) return;
    current = code;
    history.replaceState(null, "", "/?g=" + encodeURIComponent(code));
    for (const li of ui.list.children) li.classList.toggle("active", li.dataset.code === code);
    ui.placeholder.hidden = true;
    ui.pane.hidden = false;
    root.classList.add("show-pane");
    ui.typing.textContent = "";
    $("jump-btn").hidden = true;
    typingTimers.clear();
    renderHeader(g);
    ui.messages.textContent = "";
    ui.history.textContent = "";
    loadInfo(g);
    loadMembers(g);
    if (!g.loaded) {
      ui.history.textContent = gettext("Loading…");
      try {
        await loadLatest(g);
      } catch (e) {
        ui.history.textContent = e.message;
        return;
      }
      if (current !== code) return;
    }
    rerenderAll(g);
    scrollToBottom();
    markRead();
    ensureScrollable(g);
    if (window.matchMedia("(min-width: 760px)").matches) ui.input.focus();
  }

  function closePane() {
    current = null;
    ui.pane.hidden = true;
    ui.placeholder.hidden = false;
    root.classList.remove("show-pane");
    history.replaceState(null, "", "/");
  }

  async function loadInfo(g) {
    try {
      g.info = await api("GET", `/api/v1/groups/${g.code}/`);
      Object.assign(g, { status: g.info.status, all_muted: g.info.all_muted, member_count: g.info.member_count,
        name: g.info.name });
      if (g.info.my_role) g.role = g.info.my_role;
      if (current === g.code) renderHeader(g);
    } catch (e) { /* the header keeps what the list said */ }
  }

  async function loadLatest(g) {
    if (!g.loading) {
      g.loading = api("GET", `/api/v1/groups/${g.code}/messages/?limit=50`).then((data) => {
        mergePage(g, data.results);
        g.hasMore = data.has_more;
        const top = data.results.length ? data.results[data.results.length - 1].seq : 0;
        if (top > g.lastSeq) g.lastSeq = top;
        for (const s of [...g.ahead]) if (s <= g.lastSeq) g.ahead.delete(s);
        while (g.ahead.has(g.lastSeq + 1)) { g.lastSeq += 1; g.ahead.delete(g.lastSeq); }
        g.loaded = true;
      }).finally(() => { g.loading = null; });
    }
    return g.loading;
  }

  function mergePage(g, results) {
    for (const m of results) {
      const known = g.messages.get(m.seq);
      if (!known || (m.removed && !known.removed)) g.messages.set(m.seq, m);
    }
    if (results.length) {
      const low = results[0].seq;
      g.oldest = g.oldest === null ? low : Math.min(g.oldest, low);
    } else if (g.oldest === null) {
      g.oldest = g.messages.size ? Math.min(...g.messages.keys()) : 0;
    }
    if (g.messages.size) g.oldest = Math.min(g.oldest, ...g.messages.keys());
  }

  async function loadOlder(g) {
    if (g.loadingOlder || !g.hasMore || !g.loaded || g.oldest === null || g.oldest <= 1) {
      if (g.loaded && (g.oldest !== null && g.oldest <= 1 || !g.hasMore)) ui.history.textContent = historyNote({ hasMore: false, messages: g.messages });
      return;
    }
    g.loadingOlder = true;
    ui.history.textContent = gettext("Loading earlier messages…");
    try {
      const data = await api("GET", `/api/v1/groups/${g.code}/messages/?before=${g.oldest}&limit=50`);
      if (current !== g.code) return;
      const before = ui.scroller.scrollHeight - ui.scroller.scrollTop;
      mergePage(g, data.results);
      g.hasMore = data.has_more;
      for (const m of data.results) renderMessageNode(m);
      ui.scroller.scrollTop = ui.scroller.scrollHeight - before;
      ui.history.textContent = historyNote(g);
    } catch (e) {
      ui.history.textContent = e.message;
    } finally {
      g.loadingOlder = false;
    }
    ensureScrollable(g);
  }

  function ensureScrollable(g) {
    if (current === g.code && g.hasMore && ui.scroller.scrollHeight <= ui.scroller.clientHeight + 10) loadOlder(g);
    else if (!g.hasMore) ui.history.textContent = historyNote(g);
  }

  ui.scroller.addEventListener("scroll", () => {
    const g = current && groups.get(current);
    if (g && ui.scroller.scrollTop < 120) loadOlder(g);
    if (g && nearBottom()) { markRead(); $("jump-btn").hidden = true; }
  });
  $("jump-btn").addEventListener("click", () => { scrollToBottom(); $("jump-btn").hidden = true; });

  function nearBottom() { return ui.scroller.scrollHeight - ui.scroller.scrollTop - ui.scroller.clientHeight < 140; }
  function scrollToBottom() { ui.scroller.scrollTop = ui.scroller.scrollHeight; }

  function markRead() {
    const g = current && groups.get(current);
    if (!g || document.visibilityState !== "visible") return;
    if (g.lastSeq > g.readSeq && wsSend({ type: "read", group: g.code, seq: g.lastSeq })) g.readSeq = g.lastSeq;
    if (g.unread) { g.unread = 0; renderGroupItem(g); updateTitle(); }
  }
  document.addEventListener("visibilitychange", markRead);

  // ---------------------------------------------------------------- header, banners, members -----------------
  function renderHeader(g) {
    const stick = nearBottom(); // banners may change the pane's height: stay at the newest message
    ui.name.textContent = g.name;
    ui.code.textContent = interpolate(gettext("Group code %(code)s"), { code: g.code });
    ui.count.textContent = interpolate(gettext("%(n)s members"), { n: g.member_count });
    ui.info.href = `/g/${g.code}/`;
    ui.manage.href = `/g/${g.code}/manage/`;
    ui.manage.hidden = !(g.role === "owner" || g.role === "admin");
    $("pane-report").href = reportHref("group", g.code);
    const info = g.info || {};
    let status = "";
    if (g.status === "suspended") status = gettext("Posting in this group is suspended.") + (g.status_reason ? " " + g.status_reason : "");
    else if (g.status === "closed") status = gettext("This group has been closed.");
    else if (g.all_muted) status = gettext("The whole group is muted; only the owner and admins may post.");
    if (!status && g.muted_until && Date.parse(g.muted_until) > Date.now()) {
      status = interpolate(gettext("You are muted in this group until %(t)s."), { t: fmtFull(g.muted_until) });
    }
    ui.status.textContent = status;
    ui.status.hidden = !status;
    ui.transfer.textContent = "";
    ui.transfer.hidden = !info.pending_owner_is_me;
    if (info.pending_owner_is_me) {
      ui.transfer.append(gettext("You have been offered the ownership of this group."), " ",
        el("a", { href: `/g/${g.code}/#transfer`, text: gettext("Review the owner's duties and accept") }));
    }
    // Platform notices for this member (a warning's rectification deadline for the owner and admins), while they last.
    const notices = info.notices || [];
    ui.notices.textContent = "";
    for (const n of notices) ui.notices.append(el("div", { class: "notice-line", text: n.text }));
    ui.notices.hidden = !notices.length;
    const text = (info.announcement || "").trim();
    ui.announcement.hidden = !text;
    ui.announcement.querySelector(".announcement-text").textContent = text;
    if (stick) scrollToBottom();
  }

  let membersRequest = 0;
  async function loadMembers(g) {
    const n = ++membersRequest; // only the newest answer is drawn (answers may arrive out of order)
    try {
      const data = await api("GET", `/api/v1/groups/${g.code}/members/`);
      if (n !== membersRequest) return;
      g.members = data.results;
    } catch (e) { return; }
    if (current !== g.code) return;
    ui.membersCount.textContent = `(${g.members.length})`;
    ui.memberList.textContent = "";
    for (const m of g.members) {
      const muted = m.muted_until && Date.parse(m.muted_until) > Date.now();
      ui.memberList.append(el("li", { class: "member", dataset: { userId: m.user.id, role: m.role } },
        avatar(m.user.nickname, m.user.id),
        el("a", { class: "member-name", href: `/u/${m.user.id}/`, text: m.user.nickname }), roleBadge(m.role),
        muted ? el("span", { class: "muted-flag", title: interpolate(gettext("Muted until %(t)s"), { t: fmtFull(m.muted_until) }), text: gettext("muted") }) : null,
        m.user.id !== me.id ? el("a", { class: "report-link", href: reportHref("user", m.user.id), text: gettext("Report") }) : null));
    }
  }

  $("members-toggle").addEventListener("click", () => root.classList.toggle("show-members"));
  $("members-close").addEventListener("click", () => root.classList.remove("show-members"));
  $("back-btn").addEventListener("click", () => { root.classList.remove("show-pane"); });

  // ---------------------------------------------------------------- messages ----------------------------------
  function canDelete(g, m) {
    if (m.removed) return false;
    if (m.sender.id === me.id) return true;
    if (g.role === "owner") return true;
    return g.role === "admin" && m.sender.role !== "owner";
  }

  function messageNode(m) {
    const g = groups.get(m.group) || groups.get(current);
    const mine = m.sender.id === me.id;
    const li = el("li", { class: "msg" + (mine ? " mine" : "") + (m.removed ? " removed" : "") + (m.kind === "system" ? " system" : ""),
      dataset: { seq: m.seq, id: m.id, sender: m.sender.id, day: isoDayKey(m.created_at), dayLabel: fmtDay(m.created_at) } });
    if (m.kind === "system") {
      li.append(el("div", { class: "system-text", text: m.body }));
      return li;
    }
    const actions = el("span", { class: "msg-actions" });
    if (g && canDelete(g, m)) {
      actions.append(el("button", { type: "button", class: "link-btn msg-delete", text: mine ? gettext("Recall") : gettext("Delete"),
        onclick: () => deleteMessage(g, m) }));
    }
    if (!mine && !m.removed) actions.append(el("a", { class: "report-link", href: reportHref("message", m.id), text: gettext("Report") }));
    li.append(avatar(m.sender.nickname, m.sender.id),
      el("div", { class: "msg-main" },
        el("div", { class: "msg-meta" }, el("span", { class: "nick", text: m.sender.nickname }), roleBadge(m.sender.role),
          el("time", { datetime: m.created_at, title: fmtFull(m.created_at), text: fmtTime(m.created_at) }), actions),
        m.removed
          ? el("div", { class: "bubble bubble-removed", text: gettext("This message has been deleted.") })
          : el("div", { class: "bubble", text: m.body })));
    return li;
  }

  /** Insert or replace the node for message m, in seq order, before any pending bubbles. */
  function renderMessageNode(m) {
    const node = messageNode(m);
    const old = ui.messages.querySelector(`li.msg[data-seq="${m.seq}"]`);
    if (old) { old.replaceWith(node); return; }
    let after = null;
    for (let c = ui.messages.lastElementChild; c; c = c.previousElementSibling) {
      if (c.dataset.seq && Number(c.dataset.seq) < m.seq) { after = c; break; }
    }
    if (after) after.after(node);
    else ui.messages.prepend(node);
    daySeparators();
  }

  /** A day heading before the first message of each day (Asia/Shanghai). */
  function daySeparators() {
    for (const sep of ui.messages.querySelectorAll("li.day-sep")) sep.remove();
    let last = null;
    for (const li of [...ui.messages.querySelectorAll("li.msg[data-seq]")]) {
      const day = li.dataset.day;
      if (day && day !== last) li.before(el("li", { class: "day-sep", "aria-hidden": "true" }, el("span", { text: li.dataset.dayLabel })));
      last = day;
    }
  }

  function rerenderAll(g) {
    ui.messages.textContent = "";
    const seqs = [...g.messages.keys()].sort((a, b) => a - b);
    const frag = document.createDocumentFragment();
    for (const s of seqs) frag.append(messageNode(g.messages.get(s)));
    ui.messages.append(frag);
    for (const p of pending.values()) if (p.group === g.code) ui.messages.append(pendingNode(p));
    daySeparators();
    ui.history.textContent = historyNote(g);
  }

  function historyNote(g) {
    if (g.hasMore) return "";
    return g.messages.size ? gettext("This is the beginning of the group.") : gettext("No messages yet. Say hello!");
  }

  async function deleteMessage(g, m) {
    const mine = m.sender.id === me.id;
    if (!confirm(mine ? gettext("Recall this message for everyone?") : gettext("Delete this message for everyone?"))) return;
    try {
      await api("DELETE", `/api/v1/groups/${g.code}/messages/${m.id}/`, {});
      onRemoved(g.code, m.seq, m.id);
    } catch (e) { toast(e.message, "error"); }
  }

  // ---------------------------------------------------------------- sending -----------------------------------
  // Refusals the user can fix elsewhere: where to go.
  const FIX_LINKS = {
    realname_required: ["/me/identity/", () => gettext("Verify your identity")],
    agreement_required: ["/agreements/", () => gettext("Read the agreements")],
  };

  function pendingNode(p) {
    const state = el("div", { class: "msg-state" });
    if (p.status === "failed") {
      state.append(el("span", { class: "state-text", text: gettext("Not sent") + (p.detail ? ": " + p.detail : "") }),
        el("button", { type: "button", class: "link-btn retry-btn", text: gettext("Retry"), onclick: () => retry(p) }),
        el("button", { type: "button", class: "link-btn discard-btn", text: gettext("Discard"), onclick: () => discard(p) }),
        FIX_LINKS[p.code] ? el("a", { href: FIX_LINKS[p.code][0], text: FIX_LINKS[p.code][1]() }) : null);
    } else if (p.status === "review") {
      state.append(el("span", { class: "state-text", title: p.detail || "", text: gettext("Waiting for review") }));
    } else if (p.status === "held") {
      state.append(el("span", { class: "state-text", text: gettext("Waiting for you to accept the group rules") }),
        el("button", { type: "button", class: "link-btn", text: gettext("Show rules"), onclick: () => showRules(groups.get(p.group)) }));
    } else {
      state.append(el("span", { class: "spinner", "aria-hidden": "true" }), el("span", { class: "state-text",
        text: ws && ws.helloSeen ? gettext("Sending…") : gettext("Waiting for connection…") }));
    }
    return el("li", { class: "msg mine pending state-" + p.status, dataset: { clientId: p.cid, status: p.status } },
      avatar(me.nickname, me.id),
      el("div", { class: "msg-main" },
        el("div", { class: "msg-meta" }, el("span", { class: "nick", text: me.nickname })),
        el("div", { class: "bubble", text: p.body }), state));
  }

  function renderPending(p) {
    if (current !== p.group) return;
    const old = ui.messages.querySelector(`li[data-client-id="${p.cid}"]`);
    const node = pendingNode(p);
    if (old) old.replaceWith(node);
    else { ui.messages.append(node); scrollToBottom(); }
  }

  function resolvePending(cid) {
    if (!pending.has(cid)) return;
    pending.delete(cid);
    savePending();
    const node = ui.messages.querySelector(`li[data-client-id="${cid}"]`);
    if (node) node.remove();
  }

  function transmit(p) {
    p.status = "sending";
    p.code = "";
    p.sentAt = Date.now();
    wsSend({ type: "send", group: p.group, client_id: p.cid, body: p.body });
    renderPending(p);
  }

  function needsRules(g) {
    return g.info && g.info.rules && g.info.rules.trim() && g.info.rules_accepted === false;
  }

  function retry(p) {
    const g = groups.get(p.group);
    if (g && needsRules(g)) { p.status = "held"; renderPending(p); showRules(g); return; }
    transmit(p);
  }
  function discard(p) { resolvePending(p.cid); }

  function submit() {
    const g = current && groups.get(current);
    const body = ui.input.value;
    if (!g || !body.trim()) return;
    const p = { cid: uuid(), group: g.code, body, status: "sending", detail: "", sentAt: Date.now() };
    pending.set(p.cid, p);
    savePending();
    ui.input.value = "";
    autosize();
    if (needsRules(g)) {
      p.status = "held";
      renderPending(p);
      showRules(g);
      return;
    }
    transmit(p);
  }

  // A pending message with no answer for 10 s is shown as failed (it can be retried; the same client_id is safe).
  setInterval(() => {
    for (const p of pending.values()) {
      if (p.status === "sending" && ws && ws.helloSeen && Date.now() - p.sentAt > 10000) {
        p.status = "failed";
        p.detail = gettext("no answer from the server");
        renderPending(p);
      }
    }
  }, 2000);

  ui.composer.addEventListener("submit", (ev) => { ev.preventDefault(); submit(); });
  let lastTypingSent = 0;
  ui.input.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing && ev.keyCode !== 229) {
      ev.preventDefault();
      submit();
    }
  });
  ui.input.addEventListener("input", () => {
    autosize();
    if (current && Date.now() - lastTypingSent > 3000) {
      lastTypingSent = Date.now();
      wsSend({ type: "typing", group: current });
    }
  });
  function autosize() {
    ui.input.style.height = "auto";
    ui.input.style.height = Math.min(160, ui.input.scrollHeight) + "px";
  }

  // ---------------------------------------------------------------- rules dialog ------------------------------
  let rulesFor = null;
  function showRules(g) {
    if (!g) return;
    rulesFor = g;
    ui.rulesText.textContent = (g.info && g.info.rules) || "";
    ui.rulesError.hidden = true;
    if (!ui.rulesDialog.open) ui.rulesDialog.showModal();
  }
  ui.rulesDialog.addEventListener("close", async () => {
    const g = rulesFor;
    if (!g) return;
    const held = [...pending.values()].filter((p) => p.group === g.code && p.status === "held");
    if (ui.rulesDialog.returnValue !== "accept") {
      for (const p of held) { p.status = "failed"; p.detail = gettext("the group rules were not accepted"); renderPending(p); }
      return;
    }
    try {
      await api("POST", `/api/v1/groups/${g.code}/rules/accept/`, {});
    } catch (e) {
      ui.rulesError.hidden = false;
      ui.rulesError.textContent = e.message;
      ui.rulesDialog.showModal();
      return;
    }
    g.info = g.info || {};
    g.info.rules_accepted = true;
    for (const p of held) transmit(p);
  });

  // ---------------------------------------------------------------- start -------------------------------------
  // A small handle for debugging and the browser tests: drop the socket (no automatic reconnect) and reconnect.
  window.GCChat = {
    groups, pending, get ws() { return ws; },
    disconnect() { const old = ws; ws = null; clearTimeout(reconnectTimer); reconnectTimer = null; if (old) { old.onclose = null; old.close(); } setConn("offline"); },
    reconnect() { this.disconnect(); attempt = 0; connect(); },
  };
  loadGroups().then(connect);
})();
