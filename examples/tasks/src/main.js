// Wires the app together and, for the conformance harness, exposes the driver contract
// (docs/contract.md of the harness) on window.authHarness.

import { API_BASE } from "./config.js";
import { installAuth } from "./auth-interceptors.js";
import { HttpClient } from "./http-client.js";
import { Session } from "./session.js";
import { TabSync } from "./tab-sync.js";
import { TasksApi } from "./tasks-api.js";
import { App } from "./views.js";

const http = new HttpClient({ baseURL: API_BASE });
const session = new Session(http, new TabSync());
installAuth(http, session);
const app = new App(session, new TasksApi(http));

// The first page is chosen after the silent renewal, so a reload stays signed in.
const ready = session.restore().catch(() => undefined).then(() => app.start());

// Only functions: nothing here hands out the token.
window.authHarness = Object.freeze({
  ready,
  login: async (username, password) => { await ready; await session.signIn(username, password); },
  logout: async () => { await ready; await session.signOut(); },
  async request(method, path, body, { skipAuth = false } = {}) {
    await ready;
    try {
      const res = await http.request({ method, url: path, data: body, skipAuth });
      return { status: res.status, body: res.data };
    } catch (err) {
      if (err?.response) return { status: err.response.status, body: err.response.data };
      return { status: 0, body: null, error: String(err?.message ?? err) };
    }
  },
  isAuthenticated: () => session.isAuthenticated(),
});
