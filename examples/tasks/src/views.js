// The pages and a small history router. `/profile` (the user's tasks) and `/admin` need a
// session; without one the router shows `/login` and comes back after sign-in.

const GUARDED = new Set(["/profile", "/admin"]);

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

// Only a path of this app: an open redirect through ?returnUrl= is not.
function safeReturn(value) {
  return value && value.startsWith("/") && !value.startsWith("//") ? value : "/profile";
}

export class App {
  #session;
  #tasks;
  #outlet = document.getElementById("outlet");
  #who = document.getElementById("who");
  #signOut = document.getElementById("sign-out");

  constructor(session, tasks) {
    this.#session = session;
    this.#tasks = tasks;
  }

  start() {
    // Every sign-in and sign-out, in this tab or another, redraws the page in the same
    // task (a guarded page turns into the sign-in page at once).
    this.#session.addEventListener("change", () => this.render());
    window.addEventListener("popstate", () => this.render());
    document.addEventListener("click", (event) => {
      const link = event.target.closest?.("a[href]");
      if (!link || link.origin !== location.origin || event.button !== 0
          || event.metaKey || event.ctrlKey || event.shiftKey) return;
      event.preventDefault();
      this.navigate(link.pathname);
    });
    this.#signOut.addEventListener("click", () => { this.#session.signOut(); });
    this.render();
  }

  navigate(path, { replace = false } = {}) {
    history[replace ? "replaceState" : "pushState"](null, "", path);
    this.render();
  }

  render() {
    const signedIn = this.#session.isAuthenticated();
    const { user } = this.#session;
    this.#who.textContent = signedIn ? `Signed in${user ? ` as ${user.username}` : ""}` : "";
    this.#signOut.hidden = !signedIn;
    const path = location.pathname;
    if (GUARDED.has(path) && !signedIn) {
      this.navigate(`/login?returnUrl=${encodeURIComponent(path)}`, { replace: true });
      return;
    }
    if (path === "/login" && signedIn) {
      this.navigate(safeReturn(new URLSearchParams(location.search).get("returnUrl")), { replace: true });
      return;
    }
    const page = { "/login": this.#signInPage, "/profile": this.#tasksPage, "/admin": this.#adminPage }[path];
    this.#outlet.replaceChildren(page ? page.call(this) : this.#homePage());
  }

  #homePage() {
    return h("section", {}, h("h1", {}, "Task board"),
      h("p", {}, "Keep track of what you have to do. Your tasks are under ",
        h("a", { href: "/profile" }, "My tasks"), "."));
  }

  #signInPage() {
    const error = h("p", { class: "error", role: "alert" });
    const form = h("form", { "data-testid": "login-form" },
      h("label", {}, "Username or email", h("input", { name: "login", autocomplete: "username", required: "" })),
      h("label", {}, "Password", h("input", { name: "password", type: "password", autocomplete: "current-password", required: "" })),
      h("button", {}, "Sign in"), error);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      error.textContent = "";
      this.#session.signIn(form.elements.login.value, form.elements.password.value)
        .catch((err) => { error.textContent = err.message; });
    });
    return h("section", {}, h("h1", {}, "Sign in"), form);
  }

  // The contract's "profile" page: who is signed in, and their tasks.
  #tasksPage() {
    const who = h("p", { "data-testid": "current-user" });
    const list = h("ul", { "aria-label": "Tasks" });
    const status = h("p", { class: "error", role: "alert" });
    const item = (task) => h("li", { "data-testid": "job-item" }, task.title);
    // Both at once: when the token has expired, their two 401s share one renewal.
    this.#tasks.me().then((me) => { who.textContent = `${me.name} (${me.username})`; }, () => undefined);
    this.#tasks.list().then(
      (tasks) => list.replaceChildren(...tasks.map(item)),
      (err) => { status.textContent = `Could not load your tasks (${err.status || err.message}).`; });

    const title = h("input", { name: "title", "aria-label": "New task", maxlength: "200", required: "" });
    const add = h("form", {}, title, h("button", {}, "Add"));
    add.addEventListener("submit", (event) => {
      event.preventDefault();
      this.#tasks.create(title.value).then(
        (task) => { list.append(item(task)); title.value = ""; },
        (err) => { status.textContent = `Could not add the task (${err.status || err.message}).`; });
    });
    return h("section", {}, h("h1", {}, "My tasks"), who, list, add, status);
  }

  #adminPage() {
    const out = h("pre");
    this.#tasks.adminStats().then(
      (stats) => { out.textContent = JSON.stringify(stats, null, 2); },
      (err) => { out.textContent = `Not allowed (${err.status || err.message}).`; });
    return h("section", {}, h("h1", {}, "Admin"), out);
  }
}
