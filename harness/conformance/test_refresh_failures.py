"""F: a refresh that is refused ends the session; one that fails keeps it; slow is fine."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext

from harness.browser.driver import RequestsHung, Response
from harness.browser.page_probes import cookie_value
from harness.seam.client import ControlError, Fault
from harness.seam.outsider import Outsider
from harness.verdicts import evidence
from harness.verdicts.check import Check

# A refresh that never answers must be given up within this much page time (F2).
REFRESH_GIVE_UP_S = 30
# A slow refresh that still answers within this much page time must be waited for (F3).
SLOW_REFRESH_S = 5
# F2: refreshes the check lets fail in a row (every refresh while the backend is down).
FAILING_REFRESHES = 50


def _failed(results: list[Response]) -> list[str]:
    """The answers that were not a failure: any 2xx."""
    return [f"{r.status}" for r in results if r.status is not None and 200 <= r.status < 300]


def _answers(results: list[Response]) -> str:
    return ", ".join(f"{r.status}" + (f" ({r.error})" if r.error else "") for r in results)


@pytest.mark.conformance("F1", cross_origin=True)
@pytest.mark.parametrize("why", ["expired", "revoked", "reused"])
def test_F1_rejected_refresh_fails_waiters_clears_memory_and_shows_login(
        harness_check: Check, context: BrowserContext, _harness_outsider: Outsider,
        why: str) -> None:
    check = harness_check
    facts, backend = check.facts, check.backend
    check.logged_in(check.guarded)
    cookie = check.refresh_value(context)
    in_cookie = not facts.api.hands_refresh_token_to_scripts
    if why == "expired" and not facts.refresh_ttl_known:
        pytest.skip("F1 (backend): an expired session is not made behind the edge: your "
                    "backend's refresh values are not JWTs, so their lifetime is unknown; "
                    "declare refresh_lifetime in the accounts file")
    if why == "expired":  # past the family's absolute lifetime
        backend.advance_clock(facts.refresh_ttl + 1)
    elif why == "revoked":  # logged out elsewhere
        check.setup("revoke the session from outside",
                    lambda: _harness_outsider.logout(cookie).raise_for_status())
    else:  # someone else rotated it: the app's cookie is now a reused one
        check.setup("rotate the session from outside",
                    lambda: _harness_outsider.refresh(cookie).raise_for_status())
    check.expire_access_token()
    seq = backend.mark()

    results = check.settled(check.spa.burst(3, facts.list.path),
                            f"requests waiting on a refused refresh ({why} session) fail, "
                            f"none hangs")
    # Refreshes that presented the session's cookie: an app that then loads its login page
    # anew may make a silent refresh of its own, with no cookie left to send.
    attempts = [e.status for e in backend.journal().refreshes(since=seq)
                if e.refresh_family is not None]
    check.backend_part(200 not in attempts, f"the refresh of a {why} session is refused",
                       f"the backend answered {evidence.tally(attempts)}", needed=True)
    check.require(attempts == [facts.refresh_failure_status],
                  f"a refused refresh ({why} session) is attempted exactly once",
                  f"the journal has {len(attempts)} refreshes with the session's "
                  f"{'cookie' if in_cookie else 'refresh token'} ({evidence.tally(attempts)})")
    prop = f"when the refresh is refused ({why} session), every waiting request fails"
    check.require(not _failed(results), prop,
                  f"authHarness.request resolved with {_answers(results)}")
    prop = f"a refused refresh ({why} session) ends the session"
    check.require(not check.spa.is_authenticated(), prop,
                  "isAuthenticated() is still true: the access token is still in memory")
    check.shows(check.app.login_form, f"{prop}: on a guarded route the app shows its login page")
    if in_cookie:
        check.backend_part(cookie_value(context, facts.cookie.name) is None,
                           f"the refused refresh ({why} session) clears the refresh cookie",
                           "the cookie is still in the browser")


@pytest.mark.conformance("F2")
@pytest.mark.parametrize("failure", ["5xx", "dropped", "timeout"])
def test_F2_failed_refresh_fails_waiters_in_bounded_time_and_keeps_the_session(
        harness_check: Check, failure: str) -> None:
    check = harness_check
    facts, backend = check.facts, check.backend
    check.page.clock.install()
    check.logged_in()
    check.expire_access_token()
    effect: dict[str, dict[str, object]] = {
        "5xx": {"status": 503}, "dropped": {"drop": True}, "timeout": {"gate": True}}
    what = {"5xx": "answers 503", "dropped": "drops the connection",
            "timeout": "never answers"}[failure]
    # The refresh endpoint stays down until the check clears the fault: every refresh the
    # app tries meanwhile fails the same way, however its requests' 401s interleave.
    seq = backend.mark()
    fault = backend.fault(facts.refresh.path, times=FAILING_REFRESHES, **effect[failure])
    waiting = check.spa.burst(3, facts.list.path)
    if failure == "timeout":
        # Each refresh that reaches the backend is held; page time moves 30 s past it.
        given_up = 0
        for _ in range(waiting.size):
            # One more refresh than before reached the endpoint. Counted in the journal, not
            # by the gate's `held`: a refresh the app gave up and aborted leaves the gate.
            met, journal = backend.wait_journal(seq, count=given_up + 1,
                                                path=facts.refresh.path,
                                                method=facts.refresh.method, timeout=5)
            if not met:
                break
            given_up = len(journal.to(facts.refresh))
            check.page.clock.run_for(REFRESH_GIVE_UP_S * 1000)
            if waiting.settled_within(2_000):
                break
    try:
        # Bounded: the app gives up by itself; the wall-clock limit only catches a hang.
        results = waiting.results(timeout_ms=5_000)
    except RequestsHung as exc:
        bound = f" within {REFRESH_GIVE_UP_S} s of page time" if failure == "timeout" else ""
        check.fail(f"when the refresh endpoint {what}, waiting requests fail{bound}",
                   f"{exc.pending} of {exc.size} requests never settled",
                   f"refresh attempts: {_reached(fault)}")
    check.require(not _failed(results),
                  f"when the refresh endpoint {what}, the requests that needed it fail",
                  f"authHarness.request resolved with {_answers(results)}")
    prop = {"5xx": "a refresh answered 503", "dropped": "a refresh whose connection drops",
            "timeout": "a refresh that times out"}[failure] + " keeps the session"
    check.require(check.spa.is_authenticated(), prop, "isAuthenticated() is false")
    check.shows(check.app.login_form, prop, visible=False)
    backend.clear_faults()

    # The backend is back: the next request refreshes and succeeds.
    res = check.spa.request("GET", f"{facts.list.path}?recovered=1")
    refreshes = backend.journal().refresh_statuses()
    prop = "once the backend recovers, the next request refreshes and succeeds"
    check.require(res.status == 200 and refreshes[-1:] == [200], prop,
                  f"the request resolved with {res.status} {res.error or ''}; refreshes "
                  f"{evidence.tally(refreshes)}")
    states = check.family_states()
    check.require(states == ["live"], prop, lambda: evidence.sessions(states))


def _reached(fault: Fault) -> int:
    """How many refreshes reached the faulted endpoint (the uses the fault has had)."""
    try:
        return FAILING_REFRESHES - fault.state().remaining
    except ControlError:  # no longer armed: nothing to count
        return 0


@pytest.mark.conformance("F3")
def test_F3_slow_refresh_is_waited_for_and_shared(harness_check: Check) -> None:
    check = harness_check
    facts, backend = check.facts, check.backend
    check.page.clock.install()
    check.logged_in()
    check.expire_access_token()
    gate = backend.fault(facts.refresh.path, times=1, gate=True)
    waiting = check.spa.burst(5, facts.list.path)
    check.require(gate.wait_held(1), "requests with an expired token start a refresh",
                  "no refresh reached the backend within 10 s")
    check.page.clock.run_for(SLOW_REFRESH_S * 1000)  # seconds pass while it is held
    gate.release()
    prop = f"a refresh that takes {SLOW_REFRESH_S} s is waited for: every request succeeds"
    results = check.settled(waiting, prop)
    statuses = [r.status for r in results]
    check.require(statuses == [200] * 5, prop,
                  f"authHarness.request resolved with {_answers(results)}")
    answers = backend.journal().refresh_statuses()
    check.require(answers == [200], "the slow refresh is shared: exactly one refresh",
                  f"the journal has {len(answers)} refreshes ({evidence.tally(answers)})")
