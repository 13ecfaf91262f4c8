"""H: no page errors and nothing left in flight, over a flow that touches every path.

Every check is held to H1 and H2 when it ends; these two make the rule a check of its own.
The flow's answers are other checks' business (R2, R7, L4): here only what the browser
saw counts.
"""

from __future__ import annotations

import pytest

from harness.browser.driver import SpaDriver
from harness.browser.page_watch import PageWatch
from harness.seam.client import BackendClient
from harness.seam.facts import BackendFacts
from harness.verdicts.verdict import Verdict


def _full_flow(v: Verdict, spa: SpaDriver, backend: BackendClient, facts: BackendFacts) -> None:
    v.logged_in(spa, "/profile")
    backend.expire_access_token()
    spa.burst(10, facts.list.path).results()
    spa.request("GET", facts.admin.path)
    v.setup("open /profile again", lambda: spa.open("/profile"))
    v.setup("log out", spa.logout)
    spa.request("GET", facts.current_user.path)


@pytest.mark.conformance("H1")
def test_H1_no_uncaught_errors_or_unhandled_rejections(
        harness_spa: SpaDriver, harness_backend: BackendClient, harness_facts: BackendFacts,
        _harness_page_watch: PageWatch) -> None:
    v = Verdict("H1")
    _full_flow(v, harness_spa, harness_backend, harness_facts)
    errors = _harness_page_watch.page_errors
    v.require(not errors, "no uncaught error or unhandled promise rejection in the app",
              f"{len(errors)} during login, a burst, a 403, a reload and logout",
              *errors[:5])


@pytest.mark.conformance("H2")
def test_H2_every_request_has_settled_when_the_flow_ends(
        harness_spa: SpaDriver, harness_backend: BackendClient, harness_facts: BackendFacts,
        _harness_page_watch: PageWatch) -> None:
    v = Verdict("H2")
    _full_flow(v, harness_spa, harness_backend, harness_facts)
    left = _harness_page_watch.wait_settled(harness_spa.page)
    v.require(not left, "every request the app sent has an answer when the flow ends",
              f"{len(left)} still without an answer", *left[:5])
