// Attaches the access token to API requests and turns a 401 into one shared refresh and
// one retry per request, the way the seed's Angular interceptor does with its
// `refreshingInProgress` flag and token subject.

import { failedResponse } from "./http.js";

// Per-request opt-out (the seed's "skip" header). It is removed here and never sent.
export const SKIP_AUTH_HEADER = "X-Skip-Auth";

// 401s from these mean "wrong password" or "no session", not "token expired".
const AUTH_ENDPOINTS = ["/api/login", "/api/refresh-token", "/api/logout"];

function withBearer(req, token) {
  // RFC 6750 section 2.1: the token goes in the Authorization header, never the URL.
  return token === null ? req : req.clone({ setHeaders: { Authorization: `Bearer ${token}` } });
}

function pathOf(req) {
  return new URL(req.url).pathname;
}

export class AuthInterceptor {
  #auth;
  #log;
  #apiOrigin;
  #authEndpoints;

  constructor(auth, config, log) {
    this.#auth = auth;
    this.#log = log;
    this.#apiOrigin = config.apiOrigin;
    this.#authEndpoints = new Set(AUTH_ENDPOINTS.map((p) => {
      const url = new URL(config.apiBaseUrl + p);
      return url.origin + url.pathname;
    }));
  }

  async intercept(req, next) {
    if (req.headers.has(SKIP_AUTH_HEADER)) return next(req.clone({ deleteHeaders: [SKIP_AUTH_HEADER] }));
    // The token is for our API only: other origins never see it.
    const url = new URL(req.url);
    if (url.origin !== this.#apiOrigin) return next(req);
    if (this.#authEndpoints.has(url.origin + url.pathname)) return next(req);

    const before = await this.#auth.ensureFreshToken();
    const sent = { token: this.#auth.accessToken, round: this.#auth.refreshRound };
    const res = await next(withBearer(req, sent.token));
    // A 403 is a valid token without the right scope: no refresh, no logout (RFC 6750 3.1).
    if (res.status !== 401 || sent.token === null) return res;
    return this.#recover(req, next, sent, res, before);
  }

  // One retry at most, with whatever token the session holds after the recovery step;
  // a 401 on the retry is returned as it is.
  async #recover(req, next, sent, unauthorized, before) {
    const label = `${req.method} ${pathOf(req)}`;
    const current = this.#auth.accessToken;
    if (current === null) return unauthorized;
    if (current !== sent.token) {
      // Sent with a token that has been replaced meanwhile: the new one is already here.
      this.#log.add("retry", `retrying ${label} with the newer token (no refresh)`);
      return next(withBearer(req, current));
    }
    // At most one refresh per request: one that already ran before sending is not repeated.
    const outcome = before ?? (await this.#auth.refresh(`401 on ${label}`, sent.round));
    if (!outcome.ok) {
      return outcome.rejected ? unauthorized : failedResponse(outcome.status, outcome.error);
    }
    if (before) return unauthorized;
    const renewed = this.#auth.accessToken;
    if (renewed === null) return unauthorized;
    this.#log.add("retry", `retrying ${label} with the new token`);
    return next(withBearer(req, renewed));
  }
}

// At most `limit` requests at once (0: no limit); the others wait their turn, first come
// first served.
class Slots {
  #free;
  #waiting = [];

  constructor(limit) {
    this.#free = limit > 0 ? limit : Infinity;
  }

  async take() {
    if (this.#free > 0) {
      this.#free -= 1;
      return;
    }
    await new Promise((resolve) => this.#waiting.push(resolve));
  }

  give() {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free += 1;
  }
}

// The first interceptor: at most `config.maxApiRequestsInFlight` API requests of this tab
// at once, each holding its turn until the auth interceptor is done with it (its refresh
// and retry included); the others wait here, before a token is attached. Over HTTP/1.1 a
// browser has six connections per origin and queues the rest itself, in its own order: a
// refresh started by the first 401 of a burst would wait behind every request of the
// burst, each sent with the expired token and each answered 401. Held here, they go out
// after the refresh with the new token. Requests that skip auth (login, the refresh,
// logout) and requests to other origins never wait.
export class RequestLimitInterceptor {
  #slots;
  #apiOrigin;

  constructor(config) {
    this.#slots = new Slots(config.maxApiRequestsInFlight);
    this.#apiOrigin = config.apiOrigin;
  }

  async intercept(req, next) {
    if (req.headers.has(SKIP_AUTH_HEADER) || new URL(req.url).origin !== this.#apiOrigin) return next(req);
    await this.#slots.take();
    try {
      return await next(req);
    } finally {
      this.#slots.give();
    }
  }
}
