"""How a check reports a failure: `<ID>: <the property the app broke> — <what happened instead>`.

The first line is for a frontend developer who never read the check: its ID (the entry in
docs/checks.md), the property in the app's terms, and what the app did instead. The lines
under it are the evidence (journal counts, which request, which status, which token).

Anything else that stops a check (a login that fails, a driver call that hangs, an error in
the harness itself) is turned into an explicit `<ID>: set-up failed: ...` or
`<ID>: the check could not finish ...` line by `pytest_pyfunc_call` in the plugin, never
into another check's verdict.
"""

from __future__ import annotations

import json
import re
import time
import traceback
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from harness.browser.driver import PROFILE, DriverError, SetupError, SpaDriver
from harness.browser.page_probes import cookie_value
from harness.seam.client import BackendClient
from harness.seam.facts import BackendFacts

T = TypeVar("T")

# The UI may take this long to show what a check waits for (login page, job items).
UI_TIMEOUT_MS = 5_000


def message(check: str, prop: str, instead: str, evidence: tuple[str, ...] = ()) -> str:
    lines = [f"{check}: {prop} — {instead}"]
    lines += [f"  {line}" for item in evidence for line in str(item).splitlines() if line]
    return "\n".join(lines)


def fail(text: str) -> NoReturn:
    """Fails the check with `text` alone: no traceback, no chained exception."""
    raise pytest.fail.Exception(text, pytrace=False) from None


