"""H: no page errors and nothing left in flight, over a flow that touches every path.

Every check is held to H1 and H2 when it ends; these two make the rule a check of its own.
"""

from __future__ import annotations

import pytest

from harness import evidence
from harness.backend_client import BackendClient
from harness.driver import SpaDriver
from harness.page_watch import PageWatch


def _full_flow(spa: SpaDriver, backend: BackendClient) -> None:
    spa.open("/profile")
    spa.login()
    evidence.expire_access_token(backend)
    assert {r.status for r in spa.burst(10).results()} == {200}
    assert spa.request("GET", "/api/admin/stats").status == 403
    spa.open("/profile")
    assert spa.is_authenticated()
    spa.logout()
    assert spa.request("GET", "/api/current-user").status == 401


@pytest.mark.conformance("H1")
def test_H1_no_uncaught_errors_or_unhandled_rejections(
        spa: SpaDriver, backend: BackendClient, page_watch: PageWatch) -> None:
    _full_flow(spa, backend)
    assert page_watch.page_errors == [], f"H1: {page_watch.page_errors}"


@pytest.mark.conformance("H2")
def test_H2_every_request_has_settled_when_the_flow_ends(
        spa: SpaDriver, backend: BackendClient, page_watch: PageWatch) -> None:
    _full_flow(spa, backend)
    left = page_watch.wait_settled(spa.page)
    assert left == [], f"H2: requests still in flight: {left}"
