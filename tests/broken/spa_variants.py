"""Deliberately broken copies of the reference SPA, each with one well-known mistake.

A variant is the reference SPA with a few exact text substitutions; each substitution
must match exactly once, so a variant cannot silently stop being broken when the
reference SPA changes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from mock_backend.config import default_spa_dir

Patch = tuple[str, str, str]  # file, text in the reference SPA, text in the variant

SINGLE_FLIGHT = "    if (this.#refreshing) {\n      this.#sharers += 1;"
CROSS_TAB_REUSE = ('        if (await this.#tokenFromAnotherTab(turn, failedToken)) '
                   'return { ok: true, source: "another tab" };\n')
SET_TOKEN = ("  #setToken(accessToken, expiresIn, generation) {\n"
             "    this.#accessToken = accessToken;\n")
RETRY = "    return next(withBearer(req, renewed));"

VARIANTS: dict[str, list[Patch]] = {
    # Every 401 starts its own refresh (no shared in-flight refresh, no re-use of a token
    # another refresh obtained).
    "refresh-per-401": [
        ("auth-service.js", SINGLE_FLIGHT, SINGLE_FLIGHT.replace("this.#refreshing", "false")),
        ("auth-service.js", CROSS_TAB_REUSE, ""),
    ],
    # Refreshes, then hands the 401 back instead of retrying.
    "no-retry": [("auth-interceptor.js", RETRY, "    return unauthorized;")],
    # The token is kept in localStorage "so it survives a reload".
    "token-in-localstorage": [
        ("auth-service.js", SET_TOKEN,
         SET_TOKEN + '    localStorage.setItem("access_token", accessToken);\n'),
    ],
    # The token is put on a global for debugging.
    "token-in-global": [
        ("auth-service.js", SET_TOKEN,
         SET_TOKEN + "    window.currentSession = { accessToken };\n"),
    ],
    # After a refresh the whole interceptor runs again: a 401 that persists loops.
    "retry-forever": [("auth-interceptor.js", RETRY, "    return this.intercept(req, next);")],
    # The retry is rebuilt without the body.
    "drops-body-on-retry": [
        ("auth-interceptor.js", RETRY,
         "    return next(withBearer(req.clone({ body: undefined }), renewed));"),
    ],
    # The token goes to whatever origin the request is for.
    "bearer-to-every-origin": [
        ("auth-interceptor.js", "    if (url.origin !== this.#apiOrigin) return next(req);\n", ""),
    ],
    # The skip-auth marker is honoured but not removed: it reaches the server.
    "skip-marker-sent": [
        ("auth-interceptor.js",
         "return next(req.clone({ deleteHeaders: [SKIP_AUTH_HEADER] }));", "return next(req);"),
    ],
    # A scheme the API does not speak (RFC 6750 says Bearer).
    "wrong-auth-scheme": [("auth-interceptor.js", "Authorization: `Bearer ${token}`",
                           "Authorization: `Token ${token}`")],
    # A 403 is treated like a 401.
    "refresh-on-403": [
        ("auth-interceptor.js", "if (res.status !== 401 || sent.token === null) return res;",
         "if ((res.status !== 401 && res.status !== 403) || sent.token === null) return res;"),
    ],
    # A late 401 for an old token starts another refresh instead of using the new token.
    "refresh-again-for-stale-401": [
        ("auth-interceptor.js", "    if (current !== sent.token) {", "    if (false) {"),
    ],
    # A refused refresh leaves the session as it was.
    "keeps-session-on-refused-refresh": [
        ("auth-service.js", "  #refreshRejected(hadSession) {\n",
         "  #refreshRejected(hadSession) {\n    return;\n"),
    ],
    # Any failed refresh (5xx, network error) logs the user out.
    "logout-on-failed-refresh": [
        ("auth-service.js", "const rejected = res.status === 401 || res.status === 403;",
         "const rejected = res.status !== 200;"),
    ],
    # A refresh that never answers is waited for forever.
    "no-refresh-timeout": [
        ("auth-service.js",
         "const timer = timeoutMs > 0 ? setTimeout(() => controller.abort(), timeoutMs) : null;",
         "const timer = null;"),
    ],
    # Gives up on a refresh after two seconds.
    "impatient-refresh": [
        ("config.js", "nonNegative(injected.refreshTimeoutSeconds, 10)",
         "nonNegative(injected.refreshTimeoutSeconds, 2)"),
    ],
    # A promise nobody handles.
    "unhandled-rejection": [
        ("auth-service.js", "    const round = ++this.#rounds;\n",
         "    const round = ++this.#rounds;\n"
         '    Promise.reject(new Error("refresh bookkeeping"));\n'),
    ],
    # Logout resolves before its request is answered.
    "logout-not-awaited": [
        ("auth-service.js", 'await this.#http.post(apiUrl("/api/logout")',
         'this.#http.post(apiUrl("/api/logout")'),
    ],
    # No silent refresh on load: a reload or a new tab starts logged out.
    "no-silent-refresh": [
        ("auth-service.js",
         'const outcome = await this.refresh("restoring the session on load");',
         "const outcome = { ok: false };"),
    ],
    # Never refreshes ahead of `exp`: every expiry costs a 401 round trip.
    "no-proactive-refresh": [
        ("auth-service.js",
         "if (this.#accessToken === null || left === null || left <= 0 || left > skew) "
         "return null;",
         "return null;"),
    ],
    # Logout forgets the token locally and never tells the server.
    "logout-without-server": [
        ("auth-service.js",
         '    await this.#http.post(apiUrl("/api/logout"), undefined, '
         "{ headers: { ...CSRF_HEADERS, ...SKIP_AUTH } });\n", ""),
    ],
    # After login the user lands on the default page, not where they were headed.
    "no-return-after-login": [
        ("router.js", 'safeReturnUrl(url.searchParams.get("returnUrl"), afterLogin)', "afterLogin"),
    ],
    # The user is never asked of /api/current-user.
    "no-current-user-call": [
        ("auth-service.js", 'const res = await this.#http.get(apiUrl("/api/current-user"));',
         "const res = { status: 0 };"),
        ("view-profile.js", 'http.get(apiUrl("/api/current-user"))',
         "Promise.resolve({ status: 200, body: {} })"),
    ],
    # A 401 that arrives while a refresh is in flight is handed back instead of joining it
    # (a refresh library's "deduplicate refresh" pattern that drops concurrent 401s).
    "drops-401-during-refresh": [
        ("auth-service.js", SINGLE_FLIGHT,
         "    if (this.#refreshing) {\n"
         '      return Promise.resolve({ ok: false, rejected: true, status: 401, '
         'error: "refresh already in progress" });\n'
         "      this.#sharers += 1;"),
    ],
    # Tabs refresh without the cross-tab lock.
    "no-cross-tab-lock": [
        ("cross-tab.js", "if (!navigator.locks) return task(", "if (true) return task("),
    ],
    # The cross-tab lock has no timeout: the refresh's callers give up after the refresh
    # timeout, but the request under the lock is never aborted, and the other tabs wait for
    # the lock without a bound. A refresh that never answers holds it for good.
    "lock-without-timeout": [
        ("cross-tab.js", "const bounded = waitMs > 0 ?", "const bounded = false ?"),
        ("auth-service.js", "const timer = timeoutMs > 0 ? setTimeout(() => controller.abort(), "
                            "timeoutMs) : null;", "const timer = null;"),
        ("auth-service.js", "      return await this.#tabs.withRefreshLock(async (turn) => {",
         "      return await Promise.race([new Promise((done) => setTimeout(() => done({ "
         "ok: false, rejected: false, status: 0, error: \"refresh timed out\" }), "
         "this.#config.refreshTimeoutSeconds * 1000)), "
         "this.#tabs.withRefreshLock(async (turn) => {"),
        ("auth-service.js", "      }, this.#config.lockWaitSeconds * 1000);",
         "      }, 0)]);"),
    ],
    # Logout is not announced to the other tabs.
    "no-logout-broadcast": [
        ("auth-service.js",
         '    this.#endSession("logout");\n    this.#tabs.post({ type: "logout" });\n',
         '    this.#endSession("logout");\n'),
    ],
    # Logout reaches the other tabs, but each waits 1.5 s (an animation: it runs while the
    # page clock is paused) before it shows its login page.
    "slow-logout-broadcast": [
        ("auth-service.js",
         '        this.#endSession("logout in another tab");\n',
         "        document.documentElement.animate([{ opacity: 1 }, { opacity: 1 }], 1500)\n"
         '          .finished.then(() => this.#endSession("logout in another tab"));\n'),
    ],
}

# Apps that differ from the reference SPA but still do what docs/checks.md asks: they must
# pass every check (tests/harness/test_examples.py).
CORRECT_VARIANTS: dict[str, list[Patch]] = {
    # /profile shows the user's display name ("Bob Berg"), not the username.
    "display-name-on-profile": [
        ("view-profile.js",
         'renderFacts(user, [["Name", u.name], ["Username", u.username], ["Email", u.email], '
         '["Role", u.role]]);',
         'renderFacts(user, [["Signed in as", u.name]]);'),
    ],
    # A session that ends on a public route leaves the user there, signed out, instead of
    # showing the login page.
    "signed-out-public-page": [
        ("app.js", '  else router.navigate("/login");\n', "  else router.render();\n"),
    ],
}


def build(name: str, parent: Path, *more: str) -> Path:
    """Write variant `name` (with the patches of the variants `more` too) into a new folder
    under `parent` and return the folder."""
    target = parent / "-".join(["spa", name, *more])
    shutil.copytree(default_spa_dir(), target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    every = {**VARIANTS, **CORRECT_VARIANTS}
    for file, old, new in [patch for n in (name, *more) for patch in every[n]]:
        path = target / file
        text = path.read_text()
        count = text.count(old)
        if count != 1:
            raise AssertionError(f"variant {name}: {old!r} occurs {count} times in {file}")
        path.write_text(text.replace(old, new))
    return target
