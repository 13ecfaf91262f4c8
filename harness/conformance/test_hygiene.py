"""H: no page errors and nothing left in flight, over a flow that touches every path.

Every check is held to H1 and H2 when it ends; these two make the rule a check of its own.
The flow's answers are other checks' business (R2, R7, L4): here only what the browser
saw counts.
"""

from __future__ import annotations

import pytest

from harness.browser.page_watch import PageWatch
from harness.verdicts.check import Check
from harness.verdicts.verdict import H1_PROPERTY, H2_PROPERTY, SETTLES_PROPERTY


def _full_flow(check: Check, hung: str) -> None:
    """Login, a burst with an expired token, a 403, a reload and logout; `hung` is the
    property a request of the burst that never settles breaks."""
    facts, spa = check.facts, check.spa
    check.expired_after_login(check.guarded)
    check.settled(spa.burst(10, facts.list.path), hung)
    if facts.admin is not None:  # a 403, where the API has a resource for admins only
        spa.request("GET", facts.admin.path)
    check.setup(f"open {check.guarded} again", lambda: spa.open(check.guarded))
    check.setup("log out", spa.logout)
    spa.request("GET", facts.current_user.path)


@pytest.mark.conformance("H1")
def test_H1_no_uncaught_errors_or_unhandled_rejections(
        harness_check: Check, _harness_page_watch: PageWatch) -> None:
    check = harness_check
    _full_flow(check, SETTLES_PROPERTY)
    errors = _harness_page_watch.page_errors
    check.require(not errors, H1_PROPERTY,
                  f"{len(errors)} during login, a burst, a 403, a reload and logout",
                  *errors[:5])


@pytest.mark.conformance("H2")
def test_H2_every_request_has_settled_when_the_flow_ends(
        harness_check: Check, _harness_page_watch: PageWatch) -> None:
    check = harness_check
    _full_flow(check, H2_PROPERTY)
    left = _harness_page_watch.wait_settled(check.page)
    check.require(not left, H2_PROPERTY, f"{len(left)} still without an answer", *left[:5])
