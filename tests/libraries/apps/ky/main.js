// ky 2.1.0, with the refresh recipe of its README's `hooks.afterResponse` ("Or retry with a
// fresh token on a 401 error"): https://github.com/sindresorhus/ky#hooksafterresponse, and
// the token added in `hooks.beforeRequest` as its FAQ shows ("How do I add authentication
// headers to every request?"). On the first 401 of a request the hook posts to the refresh
// endpoint and forces one retry, `ky.retry({request})`, with the new token.
//
// Kept from the README: the token goes on every request of the instance, whatever its
// origin; ky's other defaults stay (a 10 s timeout, `retry.limit` 2). Changed, as in every
// app here: the token lives in memory, the refresh call carries the cookie and the
// backend's CSRF header. The app's own part: a refused refresh ends the session.

import ky, { isHTTPError } from "ky";
import { API, CSRF_HEADER, PATHS, REFUSED, startApp } from "../page.js";

let token = null;

const getToken = () => token;

const api = ky.create({
  hooks: {
    beforeRequest: [
      ({ request }) => {
        request.headers.set("Authorization", `Bearer ${getToken()}`);
      },
    ],
    afterResponse: [
      // Or retry with a fresh token on a 401 error
      async ({ request, response, retryCount }) => {
        if (response.status === 401 && retryCount === 0) {
          // Only refresh on first 401, not on subsequent retries
          const { accessToken } = await ky.post(API + PATHS.refresh, {
            credentials: "include", headers: CSRF_HEADER,
          }).json().catch(refused);
          token = accessToken;

          const headers = new Headers(request.headers);
          headers.set("Authorization", `Bearer ${token}`);

          return ky.retry({
            request: new Request(request, { headers }),
            code: "TOKEN_REFRESHED",
          });
        }
      },
    ],
  },
});

// --- the app's own part ------------------------------------------------------------------
// Plain `ky`, without the hooks: login, logout, the silent refresh on load, and skipAuth.
function refused(error) {
  if (isHTTPError(error) && REFUSED.includes(error.response.status)) {
    token = null;
    page.sessionEnded();
  }
  throw error;
}

async function answer(promise) {
  try {
    const res = await promise;
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  } catch (err) {
    if (isHTTPError(err)) return { status: err.response.status, body: err.data ?? null };
    return { status: 0, body: null, error: String(err) };
  }
}

const page = startApp({
  async restore() {
    ({ accessToken: token } = await ky.post(API + PATHS.refresh, {
      credentials: "include", headers: CSRF_HEADER,
    }).json());
  },
  async login(username, password) {
    const res = await answer(ky.post(API + PATHS.login, { json: { username, password }, credentials: "include" }));
    if (res.status !== 200) throw new Error(res.body?.message ?? res.error ?? `login failed (${res.status})`);
    token = res.body.accessToken;
  },
  async logout() {
    token = null;
    await answer(ky.post(API + PATHS.logout, { credentials: "include", headers: CSRF_HEADER }));
  },
  request: (method, url, json, { skipAuth = false }) =>
    answer((skipAuth ? ky : api)(url, { method, json: json ?? undefined })),
  isAuthenticated: () => token !== null,
});
