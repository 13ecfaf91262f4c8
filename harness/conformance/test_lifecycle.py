"""L: the session across reloads, tabs, time, logout, guarded routes and limits."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import BrowserContext

from harness.browser.clock import TimeControl
from harness.browser.page_probes import cookie_value
from harness.browser.view import UI_TIMEOUT_MS
from harness.seam.client import BackendClient, Family
from harness.seam.facts import Endpoint
from harness.seam.outsider import Outsider
from harness.verdicts import evidence
from harness.verdicts.check import Check
from harness.verdicts.verdict import VERDICT, Verdict

DAY = 86400
# L8: the longest absolute refresh lifetime the check waits out, a day at a time; a backend
# whose sessions live longer (or never end) fails it.
LONGEST_LIFETIME_DAYS = 30
# L3: how long before `exp` the check sends its request. An app's renewal window must be at
# least this long (docs/checks.md).
RENEW_BEFORE_EXP_S = 8
# L3: the renewal window the entry asks apps for: 2 s more than the check needs, for an app
# that computes `exp` from `expiresIn` when the answer arrives.
RENEWAL_WINDOW_S = 10
# L7: the reference backend's limit of sessions a user, which a backend standing in for one
# without a limit is held to.
REFERENCE_SESSION_LIMIT = 5
# L3: how long after its request the check waits for the renewal to show in the journal.
RENEWAL_WAIT_S = 5


@pytest.mark.conformance("L1", cross_origin=True)
def test_L1_reload_restores_the_session_with_exactly_one_silent_refresh(
        harness_check: Check) -> None:
    check = harness_check
    backend = check.backend
    check.logged_in(check.guarded)
    journal = backend.journal()
    before_jtis = set(journal.issued().access_jtis)
    seq = journal.last_seq

    check.page.reload()
    check.spa.ready()
    prop = "a reload keeps the user logged in on the same route"
    check.require(check.spa.is_authenticated(), prop,
                  "isAuthenticated() is false after the reload")
    check.at_path(check.guarded, prop)
    check.shows(check.app.item, prop, count=check.item_count("alice"))
    journal = backend.journal(after=seq)
    refreshes = journal.refresh_statuses(since=seq)
    check.require(refreshes == [200],
                  "a reload restores the session with exactly one silent refresh",
                  f"after the reload the journal has {len(refreshes)} refreshes "
                  f"({evidence.tally(refreshes)})")
    # The token in memory before the reload is gone: nothing after it carries it.
    carried = [f"{e.method} {e.path}" for e in journal if e.access_jti in before_jtis]
    check.require(not carried, "the access token does not outlive a reload (memory only)",
                  f"after the reload the app sent the old token with {', '.join(carried[:3])}")


@pytest.mark.conformance("L2")
def test_L2_new_tab_is_logged_in_by_its_own_silent_refresh(harness_check: Check) -> None:
    check = harness_check
    backend = check.backend
    start = check.logged_in()
    tab = check.spa.new_tab()
    tab.open(check.guarded)
    prop = f"a new tab opened on {check.guarded} is logged in without a login"
    check.require(tab.is_authenticated(), prop, "isAuthenticated() is false in the new tab",
                  f"the new tab: on {tab.page.url}")
    check.shows(check.app.item, prop, count=check.item_count("alice"), page=tab.page)
    refreshes = backend.journal(after=start.seq).refresh_statuses(since=start.seq)
    check.require(refreshes in ([200], []), "a new tab makes at most one silent refresh",
                  f"the journal has {len(refreshes)} refreshes ({evidence.tally(refreshes)}) "
                  "since the tab opened")
    states = check.family_states()
    check.require(states == ["live"], "opening a tab keeps the session",
                  lambda: evidence.sessions(states))


@pytest.mark.conformance("L3")
def test_L3_inside_the_skew_window_the_app_refreshes_before_sending(
        harness_check: Check, harness_clock: TimeControl) -> None:
    check = harness_check
    facts, backend = check.facts, check.backend
    harness_clock.install(check.page)
    start = check.logged_in()
    # Both clocks move to 10 s before `exp`; a timer the app set for its renewal fires
    # on the way, a renewal at send time happens with the request.
    harness_clock.advance(backend.access_token_lifetime_left() - RENEW_BEFORE_EXP_S)
    res = check.spa.request("GET", f"{facts.list.path}?l3=1")
    prop = (f"the app renews the access token before it expires (a renewal window of "
            f"{RENEWAL_WINDOW_S} s or more)")
    renewed, _ = backend.wait_journal(start.seq, path=facts.refresh.path,
                                      method=facts.refresh.method, answered=True,
                                      timeout=RENEWAL_WAIT_S)
    after = backend.journal(after=start.seq)
    seen = ", ".join(f"{e.method} {e.path} {e.status}" for e in after
                     if e.method != "OPTIONS")
    check.require(renewed, prop, f"no refresh reached the backend, though the token expires "
                                 f"in {RENEW_BEFORE_EXP_S} s and a request was sent",
                  f"journal since the clocks moved: {seen}")
    refreshes = after.statuses(facts.refresh)
    check.require(refreshes == [200], f"{prop}, with exactly one refresh",
                  f"the journal has {len(refreshes)} refreshes ({evidence.tally(refreshes)})",
                  f"journal since the clocks moved: {seen}")
    round_trips = [f"{e.method} {e.path}" for e in after
                   if e.status == 401 and e.path != facts.refresh.path]
    check.require(not round_trips, f"{prop}: no request needs a 401 round trip",
                  f"{', '.join(round_trips)} answered 401",
                  f"journal since the clocks moved: {seen}")
    attempts = after.attempts_of(facts.list, "l3=1")
    check.require(res.status == 200 and len(attempts) == 1, f"{prop}; the request succeeds",
                  f"authHarness.request resolved with {res.status}; the backend saw "
                  + ", ".join(f"{a.status} "
                              f"({evidence.token_label(a.jti, start.token, None, 'the old token')})"
                              for a in attempts))


@pytest.mark.conformance("L4", cross_origin=True)
def test_L4_logout_revokes_clears_and_stays_logged_out(
        harness_check: Check, context: BrowserContext, _harness_outsider: Outsider) -> None:
    check = harness_check
    facts, backend, outsider = check.facts, check.backend, _harness_outsider
    check.logged_in(check.guarded)
    access = backend.journal().current_access_token()
    cookie = check.refresh_value(context)
    in_cookie = not facts.api.hands_refresh_token_to_scripts

    check.spa.logout()
    logouts = backend.journal().statuses(facts.logout)
    check.require(len(logouts) == 1 and 200 <= (logouts[0] or 0) < 300,
                  f"logout tells the server ({facts.logout}, once)",
                  f"the journal has {len(logouts)} logout requests ({evidence.tally(logouts)})")
    if not facts.backend_is_theirs:
        # Another backend's sessions are judged from outside, as the edge sees them: by the
        # old refresh value and access token below.
        states = [(f.state, f.reason) for f in check.families()]
        check.backend_part(states == [("revoked", "logout")],
                           "logout revokes the session on the server",
                           evidence.sessions(states))
    if in_cookie:
        check.backend_part(cookie_value(context, facts.cookie.name) is None,
                           "logout clears the refresh cookie", "the cookie is still in the browser")
    check.require(not check.spa.is_authenticated(), "logout clears the access token from memory",
                  "isAuthenticated() is still true")
    check.shows(check.app.login_form,
                "after logout on a guarded route the app shows its login page")
    check.page.reload()
    check.spa.ready()
    check.require(not check.spa.is_authenticated(),
                  "a reload after logout does not restore the session",
                  "isAuthenticated() is true after the reload")
    old_access = outsider.get(facts.current_user.path, access).status_code
    check.backend_part(old_access == 401, "the old access token is rejected after logout",
                       f"{facts.current_user} with it answered {old_access}")
    old_refresh = outsider.refresh(cookie).status_code
    check.backend_part(old_refresh == facts.refresh_failure_status,
                       f"the old refresh {'cookie' if in_cookie else 'token'} is rejected after "
                       "logout", f"a refresh with it answered {old_refresh}")


@pytest.mark.conformance("L5")
def test_L5_guarded_route_leads_to_login_and_back_after_login(harness_check: Check) -> None:
    check = harness_check
    admin = check.app.routes.admin
    if not check.app.has_admin:
        pytest.skip("L5: not checked: the app has no admin page (routes.admin is \"\" in "
                    "--app-config), and L5 asks for it logged out, then logs in as admin")
    check.setup(f"open {admin} logged out", lambda: check.spa.open(admin))
    check.shows(check.app.login_form, "a guarded route shows the login page when logged out")
    check.require(not check.spa.is_authenticated(), "logged out at the start",
                  "isAuthenticated() is true before any login")
    check.app_login("admin")
    prop = "after login the app returns to the guarded route the user asked for"
    check.at_path(admin, prop)
    check.shows(check.app.login_form, prop, visible=False)


@pytest.mark.conformance("L6")
def test_L6_current_user_after_reload_comes_from_the_api(
        harness_check: Check, _harness_outsider: Outsider) -> None:
    check = harness_check
    facts, backend = check.facts, check.backend
    current_user = facts.current_user
    start = check.logged_in(check.guarded, "bob")
    check.page.reload()
    check.spa.ready()
    renewed = backend.journal().issued().access_jtis[-1]
    found = _answered_with(backend, start.seq, current_user, renewed,
                           timeout=UI_TIMEOUT_MS / 1000)
    journal = backend.journal()
    after = journal.after(start.seq)
    check.require(found, f"after a reload the app asks {current_user.path} for the user",
                  f"no {current_user} with the renewed token was answered 200 within "
                  f"{UI_TIMEOUT_MS / 1000:g} s",
                  "journal since the reload: " + ", ".join(
                      f"{e.method} {e.path} {e.status}" for e in after
                      if e.method != "OPTIONS"))
    user = _harness_outsider.get(current_user.path, journal.current_access_token()).json()
    names = [str(user[k]) for k in ("username", "name") if user.get(k)]
    check.shows_text(check.app.current_user, names,
                     f"{check.guarded} shows the user from {current_user.path} "
                     f"({' or '.join(map(repr, names))}, in any case)")


def _answered_with(backend: BackendClient, after: int, endpoint: Endpoint, jti: str,
                   timeout: float) -> bool:
    """Whether, within `timeout` seconds, a request to `endpoint` that carried the access
    token `jti` is answered 200 after seq `after`. The server can wait for a 200 of the
    endpoint, not for the token it carried: each wait asks for one more 200 than the last
    journal showed, so it returns only when another one comes (or at the deadline)."""
    deadline = time.monotonic() + timeout
    count = 1
    while True:
        met, journal = backend.wait_journal(after, count=count, path=endpoint.path,
                                            method=endpoint.method, status=200,
                                            timeout=max(deadline - time.monotonic(), 0.001))
        answered = [e for e in journal.to(endpoint) if e.status == 200]
        if any(e.access_jti == jti for e in answered):
            return True
        if not met or time.monotonic() >= deadline:
            return False
        count = len(answered) + 1


@pytest.mark.conformance("L7")
def test_L7_sixth_login_evicts_the_least_recently_used_session(
        harness_backend: BackendClient, _harness_outsider: Outsider,
        request: pytest.FixtureRequest) -> None:
    # The backend's part only: six devices log in as one user, none of them a browser
    # (`harness_check` would open one).
    backend, outsider = harness_backend, _harness_outsider
    check = _browserless_verdict(request)
    facts = backend.facts()
    if facts.backend_is_theirs:
        # A backend that stands in for one without a limit is held to the reference's.
        limit = facts.session_limit or (None if facts.upstream else REFERENCE_SESSION_LIMIT)
        _sessions_beyond_the_declared_limit(check, outsider, limit)
        return
    for n in range(1, 6):
        check.setup(f"log in ({n} of 5)",
                    lambda: outsider.login("alice").raise_for_status())
    cookies = backend.journal().issued().refresh_tokens
    # The first session is used again, so the second is now the least recently used.
    used = outsider.refresh(cookies[0]).status_code
    check.backend_part(used == 200, "a live session can be refreshed",
                       f"refreshing the first of five sessions answered {used}")
    check.setup("log in a sixth time",
                lambda: outsider.login("alice").raise_for_status())
    families = backend.sessions()
    summary = ", ".join(f"{f.id[:6]}… {f.state}" + (f" ({f.reason})" if f.reason else "")
                        for f in families)
    live = [f.state for f in families].count("live")
    check.backend_part(live == 5 and len(families) == 6,
                       "a user's sixth session evicts one: five stay live",
                       f"{live} of {len(families)} sessions are live", f"sessions: {summary}")
    evicted = [(f.id, f.reason) for f in families if f.state != "live"]
    check.backend_part(evicted == [(families[1].id, "evicted")],
                       "the sixth login evicts the least recently used session (the second)",
                       lambda: (f"{len(evicted)} sessions ended: "
                                + ", ".join(f"the {_nth(families, sid)} ({reason})"
                                            for sid, reason in evicted)
                                if evicted else "none ended"), f"sessions: {summary}")


def _nth(families: list[Family], sid: str) -> str:
    """Which of the user's sessions `sid` is, in order of login ("second")."""
    n = [f.id for f in families].index(sid)
    return ("first", "second", "third", "fourth", "fifth", "sixth")[n] if n < 6 else f"#{n + 1}"


