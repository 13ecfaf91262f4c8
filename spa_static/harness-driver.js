// The driver contract: what a test harness uses to drive this app. Every call goes
// through the app's own login path, HttpClient and interceptors; nothing here exposes
// the token (the functions close over the services, which are not globals).

import { apiUrl } from "./config.js";
import { SKIP_AUTH_HEADER } from "./auth-interceptor.js";

export function installHarnessDriver({ ready, auth, http }) {
  window.authHarness = Object.freeze({
    // Resolves once bootstrap (including the silent refresh) has finished.
    ready,
    async login(username, password) {
      await ready;
      await auth.login(username, password);
    },
    async logout() {
      await ready;
      await auth.logout();
    },
    // `path` is relative to the API base, or an absolute URL (another origin never gets
    // the token). `{skipAuth: true}` sends it without authentication. Status 0 and
    // `error` when there was no answer.
    async request(method, path, body, { skipAuth = false } = {}) {
      await ready;
      const url = /^[a-z][a-z0-9+.-]*:/i.test(path) ? path : apiUrl(path);
      const headers = skipAuth ? { [SKIP_AUTH_HEADER]: "1" } : {};
      const res = await http.request(method, url, { body, headers });
      return res.status === 0 ? { status: 0, body: res.body, error: res.error } : { status: res.status, body: res.body };
    },
    isAuthenticated() {
      return auth.isAuthenticated;
    },
  });
}
