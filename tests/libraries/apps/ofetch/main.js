// ofetch 1.5.1. Its README has no refresh recipe; this is the one its issue tracker gives
// (https://github.com/unjs/ofetch/issues/300: `retryStatusCodes: [401]` and an
// `onResponseError` interceptor that gets a new token, after which ofetch retries the
// request), on an `ofetch.create` instance as the README's "Interceptors" suggests for shared
// interceptors, the token set in `onRequest` as the "Adding Authentication" example of
// https://www.mintlify.com/unjs/ofetch/features/interceptors does. ofetch's README, "Auto
// Retry": the default `retry` is 1, and 0 for POST, PUT, PATCH and DELETE.
//
// Kept from the recipe: the token goes on every request of the instance, whatever its
// origin. Changed, as in every app here: the token lives in memory, the refresh call carries
// the cookie and the backend's CSRF header. The app's own part: a refused refresh ends the
// session.

import { ofetch } from "ofetch";
import { API, CSRF_HEADER, PATHS, REFUSED, startApp } from "../page.js";

let token = null;

const apiFetch = ofetch.create({
  retryStatusCodes: [401],
  onRequest({ options }) {
    // Add authorization header
    if (token) {
      options.headers.set("Authorization", `Bearer ${token}`);
    }
  },
  async onResponseError({ response }) {
    if (response.status === 401) {
      const { accessToken } = await ofetch(API + PATHS.refresh, {
        method: "POST", credentials: "include", headers: CSRF_HEADER,
      }).catch(refused);
      token = accessToken;
    }
  },
});

// --- the app's own part ------------------------------------------------------------------
// Plain `ofetch`, without the interceptors: login, logout, the silent refresh on load, and
// skipAuth.
function refused(error) {
  if (REFUSED.includes(error.response?.status)) {
    token = null;
    page.sessionEnded();
  }
  throw error;
}

async function answer(promise) {
  try {
    const res = await promise;
    return { status: res.status, body: res._data ?? null };
  } catch (err) {
    if (err.response) return { status: err.response.status, body: err.data ?? null };
    return { status: 0, body: null, error: String(err) };
  }
}

const page = startApp({
  async restore() {
    ({ accessToken: token } = await ofetch(API + PATHS.refresh, {
      method: "POST", credentials: "include", headers: CSRF_HEADER,
    }));
  },
  async login(username, password) {
    const res = await answer(ofetch.raw(API + PATHS.login, {
      method: "POST", body: { username, password }, credentials: "include",
    }));
    if (res.status !== 200) throw new Error(res.body?.message ?? res.error ?? `login failed (${res.status})`);
    token = res.body.accessToken;
  },
  async logout() {
    token = null;
    await answer(ofetch.raw(API + PATHS.logout, { method: "POST", credentials: "include", headers: CSRF_HEADER }));
  },
  request: (method, url, body, { skipAuth = false }) =>
    answer((skipAuth ? ofetch : apiFetch).raw(url, { method, body: body ?? undefined })),
  isAuthenticated: () => token !== null,
});
