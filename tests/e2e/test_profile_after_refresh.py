"""The reference SPA as a person sees it: a burst with an expired token, on the profile page."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from harness.browser.driver import SpaDriver
from harness.seam.client import BackendClient

# `maxApiRequestsInFlight` of the reference SPA's config.
IN_FLIGHT = 6


def test_profile_after_a_burst_shows_jobs_and_one_refresh_in_the_log(
        harness_spa: SpaDriver, backend: BackendClient, output_path: str) -> None:
    page = harness_spa.page
    harness_spa.open("/profile")
    page.get_by_test_id("login-username").fill("alice")
    page.get_by_test_id("login-password").fill("alice-pass")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("job-item")).to_have_count(3)

    backend.expire_access_token()
    seq = backend.mark()
    # The default burst size. (Not filled in: under Firefox's WebDriver BiDi, `fill` on a
    # number input appends to the value instead of replacing it.)
    expect(page.get_by_test_id("burst-count")).to_have_value("10")
    page.get_by_test_id("burst-button").click()
    result = page.get_by_test_id("burst-result")
    expect(result).to_have_attribute("data-state", "done")
    expect(result).to_have_attribute("data-ok", "10")

    log = page.get_by_test_id("activity-log")
    # Six requests of a tab are on the wire at once (the app's default, as a browser's six
    # connections per origin): those six get a 401 and are retried once; the other four
    # wait in the app and go out after the refresh, with the new token.
    # (The silent refresh on load, before the login, logged a 401 of its own.)
    expect(log.locator('[data-kind="unauthorized"]').filter(has_text="GET /api/job-list")
           ).to_have_count(IN_FLIGHT)
    # One refresh; how many callers shared it depends on how many 401s had come back
    # before it finished (the others are retried with the newer token).
    expect(log.locator('[data-kind="refresh"]').filter(has_text="refresh succeeded")
           ).to_have_count(1)
    expect(log.locator('[data-kind="retry"]')).to_have_count(IN_FLIGHT)
    burst = backend.journal().after(seq).to(backend.facts().list)
    assert sorted(e.status or 0 for e in burst) == [200] * 10 + [401] * IN_FLIGHT, burst
    assert [e.status for e in backend.journal().refreshes()] == [200]

    # Kept as an artifact: the page a person would see at this point.
    shot = Path(output_path) / "profile-after-refresh.png"
    page.screenshot(path=shot, full_page=True)
    assert shot.stat().st_size > 0