def _sessions_beyond_the_declared_limit(check: Verdict, outsider: Outsider,
                                        limit: int | None) -> None:
    """Behind the edge: the team's backend promises `limit` sessions a user (the accounts
    file's `session_limit`). Its sessions cannot be counted from outside, so each one is
    tried: after `limit` logins, a refresh of the first and one login more, exactly `limit`
    refresh, and the one that does not is the least recently used (the second)."""
    if limit is None:
        pytest.skip("L7 (backend): not checked behind the edge: the accounts file declares "
                    "no session_limit, and a backend's sessions cannot be counted from "
                    "outside it")
    values: list[str | None] = []
    for n in range(1, limit + 2):
        answer = check.setup(f"log in ({n} of {limit + 1})", lambda: outsider.login("alice"))
        check.setup(f"log in ({n} of {limit + 1})", answer.raise_for_status)
        values.append(outsider.refresh_value(answer))
        if n == limit:
            # The first session is used again, so the second is now the least recently used.
            used = outsider.refresh(values[0] or "")
            check.backend_part(used.status_code == 200, "a live session can be refreshed",
                               f"refreshing the first of {limit} sessions answered "
                               f"{used.status_code}", needed=True)
            values[0] = outsider.refresh_value(used)
    if None in values:
        check.setup_failed("each login hands out a refresh value",
                           f"{values.count(None)} of {len(values)} logins handed out none")
    refreshed = [outsider.refresh(v or "").status_code == 200 for v in values]
    live = refreshed.count(True)
    check.backend_part(live == limit,
                       f"a user's session beyond the limit ({limit}) evicts one: {limit} stay "
                       f"live", f"{live} of {limit + 1} sessions still refresh")
    # The first was used again: with more than one session allowed, the second is the least
    # recently used; with one, the first is.
    lru = 1 if limit > 1 else 0
    check.backend_part(not refreshed[lru], "the login beyond the limit evicts the least "
                                           f"recently used session (the "
                                           f"{'second' if lru else 'first'})",
                       f"the sessions that still refresh: "
                       f"{[n + 1 for n, ok in enumerate(refreshed) if ok]}")


