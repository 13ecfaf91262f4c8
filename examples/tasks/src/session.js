// The signed-in session: the access token (in a private field, memory only), its renewal,
// sign-in and sign-out, and what other tabs say about them.
//
// The refresh token is an HttpOnly cookie scoped to /api/v1/auth/session: this code never
// sees it; the browser sends it with the renewal and the sign-out.

import { CSRF_HEADERS, ENDPOINTS } from "./config.js";

// Renew when less than this is left of the token (or half its lifetime, for short ones):
// early enough that no request goes out with a token about to expire on the way.
const RENEW_WINDOW_MS = 60_000;
// A renewal that has not answered by then is given up (the session stays): a hung request
// must not hold the waiting requests, nor the renewal lock of every tab, for ever.
const RENEWAL_TIMEOUT_MS = 10_000;
// Longer than a renewal may take: only a tab frozen mid-renewal holds the lock this long.
const LOCK_WAIT_MS = 15_000;
// How long a tab that finds the counter moved waits for the other tab's token to arrive.
const TOKEN_WAIT_MS = 1_000;

const OK = Object.freeze({ ok: true });

function expiresInOf(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const { exp, iat } = JSON.parse(atob(part.padEnd(Math.ceil(part.length / 4) * 4, "=")));
    return exp && iat ? exp - iat : 0;
  } catch {
    return 0;
  }
}

export class Session extends EventTarget {
  #http;
  #tabs;
  #token = null;
  // Counts the tokens this tab has held, so requests can tell whether the token changed
  // since they were sent without keeping the token itself.
  #serial = 0;
  #expiresAt = 0;
  #lifetimeMs = 0;
  #renewal = null; // the one renewal in flight in this tab
  #rounds = 0; // renewals started by this tab
  #lastFailure = null; // {round, outcome}: the last renewal that failed but kept the session
  user = null;

