"""F: a refresh that is refused ends the session; one that fails keeps it; slow is fine."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, expect

from harness import evidence
from harness.backend_client import BackendClient
from harness.driver import SpaDriver
from harness.outsider import Outsider
from harness.page_probes import cookie_value
from mock_backend import Settings

# A refresh that never answers must be given up within this much page time (F2).
REFRESH_GIVE_UP_S = 30
# A slow refresh that still answers within this much page time must be waited for (F3).
SLOW_REFRESH_S = 5



@pytest.mark.conformance("F1", cross_origin=True)
@pytest.mark.parametrize("why", ["expired", "revoked", "reused"])
def test_F1_rejected_refresh_fails_waiters_clears_memory_and_shows_login(
        spa: SpaDriver, backend: BackendClient, context: BrowserContext, outsider: Outsider,
        backend_settings: Settings, why: str) -> None:
    spa.open("/")
    spa.login()
    cookie = cookie_value(context, backend_settings.cookie_name)
    assert cookie, "F1: no refresh cookie after login"
    if why == "expired":  # past the family's absolute lifetime
        backend.advance_clock(backend_settings.refresh_ttl + 1)
    elif why == "revoked":  # logged out elsewhere
        assert outsider.logout(cookie).status_code == 204
    else:  # someone else rotated it: the app's cookie is now a reused one
        assert outsider.refresh(cookie).status_code == 200
        evidence.expire_access_token(backend)
    before = len(evidence.refreshes(backend))

    results = spa.burst(3).results()
    assert [r.status for r in results] == [401] * 3, f"F1: waiters ended with {results}"
    attempts = [e["status"] for e in evidence.refreshes(backend)[before:]]
    assert attempts == [401], f"F1: expected exactly one refused refresh, got {attempts}"
    assert not spa.is_authenticated(), "F1: the access token is still in memory"
    expect(spa.page.get_by_test_id("login-form")).to_be_visible()
    assert cookie_value(context, backend_settings.cookie_name) is None, (
        "F1: the refused refresh did not clear the cookie")


@pytest.mark.conformance("F2")
@pytest.mark.parametrize("failure", ["5xx", "dropped", "timeout"])
def test_F2_failed_refresh_fails_waiters_in_bounded_time_and_keeps_the_session(
        spa: SpaDriver, backend: BackendClient, failure: str) -> None:
    spa.page.clock.install()
    spa.open("/")
    spa.login()
    evidence.expire_access_token(backend)
    effect: dict[str, dict[str, object]] = {
        "5xx": {"status": 503}, "dropped": {"drop": True}, "timeout": {"gate": True}}
    backend.fault(evidence.REFRESH_PATH, times=1, **effect[failure])
    waiting = spa.burst(3)
    if failure == "timeout":
        backend.wait_for(lambda: backend.faults()[0]["held"] == 1, what="the refresh held")
        spa.page.clock.run_for(REFRESH_GIVE_UP_S * 1000)
    # Bounded: the app gives up by itself; the wall-clock limit only catches a hang.
    results = waiting.results(timeout_ms=5_000)
    assert all(r.status != 200 for r in results), (
        f"F2: a waiter got an answer after a {failure} refresh: statuses "
        f"{[r.status for r in results]}")
    assert spa.is_authenticated(), f"F2: a {failure} refresh ended the session"
    expect(spa.page.get_by_test_id("login-form")).to_have_count(0)
    backend.clear_faults()

    # The backend is back: the next request refreshes and succeeds.
    assert spa.request("GET", "/api/job-list?recovered=1").status == 200
    assert [e["status"] for e in evidence.refreshes(backend)][-1] == 200
    assert [f["state"] for f in backend.sessions()] == ["live"], backend.sessions()


@pytest.mark.conformance("F3")
def test_F3_slow_refresh_is_waited_for_and_shared(spa: SpaDriver,
                                                 backend: BackendClient) -> None:
    spa.page.clock.install()
    spa.open("/")
    spa.login()
    evidence.expire_access_token(backend)
    gate = backend.fault(evidence.REFRESH_PATH, times=1, gate=True)
    waiting = spa.burst(5)
    backend.wait_for(lambda: backend.faults()[0]["held"] == 1, what="the refresh held")
    spa.page.clock.run_for(SLOW_REFRESH_S * 1000)  # seconds pass while it is held
    gate.release()
    statuses = [r.status for r in waiting.results()]
    assert statuses == [200] * 5, f"F3: answers after a slow refresh {statuses}"
    answers = [e["status"] for e in evidence.refreshes(backend)]
    assert answers == [200], f"F3: expected one refresh, the journal has {answers}"
