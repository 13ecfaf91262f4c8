"""T: rotation, theft of a rotated cookie, and one refresh across tabs."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import BrowserContext, expect

from harness import evidence
from harness.backend_client import BackendClient
from harness.driver import SpaDriver
from harness.outsider import Outsider
from harness.page_probes import cookie_value
from mock_backend import Settings


@pytest.mark.conformance("T1")
def test_T1_each_refresh_rotates_the_cookie_and_kills_the_previous_value(
        spa: SpaDriver, backend: BackendClient, context: BrowserContext, outsider: Outsider,
        backend_settings: Settings) -> None:
    spa.open("/")
    spa.login()
    values = [cookie_value(context, backend_settings.cookie_name)]
    for round_ in range(2):
        evidence.expire_access_token(backend)
        res = spa.request("GET", f"/api/job-list?t1={round_}")
        assert res.status == 200, f"T1: the request that needed refresh {round_ + 1} got {res}"
        values.append(cookie_value(context, backend_settings.cookie_name))
    assert None not in values and len(set(values)) == 3, (
        "T1: the refresh cookie did not change at every refresh")
    generations = [e["refresh_generation"] for e in evidence.refreshes(backend)]
    assert generations == [0, 1], f"T1: refreshes carried generations {generations}"
    previous = values[-2]
    assert previous is not None
    assert outsider.refresh(previous).status_code == 401, "T1: the previous value still works"


@pytest.mark.conformance("T2")
def test_T2_replayed_rotated_cookie_is_rejected_and_revokes_the_family(
        spa: SpaDriver, backend: BackendClient, outsider: Outsider) -> None:
    spa.open("/profile")
    spa.login()
    stolen = evidence.issued(backend).refresh_tokens[-1]
    evidence.expire_access_token(backend)
    assert spa.request("GET", "/api/job-list").status == 200  # the app rotates
    # The thief replays the value it copied before the rotation.
    replay = outsider.refresh(stolen)
    assert replay.status_code == 401, f"T2: replay answered {replay.status_code}"
    assert "accessToken" not in replay.text
    states = [(f["state"], f["reason"]) for f in backend.sessions()]
    assert states == [("revoked", "reuse")], f"T2: families after the replay {states}"
    # The legitimate app's session is over too: its next refresh fails, it shows login.
    res = spa.request("GET", "/api/job-list?after=theft")
    assert res.status == 401, f"T2: the app's request after the theft ended with {res}"
    assert evidence.refreshes(backend)[-1]["status"] == 401
    assert not spa.is_authenticated()
    expect(spa.page.get_by_test_id("login-form")).to_be_visible()


@pytest.mark.conformance("T3")
def test_T3_two_tabs_expiring_together_share_one_refresh(spa: SpaDriver,
                                                         backend: BackendClient) -> None:
    other = spa.new_tab()
    spa.open("/")
    other.open("/")
    spa.login()
    expect_logged_in = [spa, other]
    backend.wait_for(lambda: all(t.is_authenticated() for t in expect_logged_in),
                     what="both tabs logged in")
    evidence.expire_access_token(backend)
    # The first tab's refresh is held, so the second tab's 401s arrive while it is in flight.
    gate = backend.fault(evidence.REFRESH_PATH, times=2, gate=True)
    first = spa.burst(5, "/api/job-list?tab=first")
    backend.wait_for(lambda: backend.faults()[0]["held"] >= 1, what="a refresh held")
    second = other.burst(5, "/api/job-list?tab=second")
    backend.wait_for(lambda: sum(1 for e in backend.journal("/api/job-list", "GET")
                                 if "tab=second" in e["query"] and e["status"]) >= 5,
                     what="the second tab's requests answered")
    gate.release()
    statuses = [r.status for r in first.results() + second.results()]
    refreshes = [e["status"] for e in evidence.refreshes(backend)]
    states = [(f["state"], f["reason"]) for f in backend.sessions()]
    assert refreshes == [200], f"T3: refreshes across both tabs {refreshes}"
    assert states == [("live", None)], f"T3: families {states}"
    assert statuses == [200] * 10, f"T3: answers {statuses}"
    assert spa.is_authenticated() and other.is_authenticated(), "T3: a tab lost its session"


@pytest.mark.conformance("T4")
def test_T4_logout_in_one_tab_logs_out_the_others_within_a_second_without_polling(
        spa: SpaDriver) -> None:
    tabs = [spa, spa.new_tab(), spa.new_tab()]
    for tab in tabs[1:]:
        # Their timers are frozen: only an event, never polling, can log them out.
        tab.page.clock.install()
    for tab in tabs:
        tab.open("/profile")
    spa.login()
    for tab in tabs:
        expect(tab.page.get_by_test_id("job-item")).to_have_count(3)
    for tab in tabs[1:]:
        tab.page.clock.pause_at(int(time.time() * 1000) + 1000)

    spa.logout()
    for tab in tabs[1:]:
        expect(tab.page.get_by_test_id("login-form"),
               "T4: a tab still shows the app a second after logout").to_be_visible(timeout=1000)
        assert not tab.is_authenticated(), "T4: a tab kept its access token after logout"
