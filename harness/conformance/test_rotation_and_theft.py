"""T: rotation, theft of a rotated cookie, and one refresh across tabs."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import pytest
from playwright.sync_api import BrowserContext

from harness.browser.driver import SETTLE_TIMEOUT_MS, Call, Pending, SpaDriver
from harness.browser.page_probes import cookie_value
from harness.browser.view import Appearance
from harness.seam.journal import Request
from harness.seam.outsider import Outsider
from harness.verdicts import evidence
from harness.verdicts.check import Check

# T2: the thief replays a copied value this long after the app's rotation, well past the
# window in which the backend takes an old value for a tab that lost a race.
REPLAY_AFTER_S = 60
# T1: refreshes of one value sent at once, and how many times at most behind the edge (a
# forking backend, measured under load, forked by round 7 at the latest; the harness's own
# backend takes its rotations in turn, so one round shows what it does).
CONCURRENT_REFRESHES = 8
CONCURRENT_ROUNDS = 20
# T4: how soon the other tabs must show that the user logged out.
LOGOUT_REACHES_TABS_MS = 1_000
# T5: how much of its page time a tab may wait on another tab's refresh that never ends
# (the same bound as a refresh that never answers, F2).
TAB_MAY_WAIT_S = 30


@pytest.mark.conformance("T1")
def test_T1_each_refresh_rotates_the_cookie_and_kills_the_previous_value(
        harness_check: Check, context: BrowserContext, _harness_outsider: Outsider) -> None:
    check = harness_check
    facts, backend = check.facts, check.backend
    check.logged_in()
    in_cookie = not facts.api.hands_refresh_token_to_scripts
    value = "refresh cookie value" if in_cookie else "refresh token"

    def held() -> str | None:
        """What the app holds: the jar's cookie, or the token the backend handed it last."""
        if in_cookie:
            return cookie_value(context, facts.cookie.name)
        handed = backend.journal().issued().refresh_tokens
        return handed[-1] if handed else None

    values = [held()]
    for round_ in range(2):
        check.expire_access_token()
        res = check.spa.request("GET", f"{facts.list.path}?t1={round_}")
        refreshes = backend.journal().refresh_statuses()
        check.require(res.status == 200, "each refresh rotates the refresh cookie and the "
                                         "session goes on",
                      f"the request that needed refresh {round_ + 1} ended with {res.status}",
                      f"refreshes: {evidence.tally(refreshes)}")
        values.append(held())
        # The backend's part, before the next round stands on it: a backend that keeps the
        # value has the app send a retired one next, through no fault of the app.
        check.backend_part(values[-1] is not None and values[-1] not in values[:-1],
                           f"each refresh rotates the {value}: it sets a new one",
                           f"after refresh {round_ + 1} the app holds "
                           f"{'no value' if values[-1] is None else 'the value it had'}",
                           needed=True)
    generations = [e.refresh_generation for e in backend.journal().refreshes()]
    check.require(generations == [0, 1], f"each refresh sends the newest {value}",
                  f"the refreshes carried generations {generations}")
    # The newest value first, while it is live: a backend may end the whole family once the
    # previous value is replayed below.
    _concurrent_refreshes_leave_one_successor(check, _harness_outsider, values[-1])
    previous = values[-2]
    assert previous is not None
    answer = _harness_outsider.refresh(previous).status_code
    check.backend_part(answer == facts.refresh_failure_status,
                       "a rotated refresh value no longer works",
                       f"refreshing with the previous value answered {answer}")


