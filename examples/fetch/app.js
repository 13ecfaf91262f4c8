// A small SPA on plain fetch, no build step: the JWT access/refresh flow in one module.
//
// - The access token lives in this module's memory only (never storage, URL or globals).
// - `api()` is the one way to call the API: it adds the bearer token for the API origin,
//   turns 401s into one shared refresh and one retry per request, and never rejects.
// - Tabs share refreshes through the Web Locks API, a refresh counter in IndexedDB and a
//   BroadcastChannel (the token travels in memory, never through storage).
// - `window.authHarness` exposes the driver contract (docs/contract.md).
// - Every path and field name of the backend's API comes from `api-config.js`. Where that
//   API hands the refresh token to scripts (transport body or header), it is kept in
//   localStorage, as apps on such APIs do: the conformance checks S1, S2, S4 and S5 say why
//   that is weaker than the HttpOnly cookie.

import { API_CONFIG as C } from "./api-config.js";

const API = (window.authHarnessConfig?.apiBaseUrl ?? location.origin).replace(/\/+$/, "");
const API_ORIGIN = new URL(API).origin;
const CSRF = C.refresh.csrfHeader ? { [C.refresh.csrfHeader]: "XMLHttpRequest" } : {};
const SKEW_MS = 5 * 60 * 1000;
const REFRESH_TIMEOUT_MS = 10_000;
// Longer than a refresh may take: only a tab frozen mid-refresh holds the lock this long.
const LOCK_WAIT_MS = 15_000;
const AUTH_PATHS = [C.login.path, C.refresh.path, C.logout.path];
const IN_COOKIE = C.refresh.transport === "cookie";
const STORED = "fetch-example-refresh-token";

// --- session state: memory only --------------------------------------------------------
let token = null;
let expiresAt = 0;
let lifetimeMs = 0;
let user = null;
let refreshing = null; // the one refresh in flight
let rounds = 0; // refreshes started by this tab
let lastFailure = null; // {round, outcome} of the last refresh that failed but kept the session
const guarded = new Set(["/profile", "/admin"]);
const tabs = new BroadcastChannel("fetch-example-auth");

function claimsOf(jwt) {
  try {
    const part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part.padEnd(Math.ceil(part.length / 4) * 4, "=")));
  } catch {
    return {};
  }
}

// The lifetime comes from the answer's expiresIn, or from the token itself when the API
// gives none (exp - iat).
function setToken(value, expiresIn) {
  const { exp, iat } = claimsOf(value);
  token = value;
  lifetimeMs = (expiresIn ?? (exp && iat ? exp - iat : 0)) * 1000;
  expiresAt = exp ? exp * 1000 : Date.now() + lifetimeMs;
}

// Where the API hands the refresh token to scripts, this app keeps it in localStorage.
const refreshToken = {
  get: () => (IN_COOKIE ? null : localStorage.getItem(STORED)),
  set: (value) => { if (!IN_COOKIE && typeof value === "string") localStorage.setItem(STORED, value); },
  clear: () => { if (!IN_COOKIE) localStorage.removeItem(STORED); },
};

// The request that carries the refresh token the way the API wants it.
function withRefreshToken(method, extra = {}) {
  const value = refreshToken.get();
  const headers = { ...CSRF };
  let body;
  if (C.refresh.transport === "header" && value) headers[C.refresh.field] = value;
  if (C.refresh.transport === "body") body = { ...extra, [C.refresh.field]: value };
  else if (method !== "GET" && Object.keys(extra).length) body = extra;
  return { headers, body, format: C.refresh.body };
}

// Memory is cleared and the login page shown (a guarded page is remembered for later).
function endSession() {
  const had = token !== null || user !== null;
  token = null;
  user = null;
  refreshToken.clear();
  if (!had) return;
  if (guarded.has(location.pathname) || location.pathname === "/login") render();
  else navigate("/login");
}

