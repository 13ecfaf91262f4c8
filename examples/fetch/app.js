// A small SPA on plain fetch, no build step: the JWT access/refresh flow in one module.
//
// - The access token lives in this module's memory only (never storage, URL or globals).
// - `api()` is the one way to call the API: it adds the bearer token for the API origin,
//   turns 401s into one shared refresh and one retry per request, and never rejects.
// - Tabs share refreshes through the Web Locks API, a refresh counter in IndexedDB and a
//   BroadcastChannel (the token travels in memory, never through storage).
// - `window.authHarness` exposes the driver contract (docs/contract.md).

const API = (window.authHarnessConfig?.apiBaseUrl ?? location.origin).replace(/\/+$/, "");
const API_ORIGIN = new URL(API).origin;
const CSRF = { "X-Requested-With": "XMLHttpRequest" };
const SKEW_MS = 5 * 60 * 1000;
const REFRESH_TIMEOUT_MS = 10_000;
const AUTH_PATHS = ["/api/login", "/api/refresh-token", "/api/logout"];

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

function expiryOf(jwt) {
  try {
    const part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part.padEnd(Math.ceil(part.length / 4) * 4, "="))).exp * 1000;
  } catch {
    return 0;
  }
}

function setToken(value, expiresIn) {
  token = value;
  lifetimeMs = (expiresIn ?? 0) * 1000;
  expiresAt = expiryOf(value) || Date.now() + lifetimeMs;
}

// Memory is cleared and the login page shown (a guarded page is remembered for later).
function endSession() {
  const had = token !== null || user !== null;
  token = null;
  user = null;
  if (!had) return;
  if (guarded.has(location.pathname) || location.pathname === "/login") render();
  else navigate("/login");
}

// --- the HTTP layer ------------------------------------------------------------------
async function send(method, url, { body, headers = {}, signal } = {}) {
  const init = { method, headers: { ...headers }, signal, cache: "no-store" };
  if (new URL(url).origin === API_ORIGIN) init.credentials = "include";
  if (body !== undefined && body !== null) {
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

function refresh(failed = token) {
  if (refreshing) return refreshing;
  const round = ++rounds;
  refreshing = (async () => {
    const hadSession = token !== null || user !== null;
    const before = await counter(false);
    return navigator.locks.request("fetch-example-refresh", async () => {
      const now = await counter(false);
      if (now !== before && !(token && token !== failed)) await nextToken(1000);
      if (token && token !== failed) return { ok: true };
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), REFRESH_TIMEOUT_MS);
      const res = await send("POST", `${API}/api/refresh-token`, { headers: CSRF, signal: controller.signal });
      clearTimeout(timer);
      if (res.status === 200 && typeof res.body?.accessToken === "string") {
        setToken(res.body.accessToken, res.body.expiresIn);
        await counter(true);
        tabs.postMessage({ type: "token", token, expiresIn: res.body.expiresIn });
        return { ok: true };
      }
      const rejected = res.status === 401 || res.status === 403;
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
  const res = await send("POST", `${API}/api/login`, { body: { username, password } });
  if (res.status !== 200) throw new Error(res.body?.message ?? `login failed (${res.status})`);
  setToken(res.body.accessToken, res.body.expiresIn);
  user = res.body.user;
  tabs.postMessage({ type: "login", token, expiresIn: res.body.expiresIn, user });
  render();
}

async function logout() {
  endSession();
  tabs.postMessage({ type: "logout" });
  await send("POST", `${API}/api/logout`, { headers: CSRF });
}

async function bootstrap() {
  const outcome = await refresh(null);
  if (outcome.ok) {
    const me = await api("GET", "/api/current-user");
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
  Promise.all([api("GET", "/api/current-user"), api("GET", "/api/job-list")]).then(([me, jobs]) => {
    if (me.status === 200) who.textContent = `${me.body.name} (${me.body.username})`;
    if (jobs.status === 200) {
      list.replaceChildren(...jobs.body.jobs.map((j) => el("li", { "data-testid": "job-item" }, j.title)));
    }
  });
  return el("section", {}, el("h1", {}, "Profile"), who, list);
}

function adminView() {
  const out = el("p");
  api("GET", "/api/admin/stats").then((res) => {
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
