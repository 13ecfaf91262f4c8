// Redux Toolkit Query 2.14.0 with async-mutex 0.5.0: the `baseQueryWithReauth` of RTK
// Query's docs, "Customizing queries" > "Automatic re-authorization by extending
// fetchBaseQuery" > "Preventing multiple unauthorized errors":
// https://redux-toolkit.js.org/rtk-query/usage/customizing-queries#preventing-multiple-unauthorized-errors
// The token is in the Redux store, added by `fetchBaseQuery`'s `prepareHeaders` as its API
// page shows (https://redux-toolkit.js.org/rtk-query/api/fetchBaseQuery#setting-default-headers-on-requests);
// the recipe's `tokenReceived` and `loggedOut` are the auth slice's actions.
//
// Kept from the docs: a refresh that brings no data dispatches `loggedOut()`, whatever the
// reason. Changed, as in every app here: the refresh call is the backend's (POST, with the
// cookie and its CSRF header). The app's own part: the generic endpoints the driver calls,
// and the pages told when the store's token goes.

import { configureStore, createSlice } from "@reduxjs/toolkit";
import { createApi, fetchBaseQuery } from "@reduxjs/toolkit/query";
import { Mutex } from "async-mutex";
import { API, CSRF_HEADER, PATHS, startApp } from "../page.js";

const authSlice = createSlice({
  name: "auth",
  initialState: { token: null },
  reducers: {
    tokenReceived: (state, action) => { state.token = action.payload.accessToken; },
    loggedOut: (state) => { state.token = null; },
  },
});
const { tokenReceived, loggedOut } = authSlice.actions;
const REFRESH = { url: PATHS.refresh, method: "POST", credentials: "include", headers: CSRF_HEADER };

// create a new mutex
const mutex = new Mutex();
const baseQuery = fetchBaseQuery({
  baseUrl: API,
  prepareHeaders: (headers, { getState }) => {
    // By default, if we have a token in the store, let's use that for authenticated requests
    const token = getState().auth.token;
    if (token) {
      headers.set("authorization", `Bearer ${token}`);
    }
    return headers;
  },
});
const baseQueryWithReauth = async (args, api, extraOptions) => {
  // wait until the mutex is available without locking it
  await mutex.waitForUnlock();
  let result = await baseQuery(args, api, extraOptions);
  if (result.error && result.error.status === 401) {
    // checking whether the mutex is locked
    if (!mutex.isLocked()) {
      const release = await mutex.acquire();
      try {
        const refreshResult = await baseQuery(REFRESH, api, extraOptions);
        if (refreshResult.data) {
          api.dispatch(tokenReceived(refreshResult.data));
          // retry the initial query
          result = await baseQuery(args, api, extraOptions);
        } else {
          api.dispatch(loggedOut());
        }
      } finally {
        // release must be called once the mutex should be released again.
        release();
      }
    } else {
      // wait until the mutex is available without locking it
      await mutex.waitForUnlock();
      result = await baseQuery(args, api, extraOptions);
    }
  }
  return result;
};

// --- the app's own part ------------------------------------------------------------------
// Generic endpoints for the driver, answering {status, body}. The auth calls and skipAuth go
// through a fetchBaseQuery without the token (`queryFn`, which bypasses baseQueryWithReauth).
const bareQuery = fetchBaseQuery({ baseUrl: API });
const answer = (error) => (typeof error.status === "number"
  ? { status: error.status, body: error.data ?? null }
  : { status: 0, body: null, error: `${error.status}: ${error.error}` });

const backend = createApi({
  baseQuery: baseQueryWithReauth,
  endpoints: (build) => ({
    request: build.mutation({
      query: ({ method, url, body }) => ({ method, url, body }),
      transformResponse: (body, meta) => ({ status: meta.response.status, body }),
      transformErrorResponse: answer,
    }),
    bare: build.mutation({
      async queryFn(args, api, extraOptions) {
        const result = await bareQuery(args, api, extraOptions);
        return result.error ? { error: answer(result.error) }
          : { data: { status: result.meta.response.status, body: result.data } };
      },
    }),
  }),
});

const store = configureStore({
  reducer: { auth: authSlice.reducer, [backend.reducerPath]: backend.reducer },
  middleware: (getDefault) => getDefault().concat(backend.middleware),
});

const call = async (endpoint, args) => {
  const result = await store.dispatch(backend.endpoints[endpoint].initiate(args));
  return result.data ?? result.error;
};
const token = () => store.getState().auth.token;

let shown = null;
store.subscribe(() => {
  if (shown !== null && token() === null) page.sessionEnded();
  shown = token();
});

const page = startApp({
  async restore() {
    const res = await call("bare", REFRESH);
    if (res.status === 200) store.dispatch(tokenReceived(res.body));
  },
  async login(username, password) {
    const res = await call("bare", {
      url: PATHS.login, method: "POST", body: { username, password }, credentials: "include",
    });
    if (res.status !== 200) throw new Error(res.body?.message ?? res.error ?? `login failed (${res.status})`);
    store.dispatch(tokenReceived(res.body));
  },
  async logout() {
    store.dispatch(loggedOut());
    await call("bare", { url: PATHS.logout, method: "POST", credentials: "include", headers: CSRF_HEADER });
  },
  request: (method, url, body, { skipAuth = false }) =>
    call(skipAuth ? "bare" : "request", { method, url, body: body ?? undefined }),
  isAuthenticated: () => token() !== null,
});
