"""L: the session across reloads, tabs, time, logout, guarded routes and limits."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, expect

from harness import evidence
from harness.backend_client import BackendClient
from harness.driver import SpaDriver
from harness.outsider import Outsider
from harness.page_probes import cookie_value
from harness.time_control import TimeControl
from mock_backend import Settings

DAY = 86400


def _path_is(path: str) -> re.Pattern[str]:
    return re.compile(rf"^[^?#]*//[^/]+{re.escape(path)}([?#].*)?$")



@pytest.mark.conformance("L1", cross_origin=True)
def test_L1_reload_restores_the_session_with_exactly_one_silent_refresh(
        spa: SpaDriver, backend: BackendClient) -> None:
    spa.open("/profile")
    spa.login()
    expect(spa.page).to_have_url(_path_is("/profile"))
    before_jtis = set(evidence.issued(backend).access_jtis)
    seq = evidence.mark(backend)

    spa.page.reload()
    spa.ready()
    assert spa.is_authenticated(), "L1: not logged in after a reload"
    expect(spa.page).to_have_url(_path_is("/profile"))
    expect(spa.page.get_by_test_id("job-item")).to_have_count(3)
    refreshes = [e["status"] for e in evidence.since(backend, seq, evidence.REFRESH_PATH, "POST")]
    assert refreshes == [200], f"L1: refreshes after the reload {refreshes}"
    # The token in memory before the reload is gone: nothing after it carries it.
    carried = {e["access_jti"] for e in evidence.since(backend, seq) if e["access_jti"]}
    assert carried and not carried & before_jtis, "L1: a pre-reload access token was used"


@pytest.mark.conformance("L2")
def test_L2_new_tab_is_logged_in_by_its_own_silent_refresh(
        spa: SpaDriver, backend: BackendClient) -> None:
    spa.open("/")
    spa.login()
    seq = evidence.mark(backend)
    tab = spa.new_tab()
    tab.open("/profile")
    assert tab.is_authenticated(), "L2: the new tab is not logged in"
    expect(tab.page.get_by_test_id("job-item")).to_have_count(3)
    refreshes = [e["status"] for e in evidence.since(backend, seq, evidence.REFRESH_PATH, "POST")]
    assert refreshes == [200], f"L2: the new tab's refreshes {refreshes}"


@pytest.mark.conformance("L3")
def test_L3_inside_the_skew_window_the_app_refreshes_before_sending(
        spa: SpaDriver, backend: BackendClient, time_control: TimeControl) -> None:
    time_control.install(spa.page)
    spa.open("/")
    spa.login()
    # One minute before `exp` by both clocks: inside any sensible skew window.
    time_control.advance(evidence.token_lifetime_left(backend) - 60)
    seq = evidence.mark(backend)
    res = spa.request("GET", "/api/job-list?l3=1")
    assert res.status == 200, f"L3: {res}"
    seen = [(e["method"], e["path"], e["status"]) for e in evidence.since(backend, seq)]
    assert seen == [("POST", evidence.REFRESH_PATH, 200), ("GET", "/api/job-list", 200)], (
        f"L3: expected a refresh, then the request with no 401 round trip: {seen}")
    renewed = evidence.issued(backend).access_jtis[-1]
    assert evidence.since(backend, seq, "/api/job-list")[0]["access_jti"] == renewed


@pytest.mark.conformance("L4", cross_origin=True)
def test_L4_logout_revokes_clears_and_stays_logged_out(
        spa: SpaDriver, backend: BackendClient, context: BrowserContext, outsider: Outsider,
        backend_settings: Settings) -> None:
    spa.open("/profile")
    spa.login()
    access = evidence.current_access_token(backend)
    cookie = cookie_value(context, backend_settings.cookie_name)
    assert cookie, "L4: no refresh cookie after login"

    spa.logout()
    assert [e["status"] for e in backend.journal("/api/logout", "POST")] == [204], (
        "L4: the app did not call the server to log out")
    states = [(f["state"], f["reason"]) for f in backend.sessions()]
    assert states == [("revoked", "logout")], f"L4: families after logout {states}"
    assert cookie_value(context, backend_settings.cookie_name) is None, "L4: cookie not cleared"
    assert not spa.is_authenticated(), "L4: still authenticated after logout"
    expect(spa.page.get_by_test_id("login-form")).to_be_visible()
    spa.page.reload()
    spa.ready()
    assert not spa.is_authenticated(), "L4: a reload restored the session"
    assert outsider.get("/api/current-user", access).status_code == 401, (
        "L4: the old access token still works")
    assert outsider.refresh(cookie).status_code == 401, "L4: the old refresh cookie still works"


@pytest.mark.conformance("L5")
def test_L5_guarded_route_leads_to_login_and_back_after_login(spa: SpaDriver) -> None:
    spa.open("/admin")
    expect(spa.page.get_by_test_id("login-form")).to_be_visible()
    assert not spa.is_authenticated()
    spa.login("admin")
    expect(spa.page, "L5: after login the app is not back on the guarded route").to_have_url(
        _path_is("/admin"))
    expect(spa.page.get_by_test_id("login-form")).to_have_count(0)


@pytest.mark.conformance("L6")
def test_L6_current_user_after_reload_comes_from_the_api(spa: SpaDriver,
                                                        backend: BackendClient) -> None:
    spa.open("/profile")
    spa.login("bob")
    seq = evidence.mark(backend)
    spa.page.reload()
    spa.ready()
    expect(spa.page.get_by_test_id("current-user"),
           "L6: the page does not show the user from /api/current-user").to_contain_text("bob")
    after = evidence.since(backend, seq)
    renewed = evidence.issued(backend).access_jtis[-1]
    asked = [e for e in after if e["path"] == "/api/current-user" and e["status"] == 200
             and e["access_jti"] == renewed]
    assert asked, "L6: after a reload the user was not asked of /api/current-user"


@pytest.mark.conformance("L7")
def test_L7_sixth_login_evicts_the_least_recently_used_session(
        spa: SpaDriver, backend: BackendClient, outsider: Outsider) -> None:
    spa.open("/")
    for _ in range(5):
        spa.login()
    cookies = evidence.issued(backend).refresh_tokens
    # The first session is used again, so the second is now the least recently used.
    assert outsider.refresh(cookies[0]).status_code == 200
    spa.login()
    families = backend.sessions()
    states = [f["state"] for f in families]
    assert states.count("live") == 5 and len(families) == 6, f"L7: families {families}"
    evicted = [(f["id"], f["reason"]) for f in families if f["state"] != "live"]
    assert evicted == [(families[1]["id"], "evicted")], (
        f"L7: expected the least recently used (second) session evicted: {families}")
    assert spa.request("GET", "/api/current-user").status == 200


@pytest.mark.conformance("L8")
def test_L8_refresh_fails_after_the_absolute_lifetime_despite_daily_rotation(
        spa: SpaDriver, backend: BackendClient, time_control: TimeControl,
        backend_settings: Settings) -> None:
    time_control.install(spa.page)
    spa.open("/")
    spa.login()
    days = int(backend_settings.refresh_ttl // DAY)
    for day in range(1, days):
        time_control.advance(DAY)
        res = spa.request("GET", f"/api/job-list?day={day}")
        assert res.status == 200, f"L8: day {day} of {days}: {res}"
    rotations = [e["status"] for e in evidence.refreshes(backend)]
    assert rotations == [200] * (days - 1), f"L8: daily refreshes {rotations}"
    time_control.advance(backend_settings.refresh_ttl - (days - 1) * DAY + 1)
    res = spa.request("GET", "/api/job-list?after=lifetime")
    assert res.status == 401, f"L8: after the absolute lifetime the request ended with {res}"
    assert evidence.refreshes(backend)[-1]["status"] == 401, "L8: the last refresh succeeded"
    assert not spa.is_authenticated()
    expect(spa.page.get_by_test_id("login-form")).to_be_visible()
