"""H: no page errors and nothing left in flight, over a flow that touches every path.

Every check is held to H1 and H2 when it ends; these two make the rule a check of its own.
The flow's answers are other checks' business (R2, R7, L4): here only what the browser
saw counts.
"""

from __future__ import annotations

import pytest

from harness import evidence
from harness.backend_client import BackendClient
from harness.driver import SpaDriver
from harness.page_watch import PageWatch
from harness.verdict import Verdict


def _full_flow(v: Verdict, spa: SpaDriver, backend: BackendClient) -> None:
    v.logged_in(spa, "/profile")
    evidence.expire_access_token(backend)
    spa.burst(10).results()
    spa.request("GET", "/api/admin/stats")
    v.setup("open /profile again", lambda: spa.open("/profile"))
    v.setup("log out", spa.logout)
    spa.request("GET", "/api/current-user")


@pytest.mark.conformance("H1")
def test_H1_no_uncaught_errors_or_unhandled_rejections(
        spa: SpaDriver, backend: BackendClient, page_watch: PageWatch) -> None:
    v = Verdict("H1")
    _full_flow(v, spa, backend)
    errors = page_watch.page_errors
    v.require(not errors, "no uncaught error or unhandled promise rejection in the app",
              f"{len(errors)} during login, a burst, a 403, a reload and logout",
              *errors[:5])


@pytest.mark.conformance("H2")
def test_H2_every_request_has_settled_when_the_flow_ends(
        spa: SpaDriver, backend: BackendClient, page_watch: PageWatch) -> None:
    v = Verdict("H2")
    _full_flow(v, spa, backend)
    left = page_watch.wait_settled(spa.page)
    v.require(not left, "every request the app sent has an answer when the flow ends",
              f"{len(left)} still without an answer", *left[:5])