def _concurrent_refreshes_leave_one_successor(check: Check, outsider: Outsider,
                                              value: str | None) -> None:
    """The backend's part: N refreshes of one value at once leave exactly one successor.
    Not left to luck: a gate holds all N and lets them go together, over rounds (each after
    the first on a new login), so a backend that serializes its rotations is never reported
    and one that forks shows it."""
    facts, backend = check.facts, check.backend
    rounds = CONCURRENT_ROUNDS if facts.backend_is_theirs else 1
    for round_ in range(1, rounds + 1):
        assert value is not None
        gate = backend.fault(facts.refresh.path, times=CONCURRENT_REFRESHES,
                             method=facts.refresh.method, gate=True)
        with ThreadPoolExecutor(CONCURRENT_REFRESHES) as pool:
            answers = [pool.submit(outsider.refresh, value)
                       for _ in range(CONCURRENT_REFRESHES)]
            held = gate.wait_held(CONCURRENT_REFRESHES)
            gate.release()
            responses = [a.result() for a in answers]
        if not held:
            check.setup_failed(f"hold {CONCURRENT_REFRESHES} refreshes of one value at once",
                               f"only {gate.state().held} reached the backend's gate")
        won = [r for r in responses if r.status_code == 200]
        successors = {outsider.refresh_value(r) for r in won} - {None}
        check.backend_part(len(won) <= 1,
                           "concurrent refreshes of one value leave exactly one successor",
                           f"in round {round_}, {len(won)} of {CONCURRENT_REFRESHES} "
                           f"succeeded, with {len(successors)} different successors: the "
                           f"session forks, and a thief racing its owner keeps a session")
        if len(won) > 1:
            return  # found (behind the edge; the harness's own backend failed the check)
        if not won:
            check.backend_part(False, "one of concurrent refreshes of a live value succeeds",
                               f"in round {round_}, all {CONCURRENT_REFRESHES} were refused "
                               f"({evidence.tally([r.status_code for r in responses])})")
            return
        if round_ == rounds:
            return
        # The next round on a session of its own: losers that arrived after the winner's
        # commit may have ended this one, as a backend that detects reuse does.
        fresh = check.setup("log in for the next round", lambda: outsider.login("alice"))
        value = outsider.refresh_value(fresh)
        if value is None:
            return


@pytest.mark.conformance("T2")
def test_T2_replayed_rotated_cookie_is_rejected_and_revokes_the_family(
        harness_check: Check, _harness_outsider: Outsider) -> None:
    check = harness_check
    facts, backend = check.facts, check.backend
    jobs = facts.list.path
    check.logged_in(check.guarded)
    stolen = backend.journal().issued().refresh_tokens[-1]
    check.expire_access_token()
    renewing = check.spa.request("GET", jobs)
    if renewing.status != 200:
        check.setup_failed("a request with an expired token renews it (check R1)",
                           f"it resolved with {renewing.status}")
    # The thief replays the value it copied before the rotation, a minute later.
    backend.advance_clock(REPLAY_AFTER_S)
    replay = _harness_outsider.refresh(stolen)
    refused = facts.refresh_failure_status
    check.backend_part(replay.status_code == refused
                       and facts.api.refresh_access_token not in replay.text,
                       "a replayed, rotated refresh value is refused",
                       f"the replay answered {replay.status_code}", needed=True)
    ends = "a replayed refresh value ends the whole session"
    if not facts.backend_is_theirs:
        states = [(f.state, f.reason) for f in check.families()]
        check.backend_part(states == [("revoked", "reuse")], ends,
                           lambda: f"after it {evidence.sessions(states)}")
    else:
        # Behind the edge the session's end shows only when its newest value is tried: the
        # value the app holds now (a probe, marked in the journal).
        successor = backend.journal().issued().refresh_tokens[-1]
        probe = _harness_outsider.refresh(successor).status_code
        check.backend_part(probe == refused, ends,
                           f"its successor still refreshed ({probe})", needed=True)
        # A backend whose access tokens outlive their session: the app's token still works,
        # so the app meets the ended session only once that token expires.
        token = backend.journal().current_access_token()
        still = _harness_outsider.get(facts.current_user.path, token).status_code
        check.backend_part(still != 200, "a session ended for theft refuses its access tokens",
                           f"the app's access token still answered {still} on "
                           f"{facts.current_user}")
        if still == 200:
            check.expire_access_token()
    # The legitimate app's session is over too: its next refresh fails, it shows login.
    res = check.spa.request("GET", f"{jobs}?after=theft")
    prop = "after the theft is detected the app's session ends"
    check.require(not 200 <= (res.status or 0) < 300, prop,
                  f"its next request resolved with {res.status}",
                  highlight=[Request("GET", jobs, "after=theft")])
    check.require(not check.spa.is_authenticated(), prop, "isAuthenticated() is still true")
    check.shows(check.app.login_form, f"{prop}: on a guarded route the app shows its login page")


