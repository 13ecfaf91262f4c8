// axios-auth-refresh 5.0.2 on axios 1.x, as its README gives the recipe:
// https://github.com/Flyrell/axios-auth-refresh#usage ("Usage", "Request interceptor"; the
// README of the 5.0.2 package). `createAuthRefresh` on the axios instance the app calls; a
// request interceptor that reads the token on every call; the refresh logic posts to the
// refresh endpoint on that same instance and sets the failed request's header. The two apps
// differ only in `options` ("Deduplicate refresh calls": with `deduplicateRefresh: false`
// the README asks for `skipAuthRefresh` on the refresh call, "to avoid interceptor loops").
//
// Kept from the README: the interceptor sends `Bearer <token>` on every request of the
// instance, whatever its origin. Changed, as in every app here: the token lives in memory
// (the README keeps it in localStorage), the refresh call carries the cookie and the
// backend's CSRF header. The app's own part: a refused refresh ends the session.

import axios from "axios";
import { createAuthRefresh } from "axios-auth-refresh";
import { API, CSRF_HEADER, PATHS, REFUSED, startApp } from "../page.js";

export function startRecipeApp(options) {
  let token = null;

  function getAccessToken() {
    return token;
  }

  // Function that will be called to refresh authorization
  const refreshAuthLogic = (failedRequest) =>
    axios.post(API + PATHS.refresh, null, {
      withCredentials: true,
      headers: CSRF_HEADER,
      skipAuthRefresh: options.deduplicateRefresh === false,
    }).then((tokenRefreshResponse) => {
      token = tokenRefreshResponse.data.accessToken;
      failedRequest.response.config.headers["Authorization"] = "Bearer " + token;
      return Promise.resolve();
    }, refused);

  // Instantiate the interceptor
  createAuthRefresh(axios, refreshAuthLogic, options);

  // Use interceptor to inject the token to requests
  axios.interceptors.request.use((request) => {
    request.headers["Authorization"] = `Bearer ${getAccessToken()}`;
    return request;
  });

  // --- the app's own part ----------------------------------------------------------------
  // A client without the interceptors: login, logout, the silent refresh on load, skipAuth.
  const bare = axios.create();

  function refused(error) {
    if (REFUSED.includes(error.response?.status)) {
      token = null;
      page.sessionEnded();
    }
    throw error;
  }

  const answer = (promise) => promise.then(
    (res) => ({ status: res.status, body: res.data }),
    (err) => (err.response ? { status: err.response.status, body: err.response.data }
      : { status: 0, body: null, error: String(err.message ?? err) }));

  const page = startApp({
    async restore() {
      const res = await bare.post(API + PATHS.refresh, null, { withCredentials: true, headers: CSRF_HEADER });
      token = res.data.accessToken;
    },
    async login(username, password) {
      const res = await bare.post(API + PATHS.login, { username, password }, { withCredentials: true })
        .catch((err) => { throw new Error(err.response?.data?.message ?? String(err)); });
      token = res.data.accessToken;
    },
    async logout() {
      token = null;
      await answer(bare.post(API + PATHS.logout, null, { withCredentials: true, headers: CSRF_HEADER }));
    },
    request: (method, url, data, { skipAuth = false }) =>
      answer((skipAuth ? bare : axios).request({ method, url, data })),
    isAuthenticated: () => token !== null,
  });
}
