import { AxiosError, type AxiosInstance, isAxiosError } from 'axios';

import { API_ORIGIN, AUTH_PATHS } from '../api/client';
import { session } from './session';

/**
 * Adds the access token to API requests and turns a 401 into one shared refresh and one
 * retry. Other origins never see the token (or the cookie); a 403 is an answer, not an
 * expired token (RFC 6750 section 3.1); a retry that still gets 401 fails with that 401.
 */
export function installAuthInterceptor(http: AxiosInstance): void {
  http.interceptors.request.use(async (config) => {
    const url = new URL(http.getUri(config), location.href);
    if (url.origin !== API_ORIGIN) return config;
    config.withCredentials = true; // the refresh cookie, cross-origin too
    if (config.skipAuth || AUTH_PATHS.includes(url.pathname)) return config;
    // A request sent while a refresh is in flight waits for it (and one near exp renews first).
    config.sent = await session.beforeSend();
    if (config.sent.token) config.headers.Authorization = `Bearer ${config.sent.token}`;
    else config.headers.delete('Authorization');
    return config;
  });

  http.interceptors.response.use(undefined, async (error: unknown) => {
    const config = isAxiosError(error) ? error.config : undefined;
    const sent = config?.sent;
    if (!config || !sent?.token || config.retried || !isUnauthorized(error)) throw error;
    config.retried = true; // one retry per request, whatever it gets
    const current = session.token();
    if (current === null) throw error; // the session ended meanwhile
    if (current !== sent.token) return http(config); // already refreshed: retry with it
    const outcome = await session.refreshAfter(sent);
    if (outcome.ok) return http(config);
    if (outcome.rejected) throw error;
    throw new AxiosError(outcome.error, 'ERR_REFRESH_FAILED', config);
  });
}

function isUnauthorized(error: unknown): boolean {
  return isAxiosError(error) && error.response?.status === 401;
}