  constructor(http, tabs) {
    super();
    this.#http = http;
    this.#tabs = tabs;
    tabs.listen((message) => this.#onTabMessage(message));
  }

  isAuthenticated() {
    return this.#token !== null;
  }

  /** What a request carries to tell, when its answer comes, which token and round it saw. */
  ticket() {
    return { serial: this.#serial, round: this.#rounds, hadToken: this.#token !== null };
  }

  /** Whether the token changed since `ticket` was taken (another request renewed it). */
  renewedSince(ticket) {
    return this.#token !== null && this.#serial !== ticket.serial;
  }

  /** Adds the bearer token to `headers` (or leaves them without one when signed out). */
  authorize(headers) {
    if (this.#token) headers.Authorization = `Bearer ${this.#token}`;
    else delete headers.Authorization;
  }

  /** Called before a request is sent: waits for a renewal in flight, renews a token that
   *  is about to expire. */
  async beforeSend() {
    if (this.#renewal) {
      await this.#renewal;
    } else if (this.#token && this.#expiresAt - Date.now() < Math.min(RENEW_WINDOW_MS, this.#lifetimeMs / 2)) {
      await this.renew();
    }
  }

  /**
   * A renewal that started after `ticket` was taken and failed without ending the session
   * (a 5xx, no answer): a 401 that arrives late shares its failure instead of starting
   * another attempt at once.
   */
  failureSince(ticket) {
    const last = this.#lastFailure;
    return !this.#renewal && last && last.round > ticket.round ? last.outcome : null;
  }

  /**
   * One renewal for every caller while it is in flight, and one across tabs. Resolves with
   * `{ok}`, or `{ok: false, rejected, status, error}`: `rejected` when the API refused the
   * session (it has ended), otherwise the renewal failed and the session is kept.
   */
  renew(failed = this.ticket()) {
    if (this.#renewal) return this.#renewal;
    const round = ++this.#rounds;
    const hadSession = this.#token !== null || this.user !== null;
    const renewal = this.#renewAcrossTabs(failed, hadSession)
      .catch((err) => ({ ok: false, rejected: false, status: 0, error: String(err?.message ?? err) }))
      .then((outcome) => {
        this.#lastFailure = outcome.ok || outcome.rejected ? null : { round, outcome };
        if (this.#renewal === renewal) this.#renewal = null;
        return outcome;
      });
    this.#renewal = renewal;
    return renewal;
  }

  async #renewAcrossTabs(failed, hadSession) {
    const before = await this.#tabs.renewals();
    return this.#tabs.exclusive(async () => {
      if (this.renewedSince(failed)) return OK;
      if ((await this.#tabs.renewals()) !== before) {
        await this.#tabs.next("token", TOKEN_WAIT_MS);
        if (this.renewedSince(failed)) return OK;
      }
      const answer = await this.#http.request({
        method: "POST", url: ENDPOINTS.renew, headers: { ...CSRF_HEADERS }, skipAuth: true,
        timeout: RENEWAL_TIMEOUT_MS,
      }).catch((err) => err.response ?? { status: 0, error: err.message });
      const token = answer.status === 200 ? answer.data?.access_token : null;
      if (typeof token === "string") {
        this.#adopt(token, answer.data.expires_in);
        await this.#tabs.renewals({ bump: true });
        this.#tabs.post({ type: "token", token, expiresIn: answer.data.expires_in });
        return OK;
      }
      const rejected = answer.status === 401 || answer.status === 403;
      // Refused, but another tab's newer token reached this one meanwhile: a lost race.
      if (rejected && this.renewedSince(failed)) return OK;
      if (rejected && hadSession) {
        this.#end();
        this.#tabs.post({ type: "signed-out" });
      }
      return { ok: false, rejected, status: answer.status, error: answer.error ?? `renewal answered ${answer.status}` };
    }, LOCK_WAIT_MS);
  }

  /** The silent renewal on load: a reload or a new tab picks the session up from its
   *  cookie. Never rejects; signed out when there is no session. */
  async restore() {
    const outcome = await this.renew();
    if (outcome.ok && !this.user) this.user = await this.#me();
  }

  async signIn(login, password) {
    const answer = await this.#http.request({
      method: "POST", url: ENDPOINTS.signIn, data: { login, password }, skipAuth: true,
    }).catch((err) => {
      throw new Error(err.response?.data?.message ?? `sign-in failed (${err.status || err.message})`);
    });
    const { access_token: token, expires_in: expiresIn } = answer.data;
    this.#adopt(token, expiresIn);
    this.user = await this.#me();
    this.#tabs.post({ type: "signed-in", token, expiresIn, user: this.user });
    this.#changed();
  }

  /** Ends the session here and in every tab at once, then on the server. Resolves once the
   *  server answered (or could not be reached: the session is over here either way). */
  async signOut() {
    const headers = { ...CSRF_HEADERS };
    // With the token too: the server ends the session it names even without the cookie.
    this.authorize(headers);
    this.#end();
    this.#tabs.post({ type: "signed-out" });
    await this.#http.request({
      method: "DELETE", url: ENDPOINTS.signOut, headers, skipAuth: true, timeout: RENEWAL_TIMEOUT_MS,
    }).catch(() => undefined);
  }

  #me() {
    return this.#http.request({ url: ENDPOINTS.me }).then((res) => res.data, () => null);
  }

  #adopt(token, expiresIn) {
    if (token !== this.#token) {
      this.#token = token;
      this.#serial += 1;
    }
    // Dated from when the answer arrived, by this tab's clock: the server's clock may differ.
    this.#lifetimeMs = (Number(expiresIn) || expiresInOf(token)) * 1000;
    this.#expiresAt = Date.now() + this.#lifetimeMs;
  }

  #end() {
    const had = this.#token !== null || this.user !== null;
    this.#token = null;
    this.#expiresAt = 0;
    this.user = null;
    if (had) this.#changed();
  }

  // Synchronous on purpose: a tab told of a sign-out shows its sign-in page in the same
  // task, even when its timers and animation frames are not running (a background tab).
  #changed() {
    this.dispatchEvent(new Event("change"));
  }

  #onTabMessage(message) {
    switch (message?.type) {
      case "token": // another tab renewed: the same session, a newer token
        if (this.#token !== null || this.#renewal) this.#adopt(message.token, message.expiresIn);
        break;
      case "signed-in":
        this.#adopt(message.token, message.expiresIn);
        this.user = message.user;
        this.#changed();
        break;
      case "signed-out":
        this.#end();
        break;
      default:
    }
  }
}
