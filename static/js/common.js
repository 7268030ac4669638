/* groupchat: helpers shared by every page (no build step; plain ES2020).
 * Strings go through gettext() from /jsi18n/ (Django's JavaScriptCatalog), so Chinese is the default. */
(function () {
  "use strict";
  const gettext = window.gettext || ((s) => s);
  const interpolate = (fmt, obj) => (window.interpolate ? window.interpolate(fmt, obj, true) : fmt);
  const lang = document.documentElement.lang || "zh-hans";
  const TZ = "Asia/Shanghai";
  const locale = lang.startsWith("en") ? "en-GB" : "zh-CN";

  class ApiError extends Error {
    constructor(status, data) {
      super((data && data.detail) || gettext("Something went wrong. Please try again."));
      this.status = status;
      this.code = (data && data.code) || "http_" + status;
      this.data = data || {};
    }
  }

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) return meta.content;
    const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  /** fetch JSON from the API; resolves with the body, rejects with ApiError carrying the human `detail`. */
  async function api(method, url, body) {
    const opts = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
    if (method !== "GET") {
      opts.headers["X-CSRFToken"] = csrfToken();
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body || {});
    }
    let res;
    try {
      res = await fetch(url, opts);
    } catch (e) {
      throw new ApiError(0, { code: "network", detail: gettext("Network error: check your connection and try again.") });
    }
    let data = null;
    if (res.status !== 204) {
      try { data = await res.json(); } catch (e) { data = null; }
    }
    if (!res.ok) throw new ApiError(res.status, data);
    return data;
  }

  const timeFmt = new Intl.DateTimeFormat(locale, { timeZone: TZ, hour: "2-digit", minute: "2-digit", hour12: false });
  const dateTimeFmt = new Intl.DateTimeFormat(locale, {
    timeZone: TZ, month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false });
  const fullFmt = new Intl.DateTimeFormat(locale, {
    timeZone: TZ, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false });
  const dayKeyFmt = new Intl.DateTimeFormat("en-CA", { timeZone: TZ, year: "numeric", month: "2-digit", day: "2-digit" });

  function dayKey(d) { return dayKeyFmt.format(d); }

  /** Short time in Asia/Shanghai: "14:05" today, "11-27 14:05" before. */
  function fmtTime(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return dayKey(d) === dayKey(new Date()) ? timeFmt.format(d) : dateTimeFmt.format(d);
  }
  function fmtFull(iso) { return iso ? fullFmt.format(new Date(iso)) : ""; }
  const dayFmt = new Intl.DateTimeFormat(locale, { timeZone: TZ, year: "numeric", month: "long", day: "numeric", weekday: "short" });
  /** A day heading in Asia/Shanghai: "今天", "昨天", else the date. */
  function fmtDay(iso) {
    const d = new Date(iso);
    const key = dayKey(d);
    if (key === dayKey(new Date())) return gettext("Today");
    if (key === dayKey(new Date(Date.now() - 86400000))) return gettext("Yesterday");
    return dayFmt.format(d);
  }
  function isoDayKey(iso) { return dayKey(new Date(iso)); }

  const ROLE_LABELS = { owner: () => gettext("Owner"), admin: () => gettext("Admin") };
  /** The role badge (群主 / 管理员); ordinary members get none. */
  function roleBadge(role) {
    if (!ROLE_LABELS[role]) return null;
    const b = document.createElement("span");
    b.className = "badge badge-" + role;
    b.dataset.role = role;
    b.textContent = ROLE_LABELS[role]();
    return b;
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
      else if (k === "dataset") Object.assign(node.dataset, v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  function toast(text, level) {
    const box = document.getElementById("toasts");
    if (!box) return;
    const n = el("div", { class: "toast toast-" + (level || "info"), role: level === "error" ? "alert" : null, text });
    box.append(n);
    setTimeout(() => n.classList.add("leaving"), 4200);
    setTimeout(() => n.remove(), 4700);
  }

  const PALETTE = ["#0f766e", "#2563eb", "#7c3aed", "#db2777", "#ea580c", "#16a34a", "#0891b2", "#9333ea", "#c2410c",
    "#4f46e5", "#be123c", "#0d9488"];
  function avatarColor(seed) {
    let h = 2166136261;
    for (const ch of String(seed)) { h ^= ch.codePointAt(0); h = Math.imul(h, 16777619); }
    return PALETTE[(h >>> 0) % PALETTE.length];
  }
  function avatar(nickname, seed) {
    const a = el("span", { class: "avatar", "aria-hidden": "true", text: (nickname || "?").trim().slice(0, 1).toUpperCase() });
    a.style.background = avatarColor(seed !== undefined ? seed : nickname);
    return a;
  }

  function reportHref(kind, id) { return "/report/?target=" + encodeURIComponent(kind + ":" + id); }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  /** Show an API refusal inside a page element (role=alert), or clear it with null. */
  function showError(target, err) {
    const box = typeof target === "string" ? document.querySelector(target) : target;
    if (!box) { if (err) toast(err.message, "error"); return; }
    box.hidden = !err;
    box.textContent = err ? (err.message || String(err)) : "";
  }

  // Language switch: a logged-in user's choice is saved on their profile (PATCH /api/v1/me/), then Django's
  // set_language also sets the cookie and brings them back to this page.
  document.addEventListener("click", async (ev) => {
    const btn = ev.target.closest(".lang-btn");
    if (!btn) return;
    const form = btn.form;
    if (form.dataset.loggedIn !== "1") return; // plain form post to /i18n/setlang/
    ev.preventDefault();
    try {
      await api("PATCH", "/api/v1/me/", { language: btn.value });
    } catch (e) { toast(e.message, "error"); return; }
    const hidden = el("input", { type: "hidden", name: "language", value: btn.value });
    form.append(hidden);
    form.submit();
  });

  window.GC = { gettext, interpolate, lang, api, ApiError, fmtTime, fmtFull, fmtDay, isoDayKey, roleBadge, el, toast, avatar, reportHref, uuid,
    showError, csrfToken };
})();
