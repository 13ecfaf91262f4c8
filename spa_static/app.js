// The composition root: builds the services, the interceptor chain and the routes, keeps
// the header in step with the session, bootstraps, and exposes the harness driver.

import { config } from "./config.js";
import { ActivityLog, ActivityLogInterceptor } from "./activity-log.js";
import { FetchBackend, HttpClient } from "./http.js";
import { TabSync } from "./cross-tab.js";
import { AuthService } from "./auth-service.js";
import { AuthInterceptor, RequestLimitInterceptor } from "./auth-interceptor.js";
import { Router, authGuard, guestGuard } from "./router.js";
import { byTestId } from "./dom.js";
import { homeView } from "./view-home.js";
import { loginView } from "./view-login.js";
import { profileView } from "./view-profile.js";
import { adminView } from "./view-admin.js";
import { installHarnessDriver } from "./harness-driver.js";

const AFTER_LOGIN = "/profile";

const log = new ActivityLog(config.activityLogLimit);
log.attach(byTestId(document, "activity-log"));
byTestId(document, "activity-clear").addEventListener("click", () => log.clear());

// The request limit comes first, then the auth interceptor; the log interceptor sits next
// to the network, so the log shows every request actually sent, retries and refreshes
// included.
const http = new HttpClient(new FetchBackend());
const auth = new AuthService({ http, tabs: new TabSync(), log, config });
http.use(new RequestLimitInterceptor(config), new AuthInterceptor(auth, config, log),
  new ActivityLogInterceptor(log));

const requireSession = authGuard(auth);
const router = new Router(document.getElementById("outlet"), {
  "/": { view: homeView() },
  "/login": { view: loginView(auth), canActivate: guestGuard(auth, AFTER_LOGIN) },
  "/profile": { view: profileView(http, log), canActivate: requireSession },
  "/admin": { view: adminView(http), canActivate: requireSession },
});

const status = byTestId(document, "auth-status");
const logoutButton = byTestId(document, "logout-button");
const navLogin = byTestId(document, "nav-login");
const navLinks = document.querySelectorAll(".nav a");

function renderSession() {
  const signedIn = auth.isAuthenticated;
  const who = auth.user?.name ?? auth.user?.username;
  status.textContent = signedIn ? `Signed in${who ? ` as ${who}` : ""}` : "Signed out";
  status.dataset.state = signedIn ? "authenticated" : "anonymous";
  logoutButton.hidden = !signedIn;
  navLogin.hidden = signedIn;
}

router.addEventListener("navigate", (e) => {
  for (const link of navLinks) {
    if (new URL(link.href).pathname === e.detail.path) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
});

let started = false;

// A session that starts (here or in another tab) re-runs the guards: the login page
// forwards to `returnUrl`, other views reload for the new user. A session that ends
// shows the login page at once, remembering a guarded page to come back to.
auth.addEventListener("change", (e) => {
  renderSession();
  if (!started) return;
  const onGuardedPage = router.route?.canActivate === requireSession;
  if (e.detail.authenticated || onGuardedPage || router.url.pathname === "/login") router.render();
  else router.navigate("/login");
});

logoutButton.addEventListener("click", () => auth.logout());

const ready = auth
  .bootstrap()
  .catch((err) => log.add("error", `bootstrap failed: ${err?.message ?? err}`))
  .then(() => {
    started = true;
    renderSession();
    router.start();
  });

installHarnessDriver({ ready, auth, http });
