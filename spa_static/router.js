// A history-API router (no hash): pushState for in-app links, popstate for back and
// forward, and Angular-style `canActivate` guards that may redirect.

// Only same-app paths are followed after login: an open redirect would hand the user to
// another site (OWASP Unvalidated Redirects and Forwards Cheat Sheet).
export function safeReturnUrl(value, fallback = "/") {
  return typeof value === "string" && value.startsWith("/") && !value.startsWith("//") && !value.includes("\\")
    ? value
    : fallback;
}

// Guard for routes that need a session: logged out, go to login and come back after.
export function authGuard(auth) {
  return (url) => auth.isAuthenticated || `/login?returnUrl=${encodeURIComponent(url.pathname + url.search)}`;
}

// Guard for the login page: a signed-in user goes where they were headed.
export function guestGuard(auth, afterLogin) {
  return (url) => !auth.isAuthenticated || safeReturnUrl(url.searchParams.get("returnUrl"), afterLogin);
}

export class Router extends EventTarget {
  #routes;
  #outlet;
  #unmount = null;
  #current = null;

  // routes: { "/path": { view, canActivate?: (url) => true | redirectUrl } }
  constructor(outlet, routes) {
    super();
    this.#outlet = outlet;
    this.#routes = routes;
  }

  get url() {
    return new URL(window.location.href);
  }

  get route() {
    return this.#current;
  }

  start() {
    window.addEventListener("popstate", () => this.render());
    document.addEventListener("click", (e) => this.#onClick(e));
    this.render();
  }

  navigate(path, { replace = false } = {}) {
    const target = new URL(path, window.location.origin);
    const href = target.pathname + target.search;
    if (href !== this.url.pathname + this.url.search) {
      window.history[replace ? "replaceState" : "pushState"](null, "", href);
    }
    this.render();
  }

  render() {
    const url = this.url;
    const route = this.#routes[url.pathname];
    if (!route) return this.navigate("/", { replace: true });
    const verdict = route.canActivate ? route.canActivate(url) : true;
    if (verdict !== true) return this.navigate(verdict, { replace: true });
    this.#unmount?.();
    this.#outlet.replaceChildren();
    this.#current = route;
    this.#unmount = route.view.mount(this.#outlet, { url, router: this }) ?? null;
    this.dispatchEvent(new CustomEvent("navigate", { detail: { path: url.pathname } }));
    return undefined;
  }

  #onClick(e) {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const link = e.target.closest?.("a[href]");
    if (!link || link.target || link.hasAttribute("download")) return;
    const url = new URL(link.href);
    if (url.origin !== window.location.origin || !(url.pathname in this.#routes)) return;
    e.preventDefault();
    this.navigate(url.pathname + url.search);
  }
}
