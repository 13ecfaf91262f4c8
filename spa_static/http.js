// An HttpClient in the shape of Angular's: every request passes an interceptor chain,
// `interceptor.intercept(req, next)`, and ends in a fetch-based backend.
//
// A response is `{status, body, headers}`; a request that never got an answer (network
// error, abort, timeout) resolves with status 0 and an `error` string. Nothing in the
// chain rejects, so no caller can leave an unhandled rejection behind.

export class HttpRequest {
  constructor(method, url, { body, headers, signal, priority } = {}) {
    this.method = method.toUpperCase();
    this.url = new URL(url, window.location.href).href;
    this.body = body;
    this.headers = new Headers(headers);
    this.signal = signal;
    this.priority = priority;
    Object.freeze(this);
  }

  // Requests are never changed in place: interceptors clone them, as in Angular.
  clone({ setHeaders = {}, deleteHeaders = [], ...changes } = {}) {
    const headers = new Headers(this.headers);
    for (const [name, value] of Object.entries(setHeaders)) headers.set(name, value);
    for (const name of deleteHeaders) headers.delete(name);
    return new HttpRequest(changes.method ?? this.method, changes.url ?? this.url, {
      body: "body" in changes ? changes.body : this.body,
      headers,
      signal: "signal" in changes ? changes.signal : this.signal,
      priority: "priority" in changes ? changes.priority : this.priority,
    });
  }
}

export function failedResponse(status, error, body = null) {
  return { status, body, headers: new Headers(), error };
}

function describeFailure(err) {
  if (err?.name === "AbortError" || err?.name === "TimeoutError") return "timeout";
  return `network error: ${err?.message ?? err}`;
}

async function readBody(response) {
  if (response.status === 204 || response.status === 205) return null;
  const text = await response.text();
  if (!text) return null;
  if ((response.headers.get("content-type") ?? "").includes("json")) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

// The end of the chain. `credentials: 'include'` sends the refresh cookie to the API
// also when the app runs on another origin (CORS with credentials). `cache: 'no-store'`
// keeps authenticated answers out of the HTTP cache, and stops the browser from holding
// identical GETs back while one of them is in flight (Chromium's cache lock).
export class FetchBackend {
  async handle(req) {
    const headers = new Headers(req.headers);
    const init = { method: req.method, headers, credentials: "include", cache: "no-store", signal: req.signal };
    if (req.priority) init.priority = req.priority;
    if (req.body !== undefined && req.body !== null) {
      init.body = JSON.stringify(req.body);
      if (!headers.has("Content-Type")) headers.set("Content-Type", "application/json");
    }
    try {
      const response = await fetch(req.url, init);
      return { status: response.status, body: await readBody(response), headers: response.headers };
    } catch (err) {
      return failedResponse(0, describeFailure(err));
    }
  }
}

export class HttpClient {
  #backend;
  #interceptors = [];

  constructor(backend) {
    this.#backend = backend;
  }

  // Interceptors run in the order they were added; the last one is next to the network.
  use(...interceptors) {
    this.#interceptors.push(...interceptors);
    return this;
  }

  async handle(req) {
    const chain = this.#interceptors.reduceRight(
      (next, interceptor) => (r) => interceptor.intercept(r, next),
      (r) => this.#backend.handle(r),
    );
    try {
      return await chain(req);
    } catch (err) {
      return failedResponse(0, `client error: ${err?.message ?? err}`);
    }
  }

  request(method, url, options = {}) {
    return this.handle(new HttpRequest(method, url, options));
  }

  get(url, options = {}) {
    return this.request("GET", url, options);
  }

  post(url, body, options = {}) {
    return this.request("POST", url, { ...options, body });
  }
}
