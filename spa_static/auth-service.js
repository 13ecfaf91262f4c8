// The session of this tab: the access token, its expiry and the current user.
//
// The access token lives only in a private field of this object (OWASP HTML5 Security
// Cheat Sheet: no tokens in Web Storage). It is never written to storage, cookies, the
// URL, a global or the log; other tabs get it over a BroadcastChannel, in memory. The
// refresh token is an HttpOnly cookie that this code never sees.

import { apiUrl } from "./config.js";
import { SKIP_AUTH_HEADER } from "./auth-interceptor.js";

// Refresh and logout are cookie-authenticated: the custom header is the CSRF defence
// (OWASP CSRF Prevention Cheat Sheet, custom request headers).
const CSRF_HEADERS = { "X-Requested-With": "XMLHttpRequest" };
const SKIP_AUTH = { [SKIP_AUTH_HEADER]: "1" };

// Reads `exp` (seconds) from a JWT payload. The signature is the server's business; the
// value is used only to decide when to refresh, never to trust anything.
function readExpiry(token) {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const exp = JSON.parse(atob(payload.padEnd(Math.ceil(payload.length / 4) * 4, "="))).exp;
    return Number.isFinite(exp) ? exp * 1000 : null;
  } catch {
    return null;
  }
}

function loginFailure(res) {
  if (res.status === 0) return "Cannot reach the server. Try again.";
  if (res.status === 401) return res.body?.message ?? "Invalid username or password.";
  if (res.status === 422) return "Enter a username and a password.";
  return res.body?.message ?? `Sign-in failed (${res.status}).`;
}

export class AuthService extends EventTarget {
  #http;
  #tabs;
  #log;
  #config;
  #accessToken = null;
  #expiresAt = null; // epoch ms, from the token's `exp`
  #lifetimeMs = null; // from `expiresIn`
  #generation = null; // the cross-tab refresh count that produced the token, if known
  #user = null;
  #epoch = 0; // bumped by every login and logout: a refresh begun earlier is stale
  #refreshing = null; // the one refresh in flight (the seed's `refreshingInProgress`)
  #sharers = 0;
  #rounds = 0; // refreshes started by this tab
  #lastFailure = null; // {round, outcome} of the last refresh, if it failed but kept the session