// --- the HTTP layer ------------------------------------------------------------------
async function send(method, url, { body, headers = {}, signal, format = "json" } = {}) {
  const init = { method, headers: { ...headers }, signal, cache: "no-store" };
  if (new URL(url).origin === API_ORIGIN) init.credentials = "include";
  if (body !== undefined && body !== null && format === "form") {
    init.body = new URLSearchParams(body).toString();
    init.headers["Content-Type"] = "application/x-www-form-urlencoded";
  } else if (body !== undefined && body !== null) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  try {
    const res = await fetch(url, init);
    const text = await res.text();
    let data = text;
    try { data = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
    return { status: res.status, body: data };
  } catch (err) {
    return { status: 0, body: null, error: err?.name === "AbortError" ? "timeout" : String(err) };
  }
}

// One retry at most; a 403 is an answer, not an expired token (RFC 6750 section 3.1).
async function api(method, path, body, { skipAuth = false } = {}) {
  const url = /^https?:/.test(path) ? path : API + path;
  const ours = new URL(url).origin === API_ORIGIN;
  if (skipAuth || !ours || AUTH_PATHS.includes(new URL(url).pathname)) {
    return send(method, url, { body });
  }
  if (refreshing) await refreshing;
  else if (token && expiresAt - Date.now() < Math.min(SKEW_MS, lifetimeMs / 2)
           && expiresAt > Date.now()) await refresh();
  const sent = token;
  const sentInRound = rounds;
  const bearer = (t) => (t ? { Authorization: `Bearer ${t}` } : {});
  const res = await send(method, url, { body, headers: bearer(sent) });
  if (res.status !== 401 || sent === null) return res;
  if (token === null) return res; // the session ended meanwhile: nothing to refresh
  if (token !== sent) return send(method, url, { body, headers: bearer(token) });
  // A refresh that started after this request was sent, and failed, answers for it too:
  // its late 401 shares that failure instead of starting another attempt.
  const outcome = !refreshing && lastFailure?.round > sentInRound ? lastFailure.outcome
    : await refresh(sent);
  if (!outcome.ok) return outcome.rejected ? res : { status: outcome.status, body: null, error: outcome.error };
  return send(method, url, { body, headers: bearer(token) });
}

// --- refresh: one per burst, one across tabs -------------------------------------------
function counterDb() {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open("fetch-example-auth", 1);
    open.onupgradeneeded = () => open.result.createObjectStore("counter");
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
}

async function counter(update) {
  const db = await counterDb();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction("counter", "readwrite");
      const store = tx.objectStore("counter");
      const get = store.get("refreshes");
      get.onsuccess = () => {
        const value = (get.result ?? 0) + (update ? 1 : 0);
        if (update) store.put(value, "refreshes");
        tx.oncomplete = () => resolve(value);
      };
      tx.onerror = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

function nextToken(waitMs) {
  return new Promise((resolve) => {
    const done = () => { tabs.removeEventListener("message", onMessage); clearTimeout(timer); resolve(); };
    const onMessage = (e) => { if (e.data?.type === "token") done(); };
    const timer = setTimeout(done, waitMs);
    tabs.addEventListener("message", onMessage);
  });
}

async function withLock(name, waitMs, task) {
  try {
    return await navigator.locks.request(name, { signal: AbortSignal.timeout(waitMs) }, task);
  } catch (err) {
    if (err?.name !== "TimeoutError") throw err;
    return task();
  }
}

function refresh(failed = token) {
  if (refreshing) return refreshing;
  const round = ++rounds;
  refreshing = (async () => {
    const hadSession = token !== null || user !== null;
    const before = await counter(false);
    // A tab frozen mid-refresh keeps the lock (a closed one's is released): past the bound,
    // refresh without it. Its late refresh, if ever sent on, gets "superseded".
    return withLock("fetch-example-refresh", LOCK_WAIT_MS, async () => {
      const now = await counter(false);
      if (now !== before && !(token && token !== failed)) await nextToken(1000);
      if (token && token !== failed) return { ok: true };
      if (!IN_COOKIE && !refreshToken.get()) {
        return { ok: false, rejected: true, status: 401, error: "no refresh token" };
      }
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), REFRESH_TIMEOUT_MS);
      const res = await send(C.refresh.method, API + C.refresh.path,
                             { ...withRefreshToken(C.refresh.method, C.refresh.extra), signal: controller.signal });
      clearTimeout(timer);
      const answer = C.refresh.response;
      if (res.status === 200 && typeof res.body?.[answer.accessToken] === "string") {
        refreshToken.set(res.body[answer.refreshToken]);
        setToken(res.body[answer.accessToken], res.body[answer.expiresIn]);
        await counter(true);
        tabs.postMessage({ type: "token", token, expiresIn: res.body[answer.expiresIn] });
        return { ok: true };
      }
      const rejected = [401, 403, C.refresh.failureStatus].includes(res.status);
      // Refused, but another tab's newer token came meanwhile: a lost race, not the end.
      if (rejected && token && token !== failed) return { ok: true };
      if (rejected && hadSession) {
        endSession();
        tabs.postMessage({ type: "logout" });
      }
      return { ok: false, rejected, status: res.status, error: res.error ?? `refresh ${res.status}` };
    });
  })().catch((err) => ({ ok: false, rejected: false, status: 0, error: String(err) }))
    .then((outcome) => {
      lastFailure = outcome.ok || outcome.rejected ? null : { round, outcome };
      return outcome;
    })
    .finally(() => { refreshing = null; });
  return refreshing;
}