class Verdict:
    """The failures of one check; every method fails with the check's own first line."""

    def __init__(self, check: str) -> None:
        self.check = check

    def fail(self, prop: str, instead: str, *evidence: str) -> NoReturn:
        fail(message(self.check, prop, instead, evidence))

    def require(self, ok: object, prop: str, instead: str | Callable[[], str],
                *evidence: str) -> None:
        """Fails unless `ok`; `instead` may be a callable, built only on failure."""
        if not ok:
            self.fail(prop, instead() if callable(instead) else instead, *evidence)

    def setup(self, what: str, step: Callable[[], T]) -> T:
        """A step the check needs but does not judge: its failure is a set-up failure."""
        try:
            return step()
        except pytest.fail.Exception as exc:  # a verdict inside the step: the step failed
            # The inner verdict's property is this step's `what`: keep what happened.
            reason = str(exc.msg).removeprefix(f"{self.check}: ").split(" — ", 1)[-1]
            reason = reason.replace("\n", "\n  ")
            fail(f"{self.check}: set-up failed: {what} — {reason}")
        except Exception as exc:  # noqa: BLE001 - whatever broke the step, it is named
            fail(f"{self.check}: set-up failed: {what} — {_first_line(exc)}")

    def setup_failed(self, what: str, why: str) -> NoReturn:
        fail(f"{self.check}: set-up failed: {what} — {why}")

    def refresh_cookie(self, context: BrowserContext, name: str) -> str:
        """Set-up: the value of the refresh cookie the login set (check S2)."""
        value = cookie_value(context, name)
        if value is None:
            self.setup_failed("login sets the refresh cookie (check S2)",
                              f"no {name} cookie in the browser after login")
        return value

    def refresh_value(self, context: BrowserContext, backend: BackendClient) -> str:
        """Set-up: the refresh value the app holds now. In the browser's cookie jar when the
        API keeps it in a cookie; else the one the backend handed the app last."""
        facts = backend.facts()
        if not facts.api.hands_refresh_token_to_scripts:
            return self.refresh_cookie(context, facts.cookie.name)
        handed = backend.journal().issued().refresh_tokens
        if not handed:
            self.setup_failed("the login hands the app a refresh token",
                              "the journal shows none issued")
        return handed[-1]

    def refresh_token_out_of_scripts_reach(self, facts: BackendFacts) -> None:
        """S1, S2, S4, S5 fail at once when the backend's API itself hands the refresh token
        to JavaScript: no app on that API can keep it out of scripts' reach."""
        api = facts.api
        if not api.hands_refresh_token_to_scripts:
            return
        carried = (f"in the {api.refresh_field!r} header" if api.refresh_transport == "header"
                   else f"in the {api.refresh_field!r} field of the request body")
        self.fail("the refresh token stays out of reach of scripts (an HttpOnly cookie)",
                  f"the API ({api.name} profile) gives the refresh token to scripts: the login "
                  f"and refresh answers carry it in {api.refresh_refresh_token!r}, and the app "
                  f"sends it back {carried}",
                  "any script on the page (an injected one, a compromised dependency) can read "
                  "it and keep the session going elsewhere for the refresh token's lifetime",
                  "the cookie alternative: the backend sets the refresh token in an HttpOnly; "
                  "Secure; SameSite=Strict cookie whose Path covers the refresh and logout "
                  "endpoints, answers only the access token in JSON, and the browser sends the "
                  "cookie by itself (transport = \"cookie\" in an API profile)")

    def logged_in(self, spa: SpaDriver, path: str = "/", user: str = "alice") -> None:
        """The set-up most checks start with: open `path`, log in as `user`. On /profile,
        also wait until the app is back there showing the user's jobs (as many as the
        backend's facts give the user), so that none of the page's own requests is still in
        flight when the check moves a clock or ends the session."""
        def step() -> None:
            spa.open(path)
            spa.login(user)
        self.setup(f"open {path} and log in as {user}", step)
        if path == PROFILE:
            self.setup(f"after login the app is back on {PROFILE} (check L5)",
                       lambda: self.at_path(spa.page, PROFILE, "back"))
            jobs = self.setup("the backend's facts name the user's jobs",
                              lambda: _facts_of(spa).user(user).jobs)
            self.setup(f"{PROFILE} shows the {jobs} jobs of {user}",
                       lambda: self.shows(spa.page, "job-item", "jobs", count=jobs))

    def shows(self, page: Page, testid: str, prop: str, *, visible: bool = True,
              count: int | None = None, timeout_ms: float = UI_TIMEOUT_MS) -> None:
        """Within `timeout_ms` the page shows `data-testid=testid`: visible, or not visible
        (absent or hidden both do) with `visible=False`, or exactly `count` of them."""
        if not showing(page, testid, visible=visible, count=count, timeout_ms=timeout_ms):
            wanted = (f"{count} × {testid}" if count is not None
                      else f"{testid} {'visible' if visible else 'not visible'}")
            self.fail(prop, f"after {timeout_ms / 1000:.2g} s the page does not show {wanted}",
                      f"the page: {describe(page)}")

    def shows_text(self, page: Page, testid: str, any_of: list[str], prop: str,
                   timeout_ms: float = UI_TIMEOUT_MS) -> None:
        """Within `timeout_ms` an element `data-testid=testid` contains one of `any_of`,
        compared without regard to case."""
        try:
            page.wait_for_function(_CONTAINS, arg=[f'[data-testid="{testid}"]',
                                                   [t.casefold() for t in any_of]],
                                   timeout=timeout_ms, polling=50)
        except PlaywrightTimeoutError:
            self.fail(prop, f"after {timeout_ms / 1000:g} s {testid} does not contain "
                            f"{' or '.join(map(repr, any_of))}", f"the page: {describe(page)}")

    def at_path(self, page: Page, path: str, prop: str,
                timeout_ms: float = UI_TIMEOUT_MS) -> None:
        """Within `timeout_ms` the page is on `path` (any query or fragment)."""
        pattern = re.compile(rf"^[^?#]*//[^/]+{re.escape(path)}([?#].*)?$")
        try:
            expect(page).to_have_url(pattern, timeout=timeout_ms)
        except AssertionError:
            self.fail(prop, f"after {timeout_ms / 1000:g} s the app is not on {path}",
                      f"the page: {describe(page)}")


def _facts_of(spa: SpaDriver) -> BackendFacts:
    if spa.facts is None:
        raise SetupError("the driver was made without the backend's facts")
    return spa.facts


