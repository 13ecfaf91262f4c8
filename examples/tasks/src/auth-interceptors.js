// The two interceptors that put the session on the HTTP client:
//
// - on the way out, a request to the API gets `Authorization: Bearer <token>`, once any
//   renewal in flight is done (requests sent while one runs wait for it instead of
//   collecting a 401 each);
// - on the way back, a 401 for a request that carried a token becomes one shared renewal
//   and one retry of the same request (same method, URL, body and headers; only the token
//   changes). A retried request that gets a 401 again is answered with it: no loop.
//
// Requests to other origins, and requests marked `skipAuth`, go out as they are: no token,
// no renewal. `skipAuth` and the bookkeeping live in the request's config, never in a header.

import { HttpError } from "./http-client.js";

export function installAuth(http, session) {
  http.interceptors.request.use(async (config) => {
    if (config.skipAuth || !http.isApi(config.url)) return config;
    const before = session.isAuthenticated();
    await session.beforeSend();
    if (before && !session.isAuthenticated()) {
      // The renewal it waited for ended the session: sending it without a token would
      // only collect a 401.
      throw new HttpError("the session has ended", { config, code: "ERR_SIGNED_OUT" });
    }
    session.authorize(config.headers);
    return { ...config, ticket: session.ticket() };
  });

  http.interceptors.response.use(undefined, async (error) => {
    const { config } = error;
    if (error.status !== 401 || !config?.ticket?.hadToken || config.retried) throw error;
    const retry = () => http.request({ ...config, retried: true });
    // Signed out meanwhile (another tab, a refused renewal): nothing to renew.
    if (!session.isAuthenticated()) throw error;
    // A late 401: the token was renewed after this request went out.
    if (session.renewedSince(config.ticket)) return retry();
    const outcome = session.failureSince(config.ticket) ?? await session.renew(config.ticket);
    if (outcome.ok) return retry();
    if (outcome.rejected) throw error; // the session is over: its 401 stands
    throw new HttpError(`the session could not be renewed: ${outcome.error}`, { config, code: "ERR_RENEWAL" });
  });
}
