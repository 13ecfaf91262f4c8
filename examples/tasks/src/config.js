// Where the task-board API lives and how it is spelled. `api-profile.toml` beside
// index.html describes the same API to the conformance harness's backend.

// A test run (or a deployment) may point the app at an API on another origin; otherwise the
// API is served next to the app.
export const API_BASE = (window.authHarnessConfig?.apiBaseUrl ?? location.origin).replace(/\/+$/, "");

export const ENDPOINTS = Object.freeze({
  signIn: "/api/v1/auth/session", // POST {login, password} -> {access_token, expires_in}
  renew: "/api/v1/auth/session/refresh", // POST, the HttpOnly session cookie only
  signOut: "/api/v1/auth/session", // DELETE
  me: "/api/v1/me",
  tasks: "/api/v1/tasks", // GET: a bare JSON array of tasks; POST {title}: one more
  adminStats: "/api/v1/admin/stats",
});

// The API refuses a cookie-authenticated call (renew, sign-out) without this header: a
// cross-site form cannot send it, and a cross-origin script only after a CORS preflight.
// Its presence is the defence, not its value.
export const CSRF_HEADERS = Object.freeze({ "X-CSRF-Token": "tasks-spa" });
