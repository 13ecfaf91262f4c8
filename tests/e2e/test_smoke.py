"""The reference SPA, served by the backend, logs in and shows data in each browser."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from harness.seam.client import BackendClient
from harness.servers.live_server import LiveServer


def test_guarded_profile_leads_to_login_and_back(page: Page, live_backend: LiveServer,
                                                 backend: BackendClient) -> None:
    page.goto(live_backend.url + "/profile")
    expect(page.get_by_test_id("view-login")).to_be_visible()
    page.get_by_test_id("login-username").fill("alice")
    page.get_by_test_id("login-password").fill("alice-pass")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("current-user")).to_contain_text("alice")
    expect(page.get_by_test_id("job-item")).to_have_count(3)
    assert backend.count("/api/login", "POST", status=200) == 1
