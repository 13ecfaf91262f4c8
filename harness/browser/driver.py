"""The SPA driver: `window.authHarness` of docs/contract.md, called from Python.

Every call goes through the app's own login path, HTTP client and interceptors. Nothing
here knows how the app is built; a team's app that exposes the same object is driven the
same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import JSHandle, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from harness.browser.page_watch import PageWatch
from harness.seam.facts import BackendFacts

# How long a driver call may take before the check reports a hanging promise (F2: "no
# promise hangs"). Wall time, but only ever reached when the app is broken.
SETTLE_TIMEOUT_MS = 15_000
# A driver call is awaited with `wait_for_function` on the call's own promise: it returns as
# soon as the promise settles, and its timeout runs outside the page, so a page clock a
# check installed does not stop it (an in-page timer would: the clock fakes them all).
# How often a page still loading is looked at for `window.authHarness`, with Playwright's
# own timer (the waits on a promise never poll: the predicate returns it at once).
POLL_MS = 10
# What the scripts below throw when `window.authHarness` is not there (so that a call needs
# no probe of its own first), and the prefix of a driver call's rejection.
_MISSING = "authHarness is missing"
_REJECTED = "authHarness rejected: "
# What a request reports when its page loaded another document before it settled.
NAVIGATED_AWAY = "the page loaded another document before the request settled"

# Starts the requests at once and keeps their promise in a wrapper object, so that
# `evaluate_handle` returns at once instead of awaiting it.
_START = """([requests]) => {
  const api = window.authHarness;
  if (typeof api !== "object" || api === null) throw new Error("authHarness is missing");
  const call = ([method, path, body, options]) =>
    options ? api.request(method, path, body, options) : api.request(method, path, body);
  const settled = (r) => ({ status: r?.status ?? null, body: r?.body ?? null,
                            error: r?.error ?? null });
  const rejected = (e) => ({ status: null, body: null, error: `rejected: ${e?.message ?? e}` });
  const state = { done: false, results: null, size: requests.length, settled: 0 };
  const count = (r) => { state.settled += 1; return r; };
  state.promise = Promise.all(requests.map((r) =>
      Promise.resolve().then(() => call(r)).then(settled, rejected).then(count)))
    .then((results) => { state.results = results; state.done = true; return true; });
  return state;
}"""


# Starts one driver call without awaiting it in `evaluate`; `promise` resolves when it
# fulfilled and rejects, with the reason after a known prefix, when it rejected.
_SETTLING = """(arg) => {
  if (typeof window.authHarness !== "object" || window.authHarness === null)
    throw new Error("authHarness is missing");
  const s = {};
  s.promise = Promise.resolve().then(() => %s).then(() => true, (e) => {
    throw new Error("authHarness rejected: " + JSON.stringify(String(e?.message ?? e)));
  });
  s.promise.catch(() => {});  // handled: the wait that reads it comes a round trip later
  return s;
}"""


class DriverError(AssertionError):
    """The app broke the driver contract (missing object, a call that hangs or throws)."""


class SetupError(DriverError):
    """A step every check starts with (open the app, wait for its bootstrap, log in) failed."""


class RequestsHung(AssertionError):
    """Requests the app was asked to send did not settle: its HTTP stack hangs (the app's
    flaw, not the driver's: `authHarness.request` only hands them to the app's client)."""

    def __init__(self, pending: int, size: int, timeout_ms: float, calls: list[str]) -> None:
        shown = ", ".join(calls[:3]) + (", …" if len(calls) > 3 else "")
        super().__init__(f"{pending} of {size} never settled within {timeout_ms / 1000:.0f} s "
                         f"({shown})")
        self.pending = pending
        self.size = size
        self.timeout_ms = timeout_ms


@dataclass(frozen=True)
class Response:
    """What `authHarness.request` resolved with; `error` is set when status is 0."""

    status: int | None
    body: Any
    error: str | None = None


@dataclass(frozen=True)
class Call:
    """One request for `SpaDriver.start`: `path` relative to the API base or an absolute URL."""

    method: str
    path: str
    body: Any = None
    skip_auth: bool = False

    def as_js(self) -> list[Any]:
        return [self.method, self.path, self.body, {"skipAuth": True} if self.skip_auth else None]


class Pending:
    """Requests started in the page and not awaited yet (bursts, requests held by a gate)."""

    def __init__(self, page: Page, handle: JSHandle, calls: list[Call]) -> None:
        self._page = page
        self._handle = handle
        self.calls = calls
        self.size = len(calls)
        self._navigated = False

    def settled_within(self, timeout_ms: float) -> bool:
        """Whether every request settles within `timeout_ms` (wall time). A page that loads
        another document meanwhile (a session that ends with a full page load) abandons
        them: they count as settled, without an answer."""
        if self._navigated:
            return True
        try:
            self._page.wait_for_function("s => s.promise", arg=self._handle,
                                         timeout=timeout_ms, polling=POLL_MS)
        except PlaywrightTimeoutError:
            return False
        except PlaywrightError:  # the document that held them is gone
            self._navigated = True
        return True

    def pending(self) -> int:
        """How many of the requests have not settled yet."""
        if self._navigated:
            return 0
        return int(self._handle.evaluate("s => s.done ? 0 : s.size - s.settled"))

    def results(self, timeout_ms: float = SETTLE_TIMEOUT_MS) -> list[Response]:
        """Wait until every request settled; `RequestsHung` when one never does."""
        if not self.settled_within(timeout_ms):
            raise RequestsHung(self.pending(), self.size, timeout_ms,
                               [f"{c.method} {c.path}" for c in self.calls])
        if self._navigated:
            return [Response(None, None, NAVIGATED_AWAY)] * self.size
        results: list[dict[str, Any]] = self._handle.evaluate("s => s.results")
        return [Response(r["status"], r["body"], r["error"]) for r in results]


class SpaDriver:
    def __init__(self, page: Page, spa_url: str, facts: BackendFacts | None = None,
                 watch: PageWatch | None = None) -> None:
        """`facts`: the backend's, for the demo users' passwords that `login` types in;
        `watch`: what the browser saw, for a message about a driver that never came."""
        self.page = page
        self.spa_url = spa_url.rstrip("/")
        self.facts = facts
        self._passwords = {u.username: u.password for u in facts.users} if facts else {}
        self.watch = watch

    def new_tab(self) -> SpaDriver:
        """Another tab of the same browser context (shared cookies, BroadcastChannel, locks)."""
        return SpaDriver(self.page.context.new_page(), self.spa_url, self.facts, self.watch)

    def open(self, path: str = "/") -> None:
        """Navigate to `path` of the SPA and wait for its bootstrap (silent refresh included)."""
        self.page.goto(self.spa_url + path)
        self.ready()

    def ready(self) -> None:
        try:
            self._await("window.authHarness.ready", "ready")
        except DriverError as exc:
            raise SetupError(f"the app at {self.page.url} did not start: {exc}") from None

    def login(self, username: str = "alice", password: str | None = None) -> None:
        if password is None and username not in self._passwords:
            raise SetupError(f"no password for {username!r}: the backend's demo users are "
                             f"{', '.join(self._passwords) or 'unknown'}")
        try:
            self._await("window.authHarness.login(arg[0], arg[1])", "login",
                        [username, password if password is not None else
                         self._passwords[username]])
        except DriverError as exc:
            raise SetupError(f"could not log in as {username} on {self.page.url}: {exc}") \
                from None

    def logout(self) -> None:
        self._await("window.authHarness.logout()", "logout")

    def is_authenticated(self) -> bool:
        """`isAuthenticated()`, once the app is ready (it may have just loaded a new page)."""
        self._require_contract(wait_ms=SETTLE_TIMEOUT_MS)
        self.ready()
        return bool(self.page.evaluate("() => window.authHarness.isAuthenticated()"))

    def request(self, method: str, path: str, body: Any = None, *,
                skip_auth: bool = False) -> Response:
        [response] = self.start([Call(method, path, body, skip_auth)]).results()
        return response

    def start(self, calls: list[Call]) -> Pending:
        """Start all `calls` at once in the page; collect them later with `.results()`."""
        handle = self._evaluate_handle(_START, [[c.as_js() for c in calls]])
        return Pending(self.page, handle, calls)

    def burst(self, n: int, path: str) -> Pending:
        """N concurrent GETs, each with its own `?n=` so the journal tells them apart."""
        sep = "&" if "?" in path else "?"
        return self.start([Call("GET", f"{path}{sep}n={i}") for i in range(n)])

    def _require_contract(self, wait_ms: float) -> None:
        """The driver object is there, or comes within `wait_ms` (a page still loading, or a
        driver installed after the load event: a dynamic import)."""
        present = "() => typeof window.authHarness === 'object' && window.authHarness !== null"
        try:
            self.page.wait_for_function(present, timeout=wait_ms, polling=POLL_MS)
        except PlaywrightTimeoutError:
            raise self._missing(wait_ms) from None

    def _missing(self, waited_ms: float) -> DriverError:
        return DriverError(f"window.authHarness never appeared on {self.page.url} within "
                           f"{waited_ms / 1000:g} s: the app does not expose the driver "
                           f"contract (docs/contract.md)"
                           + (f" — {self.watch.loaded(self.page)}" if self.watch else ""))

    def _evaluate_handle(self, script: str, arg: Any) -> JSHandle:
        """`script` run in the page. Where `window.authHarness` is not there yet, the step
        waits for it, within the driver's bound, and runs once it is."""
        try:
            return self.page.evaluate_handle(script, arg)
        except PlaywrightError as exc:
            if _MISSING not in exc.message:
                raise
        self._require_contract(wait_ms=SETTLE_TIMEOUT_MS)
        return self.page.evaluate_handle(script, arg)

    def _await(self, script: str, what: str, arg: Any = None) -> None:
        handle = self._evaluate_handle(_SETTLING % script, arg)
        try:
            self.page.wait_for_function("s => s.promise", arg=handle, timeout=SETTLE_TIMEOUT_MS,
                                        polling=POLL_MS)
        except PlaywrightTimeoutError:
            raise DriverError(f"authHarness.{what}() did not settle within "
                              f"{SETTLE_TIMEOUT_MS / 1000:.0f} s") from None
        except PlaywrightError as exc:
            if _REJECTED not in exc.message:
                raise
            reason = exc.message.split(_REJECTED, 1)[1].splitlines()[0]
            raise DriverError(f"authHarness.{what}() rejected: {reason}") from None