tabs.addEventListener("message", (e) => {
  const m = e.data;
  if (m?.type === "token" && (token !== null || refreshing)) setToken(m.token, m.expiresIn);
  if (m?.type === "login") {
    setToken(m.token, m.expiresIn);
    user = m.user;
    render();
  }
  if (m?.type === "logout") endSession();
});

// --- login, logout, bootstrap ------------------------------------------------------------
async function login(username, password) {
  const { path, body: format, usernameField, passwordField, response } = C.login;
  const res = await send("POST", API + path,
                         { body: { [usernameField]: username, [passwordField]: password }, format });
  if (res.status !== 200) throw new Error(res.body?.message ?? `login failed (${res.status})`);
  refreshToken.set(res.body[C.refresh.response.refreshToken]);
  setToken(res.body[response.accessToken], res.body[response.expiresIn]);
  user = response.user ? res.body[response.user] : null;
  if (!user) {
    const me = await api("GET", C.resources.currentUser);
    if (me.status === 200) user = me.body;
  }
  tabs.postMessage({ type: "login", token, expiresIn: res.body[response.expiresIn], user });
  render();
}

async function logout() {
  const sent = token;
  const carried = withRefreshToken(C.logout.method);
  endSession();
  tabs.postMessage({ type: "logout" });
  const bearer = sent ? { Authorization: `Bearer ${sent}` } : {};
  await send(C.logout.method, API + C.logout.path,
             { ...carried, headers: { ...carried.headers, ...bearer } });
}

async function bootstrap() {
  const outcome = await refresh(null);
  if (outcome.ok) {
    const me = await api("GET", C.resources.currentUser);
    if (me.status === 200) user = me.body;
  }
}

// --- views and routing ---------------------------------------------------------------------
const outlet = document.getElementById("outlet");

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

function navigate(path, replace = false) {
  history[replace ? "replaceState" : "pushState"](null, "", path);
  render();
}

function loginView() {
  const error = el("p", { class: "error" });
  const form = el("form", { "data-testid": "login-form" },
    el("input", { name: "username", "aria-label": "Username" }),
    el("input", { name: "password", type: "password", "aria-label": "Password" }),
    el("button", {}, "Sign in"), error);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    login(form.username.value, form.password.value).catch((err) => { error.textContent = err.message; });
  });
  return form;
}

function profileView() {
  const who = el("p", { "data-testid": "current-user" });
  const list = el("ul");
  const { currentUser, list: listPath, listField } = C.resources;
  Promise.all([api("GET", currentUser), api("GET", listPath)]).then(([me, jobs]) => {
    if (me.status === 200) who.textContent = `${me.body.name} (${me.body.username})`;
    if (jobs.status === 200) {
      const items = listField ? jobs.body[listField] : jobs.body;
      list.replaceChildren(...items.map((j) => el("li", { "data-testid": "job-item" }, j.title)));
    }
  });
  return el("section", {}, el("h1", {}, "Profile"), who, list);
}

function adminView() {
  const out = el("p");
  api("GET", C.resources.admin).then((res) => {
    out.textContent = res.status === 200 ? JSON.stringify(res.body) : `not allowed (${res.status})`;
  });
  return el("section", {}, el("h1", {}, "Admin"), out);
}

function render() {
  const path = location.pathname;
  const params = new URLSearchParams(location.search);
  document.getElementById("who").textContent = token ? `Signed in${user ? ` as ${user.username}` : ""}` : "";
  document.getElementById("logout").hidden = !token;
  if (guarded.has(path) && !token) return navigate(`/login?returnUrl=${encodeURIComponent(path)}`, true);
  if (path === "/login" && token) {
    const back = params.get("returnUrl") ?? "/profile";
    return navigate(back.startsWith("/") && !back.startsWith("//") ? back : "/profile", true);
  }
  const view = { "/login": loginView, "/profile": profileView, "/admin": adminView }[path];
  outlet.replaceChildren(view ? view() : el("h1", {}, "Home"));
  return undefined;
}

document.addEventListener("click", (e) => {
  const link = e.target.closest?.("a[href]");
  if (!link || new URL(link.href).origin !== location.origin) return;
  e.preventDefault();
  navigate(new URL(link.href).pathname);
});
window.addEventListener("popstate", render);
document.getElementById("logout").addEventListener("click", () => logout());

const ready = bootstrap().then(render);

// --- the driver contract ------------------------------------------------------------------
window.authHarness = Object.freeze({
  ready,
  login: async (username, password) => { await ready; await login(username, password); },
  logout: async () => { await ready; await logout(); },
  async request(method, path, body, options) {
    await ready;
    return api(method, path, body, options);
  },
  isAuthenticated: () => token !== null,
});
