// A small axios-like HTTP client on XMLHttpRequest.
//
// - `request(config)` resolves with `{status, data, headers, config}` for a 2xx answer and
//   rejects with an `HttpError` for anything else: another status (`error.response` holds
//   it), no answer (`ERR_NETWORK`), a timeout (`ECONNABORTED`) or a cancellation.
// - Request interceptors may rewrite the config (or throw to cancel); response interceptors
//   see every answer and every error, and may answer in their place (a retry, say).
// - Credentials (the session cookie) go to the API's origin only, never to other origins.
// - Timeouts run on setTimeout and abort the XHR, instead of `xhr.timeout`, so that they
//   follow the page's own clock: a tab whose timers are frozen gives up when it thaws, and
//   a test that moves the page's clock moves the timeout too.

export class HttpError extends Error {
  constructor(message, { config, response = null, code = "ERR_BAD_RESPONSE" }) {
    super(message);
    this.name = "HttpError";
    this.code = code;
    this.config = config;
    this.response = response;
  }

  /** The answer's status, 0 when none came. */
  get status() {
    return this.response?.status ?? 0;
  }
}

class Interceptors {
  #handlers = [];

  use(fulfilled, rejected) {
    this.#handlers.push({ fulfilled, rejected });
    return this.#handlers.length - 1;
  }

  *[Symbol.iterator]() {
    yield* this.#handlers;
  }
}

function parse(text) {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text; // not JSON: handed over as it came
  }
}

export class HttpClient {
  #base;
  #origin;
  interceptors = { request: new Interceptors(), response: new Interceptors() };

  constructor({ baseURL }) {
    this.#base = baseURL;
    this.#origin = new URL(baseURL).origin;
  }

  /** An absolute URL: a path is taken relative to the API base. */
  resolve(url) {
    return /^[a-z][a-z0-9+.-]*:/i.test(url) ? url : this.#base + url;
  }

  /** Whether `url` is on the API's origin (the only one that gets credentials and tokens). */
  isApi(url) {
    return new URL(this.resolve(url)).origin === this.#origin;
  }

  async request(config) {
    let cfg = { method: "GET", timeout: 0, ...config, headers: { ...config.headers } };
    cfg.method = cfg.method.toUpperCase();
    cfg.url = this.resolve(cfg.url);
    for (const { fulfilled } of this.interceptors.request) {
      if (fulfilled) cfg = await fulfilled(cfg);
    }
    let answer = this.#send(cfg);
    for (const { fulfilled, rejected } of this.interceptors.response) {
      answer = answer.then(fulfilled, rejected);
    }
    return answer;
  }

  #send(cfg) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(cfg.method, cfg.url);
      xhr.withCredentials = this.isApi(cfg.url);
      let body = null;
      if (cfg.data !== undefined && cfg.data !== null) {
        body = JSON.stringify(cfg.data);
        xhr.setRequestHeader("Content-Type", "application/json");
      }
      for (const [name, value] of Object.entries(cfg.headers)) xhr.setRequestHeader(name, value);

      let reason = "canceled";
      const stop = (why) => {
        reason = why;
        xhr.abort();
      };
      const timer = cfg.timeout > 0 ? setTimeout(() => stop("timeout"), cfg.timeout) : null;
      const onAbort = () => stop("canceled");
      cfg.signal?.addEventListener("abort", onAbort, { once: true });
      const settle = () => {
        clearTimeout(timer);
        cfg.signal?.removeEventListener("abort", onAbort);
      };

      xhr.onload = () => {
        settle();
        const response = { status: xhr.status, data: parse(xhr.responseText), config: cfg,
                           headers: xhr.getAllResponseHeaders() };
        if (xhr.status >= 200 && xhr.status < 300) resolve(response);
        else reject(new HttpError(`Request failed with status ${xhr.status}`, { config: cfg, response }));
      };
      // A connection refused, or cut in the middle of the answer.
      xhr.onerror = () => {
        settle();
        reject(new HttpError("Network Error", { config: cfg, code: "ERR_NETWORK" }));
      };
      xhr.onabort = () => {
        settle();
        reject(reason === "timeout"
          ? new HttpError(`timeout of ${cfg.timeout} ms exceeded`, { config: cfg, code: "ECONNABORTED" })
          : new HttpError("Request canceled", { config: cfg, code: "ERR_CANCELED" }));
      };
      xhr.send(body);
    });
  }
}