def _browserless_verdict(request: pytest.FixtureRequest) -> Verdict:
    """The verdict of a check that needs no browser, with the ID of its `conformance`
    marker, as `harness_check` reads it (which needs the SPA, and so a browser)."""
    marker = request.node.get_closest_marker("conformance")
    if marker is None or not marker.args:
        raise pytest.UsageError(f"{request.node.nodeid}: no conformance marker with an ID")
    verdict = Verdict(str(marker.args[0]),
                      request.getfixturevalue("harness_facts").backend_is_theirs)
    request.node.stash[VERDICT] = verdict
    return verdict


@pytest.mark.conformance("L8")
def test_L8_refresh_fails_after_the_absolute_lifetime_despite_daily_rotation(
        harness_check: Check, harness_clock: TimeControl) -> None:
    check = harness_check
    facts, backend = check.facts, check.backend
    if not facts.refresh_ttl_known:
        pytest.skip("L8 (backend): not checked behind the edge: your backend's refresh "
                    "values are not JWTs, so their lifetime is unknown; declare "
                    "refresh_lifetime in the accounts file")
    harness_clock.install(check.page)
    check.logged_in(check.guarded)
    days = int(facts.refresh_ttl // DAY)
    check.backend_part(facts.refresh_ttl <= LONGEST_LIFETIME_DAYS * DAY,
                       f"after the absolute lifetime (at most {LONGEST_LIFETIME_DAYS} days) "
                       "the refresh is refused",
                       f"the backend gives its sessions an absolute lifetime of "
                       f"{facts.refresh_ttl / DAY:g} days (its facts' lifetimes.refresh)",
                       needed=True)
    for day in range(1, days):
        harness_clock.advance(DAY)
        check.probe_expired_answer()
        res = check.spa.request("GET", f"{facts.list.path}?day={day}")
        check.require(res.status == 200,
                      "the session lasts until its absolute lifetime when used daily",
                      f"on day {day} of {days} a request ended with {res.status} "
                      f"{res.error or ''}")
    journal = backend.journal()
    rotations = journal.refresh_statuses()
    check.require(rotations == [200] * (days - 1), "one refresh a day renews the access token",
                  f"the daily refreshes answered {rotations}")
    seq = journal.last_seq
    harness_clock.advance(facts.refresh_ttl - (days - 1) * DAY + 1)
    check.probe_expired_answer()
    res = check.spa.request("GET", f"{facts.list.path}?after=lifetime")
    last = backend.journal(after=seq).refresh_statuses(since=seq)
    check.require(last, "a request whose token expired causes a refresh",
                  "after the lifetime the app made no refresh")
    check.backend_part(last[-1] == facts.refresh_failure_status,
                       "after the absolute lifetime the refresh is refused",
                       f"the refresh answered {last[-1]}", needed=True)
    prop = "after a refused refresh the request fails and the session ends"
    check.require(not 200 <= (res.status or 0) < 300, prop,
                  f"authHarness.request resolved with {res.status}")
    check.require(not check.spa.is_authenticated(), prop, "isAuthenticated() is still true")
    check.shows(check.app.login_form, "when the session ends on a guarded route the app shows its "
                              "login page")
