"""L: the session across reloads, tabs, time, logout, guarded routes and limits."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext

from harness.browser.clock import TimeControl
from harness.browser.driver import SpaDriver
from harness.browser.page_probes import cookie_value
from harness.seam.client import BackendClient
from harness.seam.facts import BackendFacts
from harness.seam.outsider import Outsider
from harness.verdicts import evidence
from harness.verdicts.verdict import UI_TIMEOUT_MS, Verdict

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
# L3: how long after its request the check waits for the renewal to show in the journal.
RENEWAL_WAIT_S = 5


@pytest.mark.conformance("L1", cross_origin=True)
def test_L1_reload_restores_the_session_with_exactly_one_silent_refresh(
        harness_spa: SpaDriver, harness_backend: BackendClient,
        harness_facts: BackendFacts) -> None:
    spa, backend, facts = harness_spa, harness_backend, harness_facts
    v = Verdict("L1")
    v.logged_in(spa, "/profile")
    journal = backend.journal()
    before_jtis = set(journal.issued().access_jtis)
    seq = journal.last_seq

    spa.page.reload()
    spa.ready()
    prop = "a reload keeps the user logged in on the same route"
    v.require(spa.is_authenticated(), prop, "isAuthenticated() is false after the reload")
    v.at_path(spa.page, "/profile", prop)
    v.shows(spa.page, "job-item", prop, count=facts.user("alice").jobs)
    journal = backend.journal()
    refreshes = journal.refresh_statuses(since=seq)
    v.require(refreshes == [200], "a reload restores the session with exactly one silent refresh",
              f"after the reload the journal has {len(refreshes)} refreshes "
              f"({evidence.tally(refreshes)})")
    # The token in memory before the reload is gone: nothing after it carries it.
    carried = [f"{e.method} {e.path}" for e in journal.after(seq)
               if e.access_jti in before_jtis]
    v.require(not carried, "the access token does not outlive a reload (memory only)",
              f"after the reload the app sent the old token with {', '.join(carried[:3])}")


@pytest.mark.conformance("L2")
def test_L2_new_tab_is_logged_in_by_its_own_silent_refresh(
        harness_spa: SpaDriver, harness_backend: BackendClient,
        harness_facts: BackendFacts) -> None:
    spa, backend, facts = harness_spa, harness_backend, harness_facts
    v = Verdict("L2")
    v.logged_in(spa, "/")
    seq = backend.mark()
    tab = spa.new_tab()
    tab.open("/profile")
    prop = "a new tab opened on /profile is logged in without a login"
    v.require(tab.is_authenticated(), prop, "isAuthenticated() is false in the new tab",
              f"the new tab: on {tab.page.url}")
    v.shows(tab.page, "job-item", prop, count=facts.user("alice").jobs)
    refreshes = backend.journal().refresh_statuses(since=seq)
    v.require(refreshes in ([200], []), "a new tab makes at most one silent refresh",
              f"the journal has {len(refreshes)} refreshes ({evidence.tally(refreshes)}) "
              "since the tab opened")
    states = [f["state"] for f in backend.sessions()]
    v.require(states == ["live"], "opening a tab keeps the session", f"families: {states}")


@pytest.mark.conformance("L3")
def test_L3_inside_the_skew_window_the_app_refreshes_before_sending(
        harness_spa: SpaDriver, harness_backend: BackendClient, harness_clock: TimeControl,
        harness_facts: BackendFacts) -> None:
    spa, backend, facts = harness_spa, harness_backend, harness_facts
    v = Verdict("L3")
    harness_clock.install(spa.page)
    v.logged_in(spa, "/")
    journal = backend.journal()
    old = journal.issued().access_jtis[-1]
    # Both clocks move to 10 s before `exp`; a timer the app set for its renewal fires
    # on the way, a renewal at send time happens with the request.
    seq = journal.last_seq
    harness_clock.advance(backend.access_token_lifetime_left() - RENEW_BEFORE_EXP_S)
    res = spa.request("GET", f"{facts.list.path}?l3=1")
    prop = (f"the app renews the access token before it expires (a renewal window of "
            f"{RENEWAL_WINDOW_S} s or more)")
    renewed = backend.wait_until(lambda: any(backend.journal().refresh_statuses(since=seq)),
                                 timeout=RENEWAL_WAIT_S)
    journal = backend.journal()
    after = journal.after(seq)
    seen = ", ".join(f"{e.method} {e.path} {e.status}" for e in after
                     if e.method != "OPTIONS")
    v.require(renewed, prop, f"no refresh reached the backend, though the token expires in "
                             f"{RENEW_BEFORE_EXP_S} s and a request was sent",
              f"journal since the clocks moved: {seen}")
    refreshes = after.statuses(facts.refresh)
    v.require(refreshes == [200], f"{prop}, with exactly one refresh",
              f"the journal has {len(refreshes)} refreshes ({evidence.tally(refreshes)})",
              f"journal since the clocks moved: {seen}")
    round_trips = [f"{e.method} {e.path}" for e in after
                   if e.status == 401 and e.path != facts.refresh.path]
    v.require(not round_trips, f"{prop}: no request needs a 401 round trip",
              f"{', '.join(round_trips)} answered 401", f"journal since the clocks moved: {seen}")
    attempts = journal.attempts(facts.list.path).get("l3=1", [])
    v.require(res.status == 200 and len(attempts) == 1, f"{prop}; the request succeeds",
              f"authHarness.request resolved with {res.status}; the backend saw "
              + ", ".join(f"{a.status} ({evidence.token_label(a.jti, old, None, 'the old token')})"
                          for a in attempts))


@pytest.mark.conformance("L4", cross_origin=True)
def test_L4_logout_revokes_clears_and_stays_logged_out(
        harness_spa: SpaDriver, harness_backend: BackendClient, context: BrowserContext,
        _harness_outsider: Outsider, harness_facts: BackendFacts) -> None:
    spa, backend, facts, outsider = harness_spa, harness_backend, harness_facts, _harness_outsider
    v = Verdict("L4")
    v.logged_in(spa, "/profile")
    access = backend.journal().current_access_token()
    cookie = v.refresh_value(context, backend)
    in_cookie = not facts.api.hands_refresh_token_to_scripts

    spa.logout()
    logouts = backend.journal().statuses(facts.logout)
    v.require(len(logouts) == 1 and 200 <= (logouts[0] or 0) < 300,
              f"logout tells the server ({facts.logout}, once)",
              f"the journal has {len(logouts)} logout requests ({evidence.tally(logouts)})")
    states = [(f["state"], f["reason"]) for f in backend.sessions()]
    v.require(states == [("revoked", "logout")], "logout revokes the session on the server "
                                                 "(the backend's part)",
              f"families after logout: {states}")
    if in_cookie:
        v.require(cookie_value(context, facts.cookie.name) is None,
                  "logout clears the refresh cookie (the backend's part)",
                  "the cookie is still in the browser")
    v.require(not spa.is_authenticated(), "logout clears the access token from memory",
              "isAuthenticated() is still true")
    v.shows(spa.page, "login-form", "after logout on a guarded route the app shows its login "
                                    "page")
    spa.page.reload()
    spa.ready()
    v.require(not spa.is_authenticated(), "a reload after logout does not restore the session",
              "isAuthenticated() is true after the reload")
    old_access = outsider.get(facts.current_user.path, access).status_code
    v.require(old_access == 401, "the old access token is rejected after logout (the "
                                 "backend's part)",
              f"{facts.current_user} with it answered {old_access}")
    old_refresh = outsider.refresh(cookie).status_code
    v.require(old_refresh == facts.refresh_failure_status,
              f"the old refresh {'cookie' if in_cookie else 'token'} is rejected after logout "
              "(the backend's part)",
              f"a refresh with it answered {old_refresh}")


@pytest.mark.conformance("L5")
def test_L5_guarded_route_leads_to_login_and_back_after_login(harness_spa: SpaDriver) -> None:
    spa = harness_spa
    v = Verdict("L5")
    v.setup("open /admin logged out", lambda: spa.open("/admin"))
    v.shows(spa.page, "login-form", "a guarded route shows the login page when logged out")
    v.require(not spa.is_authenticated(), "logged out at the start",
              "isAuthenticated() is true before any login")
    v.setup("log in as admin", lambda: spa.login("admin"))
    prop = "after login the app returns to the guarded route the user asked for"
    v.at_path(spa.page, "/admin", prop)
    v.shows(spa.page, "login-form", prop, visible=False)


@pytest.mark.conformance("L6")
def test_L6_current_user_after_reload_comes_from_the_api(
        harness_spa: SpaDriver, harness_backend: BackendClient, _harness_outsider: Outsider,
        harness_facts: BackendFacts) -> None:
    spa, backend, facts = harness_spa, harness_backend, harness_facts
    current_user = facts.current_user
    v = Verdict("L6")
    v.logged_in(spa, "/profile", "bob")
    seq = backend.mark()
    spa.page.reload()
    spa.ready()
    renewed = backend.journal().issued().access_jtis[-1]

    def asked() -> bool:
        return any(e.path == current_user.path and e.status == 200
                   and e.access_jti == renewed for e in backend.journal().after(seq))

    found = backend.wait_until(asked, timeout=UI_TIMEOUT_MS / 1000)
    journal = backend.journal()
    after = journal.after(seq)
    v.require(found, f"after a reload the app asks {current_user.path} for the user",
              f"no {current_user} with the renewed token was answered 200 within "
              f"{UI_TIMEOUT_MS / 1000:g} s",
              "journal since the reload: " + ", ".join(
                  f"{e.method} {e.path} {e.status}" for e in after
                  if e.method != "OPTIONS"))
    user = _harness_outsider.get(current_user.path, journal.current_access_token()).json()
    names = [str(user[k]) for k in ("username", "name") if user.get(k)]
    v.shows_text(spa.page, "current-user", names,
                 f"/profile shows the user from {current_user.path} "
                 f"({' or '.join(map(repr, names))}, in any case)")


@pytest.mark.conformance("L7")
def test_L7_sixth_login_evicts_the_least_recently_used_session(
        harness_backend: BackendClient, _harness_outsider: Outsider) -> None:
    # The backend's part only: six devices log in as one user, none of them a browser.
    backend, outsider = harness_backend, _harness_outsider
    v = Verdict("L7")
    for n in range(1, 6):
        v.setup(f"log in ({n} of 5)",
                lambda: outsider.login("alice").raise_for_status())
    cookies = backend.journal().issued().refresh_tokens
    # The first session is used again, so the second is now the least recently used.
    used = outsider.refresh(cookies[0]).status_code
    v.require(used == 200, "a live session can be refreshed (the backend's part)",
              f"refreshing the first of five sessions answered {used}")
    v.setup("log in a sixth time",
            lambda: outsider.login("alice").raise_for_status())
    families = backend.sessions()
    summary = ", ".join(f"{f['id'][:6]}… {f['state']}"
                        + (f" ({f['reason']})" if f["reason"] else "") for f in families)
    live = [f["state"] for f in families].count("live")
    v.require(live == 5 and len(families) == 6,
              "a user's sixth session evicts one: five stay live",
              f"{live} of {len(families)} sessions are live", f"sessions: {summary}")
    evicted = [(f["id"], f["reason"]) for f in families if f["state"] != "live"]
    v.require(evicted == [(families[1]["id"], "evicted")],
              "the sixth login evicts the least recently used session (the second)",
              f"ended instead: {evicted}", f"sessions: {summary}")


@pytest.mark.conformance("L8")
def test_L8_refresh_fails_after_the_absolute_lifetime_despite_daily_rotation(
        harness_spa: SpaDriver, harness_backend: BackendClient, harness_clock: TimeControl,
        harness_facts: BackendFacts) -> None:
    spa, backend, facts = harness_spa, harness_backend, harness_facts
    v = Verdict("L8")
    harness_clock.install(spa.page)
    v.logged_in(spa, "/profile")
    days = int(facts.refresh_ttl // DAY)
    v.require(facts.refresh_ttl <= LONGEST_LIFETIME_DAYS * DAY,
              f"after the absolute lifetime (at most {LONGEST_LIFETIME_DAYS} days) the refresh "
              "is refused (the backend's part)",
              f"the backend gives its sessions an absolute lifetime of {facts.refresh_ttl / DAY:g} "
              "days (its facts' lifetimes.refresh)")
    for day in range(1, days):
        harness_clock.advance(DAY)
        res = spa.request("GET", f"{facts.list.path}?day={day}")
        v.require(res.status == 200, "the session lasts until its absolute lifetime when used "
                                     "daily",
                  f"on day {day} of {days} a request ended with {res.status} {res.error or ''}")
    journal = backend.journal()
    rotations = journal.refresh_statuses()
    v.require(rotations == [200] * (days - 1), "one refresh a day renews the access token",
              f"the daily refreshes answered {rotations}")
    seq = journal.last_seq
    harness_clock.advance(facts.refresh_ttl - (days - 1) * DAY + 1)
    res = spa.request("GET", f"{facts.list.path}?after=lifetime")
    last = backend.journal().refresh_statuses(since=seq)
    v.require(last, "a request whose token expired causes a refresh",
              "after the lifetime the app made no refresh")
    v.require(last[-1] == facts.refresh_failure_status, "after the absolute lifetime the "
              "refresh is refused (the backend's part)", f"the refresh answered {last[-1]}")
    prop = "after a refused refresh the request fails and the session ends"
    v.require(not 200 <= (res.status or 0) < 300, prop,
              f"authHarness.request resolved with {res.status}")
    v.require(not spa.is_authenticated(), prop, "isAuthenticated() is still true")
    v.shows(spa.page, "login-form", "when the session ends on a guarded route the app shows "
                                    "its login page")