def _logged_in_with_a_second_tab(check: Check) -> SpaDriver:
    """Log in on `/`, then open a second tab on `/`, which must be logged in (L2)."""
    check.logged_in()
    other = check.spa.new_tab()
    check.setup(f"open a second tab on {check.home} (check L2)",
                lambda: other.open(check.home))
    if not other.is_authenticated():
        check.setup_failed("a tab opened after login is logged in (check L2)",
                           "isAuthenticated() is false in the second tab")
    return other


@pytest.mark.conformance("T3")
def test_T3_two_tabs_expiring_together_share_one_refresh(harness_check: Check) -> None:
    check = harness_check
    facts, backend = check.facts, check.backend
    jobs = facts.list.path
    other = _logged_in_with_a_second_tab(check)
    seq = backend.mark()
    check.expire_access_token()
    # The first tab's refresh is held, so the second tab's 401s arrive while it is in flight.
    gate = backend.fault(facts.refresh.path, times=2, gate=True)
    first = check.spa.burst(5, f"{jobs}?tab=first")
    check.require(gate.wait_held(1), "requests with an expired token start a refresh",
                  "no refresh from the first tab reached the backend within 10 s")
    second = other.burst(5, f"{jobs}?tab=second")
    # An app that sends them at once gets their 401s while the refresh is held; one that
    # makes them wait for the other tab's refresh sends nothing yet. Up to 2 s to tell them
    # apart, then the refresh is released either way.
    backend.wait_journal(seq, count=5, path=jobs, method="GET", query_contains="tab=second",
                         answered=True, timeout=2)
    gate.release()
    prop = "every request of both tabs succeeds, none hangs"
    results = check.settled(first, prop) + check.settled(second, prop)
    tried = backend.journal().refreshes(since=seq)
    refreshes = [e.status for e in tried]
    states = [(f.state, f.reason) for f in check.families()]
    check.require(refreshes == [200], "two tabs whose tokens expire together share exactly "
                                      "one refresh",
                  f"the journal has {len(refreshes)} refreshes ({evidence.tally(refreshes)})",
                  f"families: {states}", highlight=[e.seq for e in tried])
    check.require(states == [("live", None)], "the session survives two tabs refreshing",
                  lambda: evidence.sessions(states))
    statuses = [r.status for r in results]
    check.require(statuses == [200] * 10, "every request of both tabs succeeds",
                  f"authHarness.request resolved with {evidence.tally(statuses)}")
    lost = [name for name, tab in (("first", check.spa), ("second", other))
            if not tab.is_authenticated()]
    check.require(not lost, "both tabs stay logged in",
                  f"the {' and '.join(lost)} tab logged out")


@pytest.mark.conformance("T4")
def test_T4_logout_in_one_tab_logs_out_the_others_within_a_second_without_polling(
        harness_check: Check) -> None:
    check = harness_check
    check.logged_in(check.guarded)
    jobs = check.item_count("alice")
    tabs = [check.spa.new_tab(), check.spa.new_tab()]
    for tab in tabs:
        # Their timers are frozen: only an event, never polling, can log them out.
        tab.page.clock.install()
        check.setup(f"open {check.guarded} in another tab (check L2)",
                    partial(tab.open, check.guarded))
        check.setup("the other tab shows the profile (check L2)",
                    partial(check.shows, check.app.item, "profile", count=jobs, page=tab.page))
    for tab in tabs:
        tab.page.clock.pause_at(int(time.time() * 1000) + 1000)
    # Each tab reports the moment it shows its login page, so the bound measures the app,
    # not how long the check takes to look at one tab and then the other.
    shown = [Appearance(tab.page, check.app.login_form) for tab in tabs]

    check.spa.logout()
    # The bound runs from when the logout resolved, for every tab at once.
    done = time.monotonic()
    bound_s = LOGOUT_REACHES_TABS_MS / 1000
    prop = f"logout in one tab logs out the other tabs within {bound_s:g} s, without timers"
    for n, (tab, seen) in enumerate(zip(tabs, shown, strict=True), start=2):
        check.shows(check.app.login_form, f"{prop} (tab {n} shows its login page)", page=tab.page)
        # Without a report from the page (the form shown by a style sheet alone), the time
        # the check saw it.
        took = (seen.at if seen.at is not None else time.monotonic()) - done
        check.require(took <= bound_s, prop,
                      f"tab {n} showed its login page {took:.2f} s after logout() resolved",
                      "the time is when the tab's page reported the login page as visible; "
                      "its timers were paused, so an event took that long to reach it or to "
                      "be handled")
        check.require(not tab.is_authenticated(), prop,
                      f"tab {n} shows its login page but isAuthenticated() is still true")


