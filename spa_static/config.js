// Settings of the app. A test harness may inject `window.authHarnessConfig` before any
// script runs; every knob has a default so the app also runs on its own.

const injected = window.authHarnessConfig ?? {};

function nonNegative(value, fallback) {
  const n = Number(value);
  return value !== undefined && value !== null && Number.isFinite(n) && n >= 0 ? n : fallback;
}

function baseUrl(value) {
  const url = new URL(value ?? window.location.origin, window.location.href);
  return url.href.replace(/\/+$/, "");
}

const apiBaseUrl = baseUrl(injected.apiBaseUrl);

export const config = Object.freeze({
  // Where the API lives; all API URLs are `apiBaseUrl + path`.
  apiBaseUrl,
  apiOrigin: new URL(apiBaseUrl).origin,
  // Refresh before sending when the token expires within this many seconds.
  refreshSkewSeconds: nonNegative(injected.refreshSkewSeconds, 300),
  // A refresh that has not answered after this long is aborted (and the session kept).
  refreshTimeoutSeconds: nonNegative(injected.refreshTimeoutSeconds, 10),
  // How long a tab waits for the cross-tab refresh lock before it refreshes without it:
  // longer than a refresh may take, so only a tab that is stuck (frozen mid-refresh, its
  // timers stopped) is ever passed over.
  lockWaitSeconds: nonNegative(injected.lockWaitSeconds, 15),
  // How long a tab that waited for another tab's refresh waits for that tab's token.
  crossTabWaitSeconds: nonNegative(injected.crossTabWaitSeconds, 1),
  // API requests this tab has on the wire at once, the rest queued in the app (0: no
  // limit): the six connections per origin a browser opens over HTTP/1.1.
  maxApiRequestsInFlight: nonNegative(injected.maxApiRequestsInFlight, 6),
  // Entries kept in the activity log panel.
  activityLogLimit: nonNegative(injected.activityLogLimit, 500),
});

export function apiUrl(path) {
  return config.apiBaseUrl + path;
}