def showing(page: Page, testid: str, *, visible: bool = True, count: int | None = None,
            timeout_ms: float = UI_TIMEOUT_MS) -> bool:
    """Whether the page comes to show `data-testid=testid` as `Verdict.shows` asks."""
    script = _COUNT if count is not None else _SOME_VISIBLE if visible else _NONE_VISIBLE
    try:
        page.wait_for_function(script, arg=[f'[data-testid="{testid}"]', count],
                               timeout=timeout_ms, polling=50)
    except PlaywrightTimeoutError:
        return False
    return True


_SHOWN = """const shown = (el) =>
  !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length)
  && getComputedStyle(el).visibility !== "hidden";"""
_ALL = "[...document.querySelectorAll(sel)]"
_SOME_VISIBLE = f"([sel]) => {{ {_SHOWN} return {_ALL}.some(shown); }}"
_NONE_VISIBLE = f"([sel]) => {{ {_SHOWN} return !{_ALL}.some(shown); }}"
_CONTAINS = """([sel, texts]) => [...document.querySelectorAll(sel)].some(
  (el) => texts.some((t) => el.textContent.toLowerCase().includes(t)))"""
_COUNT = "([sel, n]) => document.querySelectorAll(sel).length === n"


# Calls the binding `name` the first time an element `sel` is visible, from a
# MutationObserver: no timer, so a paused page clock does not stop it. Run in the current
# document and, as an init script, in every document the tab loads after it.
_WATCH = f"""([name, sel]) => {{
  {_SHOWN}
  const seen = () => {_ALL}.some(shown);
  const report = () => {{ observer.disconnect(); window[name]?.(); }};
  const observer = new MutationObserver(() => seen() && report());
  if (seen()) report();
  else observer.observe(document, {{ subtree: true, childList: true, attributes: true }});
}}"""


class Appearance:
    """When a tab first shows `data-testid=testid`, on the harness's monotonic clock.

    The page reports it the moment the element becomes visible (a MutationObserver calls a
    binding), so the stamp does not depend on when, or in which order, the check looks at
    several tabs, nor on a polling interval. `at` is None until then, or if the element
    came to show without a change to the DOM (a style sheet alone).
    """

    _made = 0

    def __init__(self, page: Page, testid: str) -> None:
        Appearance._made += 1
        name = f"__harnessShown{Appearance._made}"
        self.at: float | None = None
        page.expose_binding(name, self._seen)
        arg = [name, f'[data-testid="{testid}"]']
        page.add_init_script(f"({_WATCH})({json.dumps(arg)})")
        page.evaluate(_WATCH, arg)

    def _seen(self, _source: Any) -> None:
        if self.at is None:
            self.at = time.monotonic()


_DESCRIBE = f"""() => {{
  const all = (id) => [...document.querySelectorAll(`[data-testid="${{id}}"]`)];
  {_SHOWN}
  const login = all("login-form");
  return {{ path: location.pathname + location.search,
           login: login.length === 0 ? "absent" : login.some(shown) ? "visible" : "hidden",
           jobs: all("job-item").length,
           user: all("current-user").map((e) => e.innerText.replace(/\\s+/g, " ").trim())
             .join(" | ") }};
}}"""


def describe(page: Page) -> str:
    """What the page shows, in the terms of the contract's hooks."""
    try:
        seen: dict[str, Any] = page.evaluate(_DESCRIBE)
    except Exception as exc:  # noqa: BLE001 - a crashed or closed page is itself the evidence
        return f"(could not be read: {_first_line(exc)})"
    user = f"current-user shows {seen['user']!r}" if seen["user"] else "no current-user"
    return (f"on {seen['path']}, login-form {seen['login']}, {seen['jobs']} job-item(s), "
            f"{user}")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def explain(check: str, exc: BaseException) -> str:
    """The first line for an exception that is not already a verdict of `check`."""
    if isinstance(exc, SetupError):
        return f"{check}: set-up failed: {exc}"
    if isinstance(exc, DriverError):
        return f"{check}: the app broke the driver contract (docs/contract.md) — {exc}"
    where = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    at = f" (at {where[0].filename.rsplit('/', 1)[-1]}:{where[0].lineno})" if where else ""
    return (f"{check}: the check could not finish — {type(exc).__name__}: "
            f"{_first_line(exc)}{at}")
