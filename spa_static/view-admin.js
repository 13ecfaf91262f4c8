// Admin: statistics for the admin role. A 403 (insufficient scope) is shown as such:
// the token is valid, so there is no refresh and no logout.

import { apiUrl } from "./config.js";
import { byTestId, fromTemplate, renderFacts, say } from "./dom.js";

const label = (key) => key.replace(/([a-z])([A-Z])/g, "$1 $2").replace(/^./, (c) => c.toUpperCase());

function failureText(res) {
  if (res.status === 403) return "Access denied (403, insufficient scope): the admin role is required.";
  if (res.status === 401) return "Your session has ended. Sign in again.";
  if (res.status === 0) return `The server could not be reached (${res.error}).`;
  return `Could not load the statistics (status ${res.status}).`;
}

export function adminView(http) {
  return {
    mount(outlet) {
      const view = fromTemplate("view-admin");
      const stats = byTestId(view, "admin-stats");
      const error = byTestId(view, "admin-error");
      const loading = view.querySelector('[data-role="loading"]');
      outlet.append(view);

      http.get(apiUrl("/api/admin/stats")).then((res) => {
        if (!view.isConnected) return;
        loading.hidden = true;
        if (res.status === 200 && res.body && typeof res.body === "object") {
          renderFacts(stats, Object.entries(res.body).map(([key, value]) => [label(key), value]));
          stats.hidden = false;
        } else {
          say(error, failureText(res));
        }
      });
    },
  };
}
