"""The check kit: one object per check, so that a check reads as its docs/checks.md entry.

A check is the situation (one call: `check.logged_in()`, `check.expired_after_login()`), the
action (through `check.spa`), and the property (`check.require(...)`). The `Check` carries
the ID from the check's `conformance` marker, the SPA driver, the backend's test-control
client and facts, and the verdict; the `harness_check` fixture makes one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
from playwright.sync_api import Page

from harness.browser import view
from harness.browser.app_config import DEFAULT, AppConfig, Hook
from harness.browser.driver import (
    SETTLE_TIMEOUT_MS,
    Pending,
    RequestsHung,
    Response,
    SpaDriver,
)
from harness.browser.page_probes import cookie_value
from harness.seam.client import BackendClient, Family
from harness.seam.facts import BackendFacts, Endpoint
from harness.seam.journal import Journal
from harness.seam.outsider import Outsider
from harness.verdicts import evidence
from harness.verdicts.verdict import CheckFailure, Verdict

T = TypeVar("T")


@dataclass(frozen=True)
class LoggedIn:
    """Where a check's situation starts: the journal's mark after the login, and the access
    token (its `jti`) the app was handed."""

    seq: int
    token: str | None


class Check(Verdict):
    """One conformance check: its ID, the app, the backend, the facts, and its verdict."""

    def __init__(self, check: str, spa: SpaDriver, backend: BackendClient,
                 facts: BackendFacts, outsider: Outsider | None = None,
                 app: AppConfig = DEFAULT) -> None:
        super().__init__(check, backend_is_theirs=facts.backend_is_theirs)
        self.spa = spa
        self.backend = backend
        self.facts = facts
        self.outsider = outsider
        self.app = app  # the app's routes and hooks (`--app-config`)
        self._probed_expiry = False

    @property
    def page(self) -> Page:
        return self.spa.page

    def setup(self, what: str, step: Callable[[], T], *, app_logs_in: bool = False) -> T:
        """A step the check needs but does not judge. When it fails and the journal shows
        why (the app calls paths this backend does not serve, a body its API does not take,
        a refused CORS preflight; with `app_logs_in`, the step has the app log in: a login
        whose token the app never used, or none at all), the failure says that, with what
        the step reported as evidence."""
        try:
            return super().setup(what, step)
        except CheckFailure as failure:
            cause = self._likely_cause(app_logs_in)
            if cause is None:
                raise
            raise CheckFailure(self.check, what, cause, (f"the step: {failure.instead}",
                                                         *failure.evidence),
                               "setup") from None

    def app_login(self, user: str = "alice", what: str | None = None) -> None:
        """The app logs in as `user` (`authHarness.login`), a set-up step (`what`, by default
        "log in as USER") whose failure may be a login whose token the app never used."""
        self.setup(what or f"log in as {user}", lambda: self.spa.login(user), app_logs_in=True)

    def _likely_cause(self, app_logs_in: bool) -> str | None:
        try:
            journal = self.backend.journal()
        except Exception:  # noqa: BLE001 - no journal, no cause: the step's own reason stands
            return None
        return setup_cause(journal, self.facts, logging_in=app_logs_in)

    def resource(self, name: str) -> Endpoint:
        """The API's optional resource `name` (`create`, `admin`); a check that needs one the
        API leaves out is skipped, saying so."""
        endpoint: Endpoint | None = getattr(self.facts, name)
        if endpoint is None:
            pytest.skip(f"{self.check}: not checked: the API has no {name} resource "
                        f"(resources.{name} is \"\" in its profile), and this check needs it")
        return endpoint

    @property
    def home(self) -> str:
        return self.app.routes.home

    @property
    def guarded(self) -> str:
        """The app's guarded page that lists the user's items (`/profile` in the contract)."""
        return self.app.routes.guarded

    # The situation.

    def logged_in(self, path: str | None = None, user: str = "alice") -> LoggedIn:
        """Open `path` (the app's home page by default) and log in as `user` (a set-up step).
        On the guarded page, also wait until the app is back there showing the user's items
        (as many as the facts give the user), so that none of the page's own requests is in
        flight when the check moves a clock or ends the session."""
        path = self.home if path is None else path

        def step() -> None:
            self.spa.open(path)
            self.spa.login(user)
        self.setup(f"open {path} and log in as {user}", step, app_logs_in=True)
        if path == self.guarded:
            self.setup(f"after login the app is back on {path} (check L5)",
                       lambda: self.at_path(path, "back"))
            items = self.setup("the backend names the user's items",
                               lambda: self.item_count(user))
            self.setup(f"{path} shows the {items} items of {user}",
                       lambda: self.shows(self.app.item, "items", count=items))
        journal = self.backend.journal()
        jtis = journal.issued().access_jtis
        return LoggedIn(journal.last_seq, jtis[-1] if jtis else None)

    def expired_after_login(self, path: str | None = None, user: str = "alice") -> LoggedIn:
        """Log in, then the access token expires (on the backend clock)."""
        situation = self.logged_in(path, user)
        if self.expire_access_token():  # the probe is not the app's: the situation after it
            return LoggedIn(self.backend.mark(), situation.token)
        return situation

    def expire_access_token(self) -> bool:
        """The app's access token expires (on the backend clock). Behind the edge the first
        expiry also asks the team's backend, once, how it answers an expired token: an app
        can only refresh on an answer it can recognise (a probe, marked in the journal).
        Whether it probed now."""
        self.backend.expire_access_token()
        return self.probe_expired_answer()

    def probe_expired_answer(self) -> bool:
        """Behind the edge, once per check, with the app's access token expired: the team's
        backend must answer it as an app can recognise (the backend's part). Whether it
        probed now."""
        if not self.facts.backend_is_theirs or self.outsider is None or self._probed_expiry:
            return False
        self._probed_expiry = True
        token = self.backend.journal().current_access_token()
        answer = self.outsider.get(self.facts.current_user.path, token)
        challenge = answer.headers.get("www-authenticate", "")
        prop = ("an expired access token gets 401 with WWW-Authenticate: Bearer (RFC 6750), "
                "so the app knows to refresh")
        instead = (f"{self.facts.current_user} with an expired token answered "
                   f"{answer.status_code}" + (f" with WWW-Authenticate {challenge!r}"
                                              if challenge else " without WWW-Authenticate"))
        # An app refreshes on a 401 whatever its challenge says: only another status stops
        # the rest of the check.
        self.backend_part(answer.status_code == 401, prop, instead, needed=True)
        self.backend_part(challenge.lower().startswith("bearer"), prop, instead)
        return True

    def item_count(self, user: str = "alice") -> int:
        """How many items the list page must show for `user`. The harness's backend resets
        to its seed data before each check; a team's backend (behind the edge) keeps what
        earlier checks created, so the count is the one in its newest list answer for the
        user, once the page has asked for the list in this check."""
        if self.facts.upstream is None:
            return self.facts.user(user).jobs
        endpoint = self.facts.list
        met, _ = self.backend.wait_journal(0, path=endpoint.path, method=endpoint.method,
                                           status=200, timeout=view.UI_TIMEOUT_MS / 1000)
        if not met:
            self.setup_failed(f"the page asks the backend for {user}'s items",
                              f"no {endpoint} answered 200 within "
                              f"{view.UI_TIMEOUT_MS / 1000:g} s")
        return self.backend.items_of(user)

    def refresh_value(self, context: Any) -> str:
        """Set-up: the refresh value the app holds now. In the browser's cookie jar when the
        API keeps it in a cookie; else the one the backend handed the app last."""
        if not self.facts.api.hands_refresh_token_to_scripts:
            return self.refresh_cookie(context)
        handed = self.backend.journal().issued().refresh_tokens
        if not handed:
            self.setup_failed("the login hands the app a refresh token",
                              "the journal shows none issued")
        return handed[-1]

    def refresh_cookie(self, context: Any) -> str:
        """Set-up: the value of the refresh cookie the login set (check S2)."""
        name = self.facts.cookie.name
        value = cookie_value(context, name)
        if value is None:
            self.setup_failed("login sets the refresh cookie (check S2)",
                              f"no {name} cookie in the browser after login")
        return value

    # The evidence.

    def exactly_one_refresh(self, since: int, prop: str) -> str:
        """Exactly one refresh since `since`, and it succeeded; the `jti` it issued."""
        journal = self.backend.journal(after=since)
        refreshes = journal.refreshes(since=since)
        answers = [e.status for e in refreshes]
        self.require(answers == [200], prop,
                     lambda: f"the journal has {len(answers)} refreshes "
                             f"({evidence.tally(answers)})",
                     highlight=[e.seq for e in refreshes])
        return journal.issued().access_jtis[-1]

    def settled(self, pending: Pending, prop: str,
                timeout_ms: float = SETTLE_TIMEOUT_MS) -> list[Response]:
        """The answers to `pending`; a request that never settles is the app's hang, named
        by the check's `prop`."""
        try:
            return pending.results(timeout_ms)
        except RequestsHung as exc:
            self.fail(prop, str(exc))

    def families(self) -> list[Family]:
        return self.backend.sessions()

    def family_states(self) -> list[str]:
        return [f.state for f in self.backend.sessions()]

    def items(self, body: object) -> list[Any]:
        """The items of a list answer: the profile's list field of an object, or the
        answer itself when the API's list is a bare JSON array."""
        field = self.facts.list_field
        if isinstance(body, list):
            return body
        if isinstance(body, dict) and isinstance(body.get(field), list):
            return list(body[field])
        return []

    # What the page shows.

    def shows(self, hook: Hook, prop: str, *, visible: bool = True, count: int | None = None,
              page: Page | None = None, timeout_ms: float = view.UI_TIMEOUT_MS) -> None:
        """Within `timeout_ms` the page shows the hook (`self.app.login_form`, ...): visible,
        or not visible (absent or hidden both do) with `visible=False`, or exactly `count` of
        them."""
        page = page or self.page
        if not view.showing(page, hook, visible=visible, count=count, timeout_ms=timeout_ms):
            self.fail(prop, f"after {timeout_ms / 1000:.2g} s "
                            f"{view.not_shown(hook, visible=visible, count=count)}",
                      f"the page: {view.describe(page, self.app)}")

    def shows_text(self, hook: Hook, any_of: Sequence[str], prop: str,
                   timeout_ms: float = view.UI_TIMEOUT_MS) -> None:
        """Within `timeout_ms` an element of the hook contains one of `any_of`."""
        if not view.containing(self.page, hook, list(any_of), timeout_ms):
            self.fail(prop, f"after {timeout_ms / 1000:g} s {hook} does not contain "
                            f"{' or '.join(map(repr, any_of))}",
                      f"the page: {view.describe(self.page, self.app)}")

    def at_path(self, path: str, prop: str, page: Page | None = None,
                timeout_ms: float = view.UI_TIMEOUT_MS) -> None:
        """Within `timeout_ms` the page is on `path` (any query or fragment)."""
        page = page or self.page
        if not view.on_path(page, path, timeout_ms):
            self.fail(prop, f"after {timeout_ms / 1000:g} s the app is not on {path}",
                      f"the page: {view.describe(page, self.app)}")


def setup_cause(journal: Journal, facts: BackendFacts, *, logging_in: bool) -> str | None:
    """What the journal shows of a set-up step that failed, in the words a team needs: the
    likely mistake of set-up, not of the app's refresh logic. None when it shows none.
    `logging_in`: the step logs in, so a login the app made no use of, or no request at all,
    is a cause too."""
    served = {(e.method, e.path) for e in (facts.login, facts.refresh, facts.logout,
                                           facts.current_user, facts.list, facts.create,
                                           facts.admin) if e is not None}
    for entry in journal:
        unserved = entry.status in (404, 405) and (entry.method, entry.path) not in served \
            and (entry.method != "GET" or entry.path.startswith(facts.api_prefix))
        if unserved:
            return (f"the app called {entry.method} {entry.path}, which this backend does not "
                    f"serve ({entry.status}); is it written for another API? see "
                    f"--api-profile (docs/profiles.md)")
        if entry.method == "OPTIONS" and entry.status is not None and entry.status >= 400:
            return (f"the browser's CORS preflight for {entry.path} from {entry.origin} was "
                    f"refused ({entry.status}): the app's origin is not one the backend "
                    f"allows, or the app calls the API at another address than "
                    f"window.authHarnessConfig.apiBaseUrl")
        if entry.is_to(facts.login) and entry.status in (415, 422):
            body = facts.api.login_body
            return (f"the login answered {entry.status}: the app sent a body the backend's "
                    f"API does not take (it reads {body} with the fields "
                    f"{facts.api.username_field!r} and {facts.api.password_field!r}); see "
                    f"--api-profile (docs/profiles.md)")
    if not logging_in:
        return None
    logins = [e for e in journal.to(facts.login) if e.status is not None
              and 200 <= e.status < 300 and e.issued_access_jti]
    if logins:
        issued = {e.issued_access_jti for e in logins}
        used = any(e.access_jti in issued for e in journal)
        if not used:
            return (f"the login was answered {logins[-1].status} with the access token in "
                    f"{facts.api.login_access_token!r}, and the app never sent it: does it "
                    f"read another field? see --api-profile (docs/profiles.md)")
    if not any(not e.probe for e in journal):
        return ("no request of the app reached the backend: does the app call the API at "
                "window.authHarnessConfig.apiBaseUrl? (docs/contract.md)")
    return None
