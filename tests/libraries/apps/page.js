// The pages and the driver every recipe app shares, taken from examples/fetch/app.js: the
// routes, the data-testid hooks and `window.authHarness` of docs/contract.md. Nothing here
// knows about tokens: each app hands `startApp` its own session, built on its library's
// documented refresh recipe, and calls `sessionEnded()` when that session is over.
//
// session = {
//   restore(),                          // the silent refresh on load (the cookie may be there)
//   login(username, password),          // rejects with the app's message
//   logout(),
//   request(method, url, body, options) // through the library; resolves {status, body, error?}
//   isAuthenticated(),
// }

export const API = (window.authHarnessConfig?.apiBaseUrl ?? location.origin).replace(/\/+$/, "");
export const API_ORIGIN = new URL(API).origin;
// The reference backend's auth endpoints (docs/backend.md): the refresh and logout calls
// carry the cookie, and the custom header its CSRF defence asks for.
export const PATHS = {
  login: "/api/login", refresh: "/api/refresh-token", logout: "/api/logout",
  currentUser: "/api/current-user", list: "/api/job-list", admin: "/api/admin/stats",
};
export const CSRF_HEADER = { "X-Requested-With": "XMLHttpRequest" };
export const REFUSED = [401, 403];

const guarded = new Set(["/profile", "/admin"]);

export function startApp(session) {
  const outlet = document.getElementById("outlet");
  const api = (method, path, body, options) =>
    session.request(method, /^https?:/.test(path) ? path : API + path, body, options ?? {});

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
      session.login(form.username.value, form.password.value).then(render)
        .catch((err) => { error.textContent = err.message; });
    });
    return form;
  }

  function profileView() {
    const who = el("p", { "data-testid": "current-user" });
    const list = el("ul");
    Promise.all([api("GET", PATHS.currentUser), api("GET", PATHS.list)]).then(([me, jobs]) => {
      if (me.status === 200) who.textContent = `${me.body.name} (${me.body.username})`;
      if (jobs.status === 200) {
        list.replaceChildren(...jobs.body.jobs.map((j) => el("li", { "data-testid": "job-item" }, j.title)));
      }
    });
    return el("section", {}, el("h1", {}, "Profile"), who, list);
  }

  function adminView() {
    const out = el("p");
    api("GET", PATHS.admin).then((res) => {
      out.textContent = res.status === 200 ? JSON.stringify(res.body) : `not allowed (${res.status})`;
    });
    return el("section", {}, el("h1", {}, "Admin"), out);
  }

  function render() {
    const path = location.pathname;
    const signedIn = session.isAuthenticated();
    document.getElementById("who").textContent = signedIn ? "Signed in" : "";
    document.getElementById("logout").hidden = !signedIn;
    if (guarded.has(path) && !signedIn) return navigate(`/login?returnUrl=${encodeURIComponent(path)}`, true);
    if (path === "/login" && signedIn) {
      const back = new URLSearchParams(location.search).get("returnUrl") ?? "/profile";
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
  document.getElementById("logout").addEventListener("click", () => session.logout().then(render));

  const ready = session.restore().catch(() => undefined).then(render);

  window.authHarness = Object.freeze({
    ready,
    login: async (username, password) => { await ready; await session.login(username, password); render(); },
    logout: async () => { await ready; await session.logout(); render(); },
    async request(method, path, body, options) {
      await ready;
      return api(method, path, body, options);
    },
    isAuthenticated: () => session.isAuthenticated(),
  });

  // The session ended (a refused refresh): a guarded page gives way to the login page.
  return { sessionEnded: render };
}