@pytest.mark.conformance("T5")
@pytest.mark.parametrize("first_tab", ["stuck", "closed"])
def test_T5_a_stuck_or_closed_tab_never_blocks_another_tabs_refresh(
        harness_check: Check, first_tab: str) -> None:
    check = harness_check
    facts, backend = check.facts, check.backend
    jobs = facts.list.path
    other = _logged_in_with_a_second_tab(check)
    # Page time (the context's clock, every tab's) is moved by the check, a second at a time.
    check.page.clock.install()

    seq = backend.mark()
    check.expire_access_token()
    gate = backend.fault(facts.refresh.path, times=1, gate=True)
    first = check.spa.burst(1, f"{jobs}?tab=first")
    check.require(gate.wait_held(1),
                  "a request with an expired token starts a refresh (check R1)",
                  "no refresh from the first tab reached the backend within 10 s")
    if first_tab == "closed":
        check.page.close()
    stuck = "whose refresh never answers" if first_tab == "stuck" else \
        "closed while its refresh was held by the backend"
    prop = (f"a tab {stuck} delays another tab by at most {TAB_MAY_WAIT_S} s of page time; "
            f"that tab then refreshes itself or fails its requests, never hangs")

    def settles(pending: Pending, what: str) -> list[int | None]:
        """Page time moves until the second tab sends a refresh of its own or `pending`
        settles, at most TAB_MAY_WAIT_S; then its statuses, or the check fails."""
        sent = len(backend.journal().refreshes(since=seq))
        waited_s = 0
        while (len(backend.journal().refreshes(since=seq)) == sent
               and not pending.settled_within(20) and waited_s < TAB_MAY_WAIT_S):
            other.page.clock.run_for(1000)
            waited_s += 1
        check.require(pending.settled_within(SETTLE_TIMEOUT_MS), prop,
                      f"after {waited_s} s of page time and {SETTLE_TIMEOUT_MS / 1000:.0f} s "
                      f"more of wall time, {pending.pending()} of {what} are still pending",
                      f"refreshes: "
                      f"{evidence.tally(backend.journal().refresh_statuses(since=seq))}")
        return [r.status for r in check.settled(pending, prop)]

    second = other.burst(3, f"{jobs}?tab=second")
    met, _ = backend.wait_journal(seq, count=3, path=jobs, method="GET",
                                  query_contains="tab=second", answered=True)
    check.require(met, "requests with an expired token reach the backend first (check R1)",
                  "the second tab's 3 requests did not reach the backend within 10 s")
    statuses = settles(second, "the second tab's 3 requests")
    # The first tab's refresh is still held: the session goes on only if the second tab can
    # refresh by itself, now or on its next request.
    survive = "the session survives a tab " + stuck
    after = settles(other.start([Call("GET", f"{jobs}?tab=second&after=1")]),
                    "the second tab's next request")
    refreshes = backend.journal().refresh_statuses(since=seq)
    check.require(after == [200], survive,
                  f"the second tab's next request resolved with {after[0]} while the first "
                  f"tab's refresh was still held",
                  f"its 3 requests before: {evidence.tally(statuses)}",
                  f"refreshes: {evidence.tally(refreshes)}")
    gate.release()
    if first_tab == "stuck":
        check.require(first.settled_within(SETTLE_TIMEOUT_MS), prop,
                      "the first tab's own request did not settle, even once the backend let "
                      "its refresh through")
    refreshes = backend.journal().refresh_statuses(since=seq)
    states = [(f.state, f.reason) for f in check.families()]
    check.require(refreshes.count(200) == 1, "exactly one refresh succeeds",
                  f"{refreshes.count(200)} refreshes succeeded ({evidence.tally(refreshes)})",
                  f"families: {states}")
    check.require(states == [("live", None)], survive, lambda: evidence.sessions(states),
                  f"refreshes: {evidence.tally(refreshes)}")
    check.require(other.is_authenticated(), survive,
                  "the second tab's isAuthenticated() is false")