  constructor({ http, tabs, log, config }) {
    super();
    this.#http = http;
    this.#tabs = tabs;
    this.#log = log;
    this.#config = config;
    tabs.addEventListener("message", (e) => this.#onTabMessage(e.detail));
  }

  get isAuthenticated() {
    return this.#accessToken !== null;
  }

  get accessToken() {
    return this.#accessToken;
  }

  get user() {
    return this.#user;
  }

  // Noted by a request when it is sent, and handed back to `refresh` on its 401.
  get refreshRound() {
    return this.#rounds;
  }

  // On load: one silent refresh (the cookie decides whether a session exists), then the
  // user from /api/current-user, so a reload or a new tab keeps the session.
  async bootstrap() {
    const outcome = await this.refresh("restoring the session on load");
    if (outcome.ok) {
      const res = await this.#http.get(apiUrl("/api/current-user"));
      if (res.status === 200 && this.isAuthenticated) this.#user = res.body;
    }
    return this.isAuthenticated;
  }

  async login(username, password) {
    const res = await this.#http.post(apiUrl("/api/login"), { username, password }, { headers: SKIP_AUTH });
    if (res.status !== 200 || typeof res.body?.accessToken !== "string") throw new Error(loginFailure(res));
    const { accessToken, expiresIn, user = null } = res.body;
    this.#startSession(accessToken, expiresIn, user, "login");
    this.#log.add("session", `signed in as ${user?.username ?? username}`);
    this.#tabs.post({ type: "login", accessToken, expiresIn, user });
    return user;
  }

  // Memory is cleared at once (and in the other tabs); the server then revokes the
  // refresh family and clears the cookie.
  async logout() {
    this.#endSession("logout");
    this.#tabs.post({ type: "logout" });
    await this.#http.post(apiUrl("/api/logout"), undefined, { headers: { ...CSRF_HEADERS, ...SKIP_AUTH } });
  }

  // Called before an API request is sent: wait for a refresh in flight (requests issued
  // meanwhile join it), or refresh first when the token is about to expire.
  // Resolves with the refresh outcome, or null when nothing had to be done.
  async ensureFreshToken() {
    if (this.#refreshing) return this.refresh();
    const left = this.#expiresAt === null ? null : this.#expiresAt - Date.now();
    // The window is capped at half the token's lifetime, so short-lived tokens are used
    // before being renewed. A token the local clock already sees as expired is still
    // sent: the server's clock decides, and its 401 takes the shared refresh path.
    const skew = Math.min(this.#config.refreshSkewSeconds * 1000, (this.#lifetimeMs ?? Infinity) / 2);
    if (this.#accessToken === null || left === null || left <= 0 || left > skew) return null;
    return this.refresh(`token expires in ${Math.ceil(left / 1000)} s`);
  }

  // Single flight: every caller while a refresh is in flight gets the same promise.
  // It never rejects: `{ok: true}` or `{ok: false, rejected, status, error}`, where
  // `rejected` means the server refused the refresh and the session is over.
  // A refresh answers for every request sent before it started: a request sent in
  // `sentInRound` whose 401 arrives after such a refresh failed shares that failure
  // instead of starting another attempt.
  refresh(reason = "requested", sentInRound = null) {
    if (this.#refreshing) {
      this.#sharers += 1;
      return this.#refreshing;
    }
    if (sentInRound !== null && this.#lastFailure?.round > sentInRound) {
      this.#log.add("error", `${reason}: the refresh that followed it failed, not retried`);
      return Promise.resolve(this.#lastFailure.outcome);
    }
    const round = ++this.#rounds;
    this.#sharers = 1;
    this.#log.add("refresh", `refresh started: ${reason}`);
    this.#refreshing = this.#refreshAcrossTabs().then((outcome) => {
      this.#refreshing = null;
      this.#lastFailure = outcome.ok || outcome.rejected ? null : { round, outcome };
      this.#report(outcome);
      return outcome;
    });
    return this.#refreshing;
  }

  async #refreshAcrossTabs() {
    const epoch = this.#epoch;
    const failedToken = this.#accessToken;
    const hadSession = failedToken !== null || this.#user !== null;
    try {
      return await this.#tabs.withRefreshLock(async (turn) => {
        if (!turn.locked && navigator.locks) {
          this.#log.add("cross-tab", "another tab has held the refresh lock too long: refreshing without it");
        }
        if (epoch !== this.#epoch) return this.#sessionChangedMeanwhile();
        if (await this.#tokenFromAnotherTab(turn, failedToken)) return { ok: true, source: "another tab" };
        const result = await this.#postRefresh();
        if (epoch !== this.#epoch) return this.#sessionChangedMeanwhile();
        if (result.ok) {
          this.#setToken(result.accessToken, result.expiresIn, null);
          const generation = await turn.commit();
          this.#generation = generation;
          this.#tabs.post({ type: "token", generation, accessToken: result.accessToken, expiresIn: result.expiresIn });
          return { ok: true, source: "server" };
        }
        // Refused, but another tab's newer token arrived meanwhile: this refresh lost a race
        // to that tab (it held the cookie's previous value), and the session goes on.
        if (result.rejected && this.#accessToken !== null && this.#accessToken !== failedToken) {
          return { ok: true, source: "another tab (this refresh lost the race)" };
        }
        if (result.rejected) this.#refreshRejected(hadSession);
        return { ...result, hadSession };
      }, this.#config.lockWaitSeconds * 1000);
    } catch (err) {
      return { ok: false, rejected: false, status: 0, error: `refresh failed: ${err?.message ?? err}` };
    }
  }

  // A tab that waited for the lock while another tab refreshed re-uses that tab's token
  // (it arrives over the BroadcastChannel) instead of sending the cookie a second time.
  async #tokenFromAnotherTab(turn, failedToken) {
    const replaced = () => this.#accessToken !== null && this.#accessToken !== failedToken;
    const mine = this.#generation;
    const anotherTabRefreshed = turn.count !== null && (turn.count > turn.countBefore || (mine !== null && turn.count > mine));
    if (anotherTabRefreshed && !replaced()) {
      const waitMs = this.#config.crossTabWaitSeconds * 1000;
      await this.#tabs.nextMessage((m) => m?.type === "token" && m.generation >= turn.count, waitMs);
    }
    if (!replaced()) return false;
    this.#log.add("cross-tab", `re-used the token another tab obtained (refresh #${this.#generation ?? "?"})`);
    return true;
  }

  #sessionChangedMeanwhile() {
    return this.isAuthenticated
      ? { ok: true, source: "new session" }
      : { ok: false, rejected: true, status: 0, error: "refresh dropped: signed out meanwhile" };
  }

  async #postRefresh() {
    const controller = new AbortController();
    const timeoutMs = this.#config.refreshTimeoutSeconds * 1000;
    const timer = timeoutMs > 0 ? setTimeout(() => controller.abort(), timeoutMs) : null;
    const res = await this.#http.post(apiUrl("/api/refresh-token"), undefined, {
      headers: { ...CSRF_HEADERS, ...SKIP_AUTH },
      signal: controller.signal,
      // Ahead of the requests the browser still queues for a connection (six per origin over
      // HTTP/1.1): a burst of doomed requests must not hold back the refresh they wait for.
      priority: "high",
    });
    clearTimeout(timer);
    if (res.status === 200 && typeof res.body?.accessToken === "string") {
      return { ok: true, accessToken: res.body.accessToken, expiresIn: res.body.expiresIn };
    }
    const rejected = res.status === 401 || res.status === 403;
    const error = res.status === 0 ? res.error : `status ${res.status}`;
    return { ok: false, rejected, status: res.status, error: `refresh ${rejected ? "rejected" : "failed"}: ${error}` };
  }

  #report(outcome) {
    const shared = this.#sharers > 1 ? ` (shared by ${this.#sharers} callers)` : "";
    if (outcome.ok) {
      this.#log.add("refresh", `refresh succeeded via ${outcome.source}${shared}`);
    } else if (!outcome.rejected) {
      this.#log.add("error", `${outcome.error}: session kept, the next request tries again${shared}`);
    } else if (outcome.hadSession === false) {
      this.#log.add("refresh", `${outcome.error}: no session to restore`);
    } else {
      this.#log.add("refresh", `${outcome.error}${outcome.hadSession ? ": session ended" : ""}${shared}`);
    }
  }

  #refreshRejected(hadSession) {
    if (!hadSession) return;
    this.#endSession("session expired");
    this.#tabs.post({ type: "logout" });
  }

  #onTabMessage(message) {
    const carriesToken = typeof message?.accessToken === "string";
    switch (message?.type) {
      case "token":
        // Adopted only by a tab with a session, or one restoring it right now.
        if (!carriesToken || (this.#accessToken === null && !this.#refreshing)) return;
        this.#setToken(message.accessToken, message.expiresIn, message.generation ?? null);
        this.#log.add("cross-tab", `received the token of refresh #${message.generation ?? "?"} from another tab`);
        return;
      case "login":
        if (!carriesToken) return;
        this.#startSession(message.accessToken, message.expiresIn, message.user ?? null, "login in another tab");
        this.#log.add("cross-tab", `signed in as ${message.user?.username ?? "?"} in another tab`);
        return;
      case "logout":
        this.#log.add("cross-tab", "signed out in another tab");
        this.#endSession("logout in another tab");
        return;
      default:
    }
  }

  #setToken(accessToken, expiresIn, generation) {
    this.#accessToken = accessToken;
    this.#generation = generation;
    const lifetimeMs = Number.isFinite(expiresIn) ? expiresIn * 1000 : null;
    this.#lifetimeMs = lifetimeMs;
    this.#expiresAt = readExpiry(accessToken) ?? (lifetimeMs === null ? null : Date.now() + lifetimeMs);
  }

  #startSession(accessToken, expiresIn, user, reason) {
    this.#epoch += 1;
    this.#setToken(accessToken, expiresIn, null);
    this.#user = user;
    this.dispatchEvent(new CustomEvent("change", { detail: { reason, authenticated: true } }));
  }

  #endSession(reason) {
    const had = this.#accessToken !== null || this.#user !== null;
    this.#epoch += 1;
    this.#accessToken = null;
    this.#expiresAt = null;
    this.#lifetimeMs = null;
    this.#generation = null;
    this.#user = null;
    if (!had) return;
    this.#log.add("session", `signed out: ${reason}`);
    this.dispatchEvent(new CustomEvent("change", { detail: { reason, authenticated: false } }));
  }
}
