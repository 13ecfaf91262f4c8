"""R: a 401 becomes one shared refresh and one retry per request, and nothing else."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from functools import partial

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from harness.browser import view
from harness.browser.driver import SETTLE_TIMEOUT_MS, Call, Response
from harness.browser.page_watch import PageWatch
from harness.browser.view import describe, showing
from harness.seam.journal import Attempt, Journal, Request
from harness.verdicts import evidence
from harness.verdicts.check import Check

RETRIED = "every request that got a 401 is retried once with the new token"


def _click_to_guarded(check: Check) -> None:
    """Clicks the app's link to its guarded page. The click is the check's own step, so it
    has the driver's bound, not the UI's; and on a busy machine Firefox (WebDriver BiDi) can
    report a click that landed as timed out: then being on the guarded page is what counts."""
    spa = check.spa
    try:
        spa.page.get_by_test_id(check.app.nav_guarded.testid).first.click(
            timeout=SETTLE_TIMEOUT_MS)
    except PlaywrightTimeoutError:
        if re.split(r"[?#]", spa.page.url)[0] != f"{spa.spa_url}{check.guarded}":
            raise


def _by_query(request: Request) -> str:
    """A request as the check told it apart: its query, or its method, path and query where
    it is not one of the check's GETs to the list."""
    return request.query if request.method == "GET" else str(request)


def _all_retried(check: Check, attempts: dict[Request, list[Attempt]], old: str | None,
                 new: str, prop: str = RETRIED, *evidence_lines: str,
                 name: Callable[[Request], str] = _by_query) -> None:
    problems = evidence.retry_problems(attempts, old, new)
    check.require(not problems, prop,
                  lambda: evidence.problems_line(problems, len(attempts), name=name),
                  *evidence_lines, highlight=list(problems))


def _resolved_ok(check: Check, results: list[Response], expected: list[int]) -> None:
    statuses = [r.status for r in results]
    check.require(statuses == expected, "each request resolves with the answer to its retry",
                  lambda: f"authHarness.request resolved with {evidence.tally(statuses)} "
                          f"though the journal shows every retry answered",
                  f"expected {evidence.tally(expected)}; errors: "
                  f"{[r.error for r in results if r.error][:3]}")


@pytest.mark.conformance("R1", cross_origin=True)
def test_R1_one_expired_request_refreshes_once_retries_once_and_shows_data(
        harness_check: Check) -> None:
    check = harness_check
    facts, backend = check.facts, check.backend
    start = check.expired_after_login()
    res = check.spa.request("GET", f"{facts.list.path}?r1=driver")
    new = check.exactly_one_refresh(start.seq, "a request whose token expired causes exactly "
                                               "one refresh")
    request = Request("GET", facts.list.path, "r1=driver")
    _all_retried(check, {request: backend.journal(after=start.seq)
                         .attempts_of(facts.list, "r1=driver")}, start.token, new)
    _resolved_ok(check, [res], [200])

    # The same through the UI: the guarded page loads the user and the items with an expired
    # token.
    # Its refresh is held until the page's requests have their 401s, as on a slow network:
    # each of them must then be retried.
    seq = backend.mark()
    check.expire_access_token()
    gate = backend.fault(facts.refresh.path, times=1, gate=True)
    check.setup(f"click {check.app.nav_guarded}", partial(_click_to_guarded, check))
    check.at_path(check.guarded, f"{check.app.nav_guarded} is an in-app link to "
                                 f"{check.guarded}")
    check.require(gate.wait_held(1),
                  f"the requests of {check.guarded} with an expired token start a refresh",
                  "no refresh reached the backend within 10 s",
                  f"the page: {describe(check.page, check.app)}")
    # Two 401s for a page that loads the user and the jobs together; one for a page that
    # loads them in turn (its second request goes out after the refresh). Up to 2 s to tell
    # them apart; either way the refresh is released next.
    backend.wait_journal(seq, count=2, status=401, timeout=2)
    gate.release()
    jobs = check.item_count("alice")
    shown = showing(check.page, check.app.item, count=jobs)
    check.exactly_one_refresh(seq, f"the expired requests of {check.guarded} cause exactly "
                                   "one refresh")
    journal = backend.journal(after=seq)
    page_requests = _page_requests(journal)
    renewed = journal.issued().access_jtis[-1]
    _all_retried(check, page_requests, new, renewed, f"{RETRIED} (on {check.guarded})",
                 f"the page: {describe(check.page, check.app)}", name=str)
    check.require(shown, f"{check.guarded} shows its data after the refresh",
                  f"after 5 s {view.not_shown(check.app.item, count=jobs)}",
                  f"the page: {describe(check.page, check.app)}")


def _page_requests(journal: Journal) -> dict[Request, list[Attempt]]:
    """The attempts of each GET the guarded page made in `journal`."""
    found: dict[Request, list[Attempt]] = {}
    for endpoint in (journal.facts.current_user, journal.facts.list):
        if endpoint.method == "GET":
            found.update(journal.attempts(endpoint))
    return found


@pytest.mark.conformance("R2", cross_origin=True)
@pytest.mark.parametrize("n", [2, 10, 100])
def test_R2_burst_of_expired_requests_shares_exactly_one_refresh(
        harness_check: Check, n: int) -> None:
    check = harness_check
    facts = check.facts
    start = check.expired_after_login()
    results = check.settled(check.spa.burst(n, facts.list.path),
                            f"{n} concurrent requests with an expired token are answered")
    new = check.exactly_one_refresh(start.seq, f"{n} concurrent requests with an expired token "
                                               "share exactly one refresh")
    attempts = {r: a for r, a in check.backend.journal(after=start.seq)
                .attempts(facts.list).items() if r.query.startswith("n=")}
    check.require(len(attempts) == n, f"each of the {n} requests reaches the backend",
                  f"the journal has {len(attempts)} distinct requests")
    _all_retried(check, attempts, start.token, new)
    _resolved_ok(check, results, [200] * n)


@pytest.mark.conformance("R3")
def test_R3_requests_issued_during_a_held_refresh_join_it(harness_check: Check) -> None:
    check = harness_check
    facts, backend = check.facts, check.backend
    start = check.expired_after_login()
    gate = backend.fault(facts.refresh.path, times=5, gate=True)
    first = check.spa.burst(3, f"{facts.list.path}?wave=first")
    if not gate.wait_held(1):
        check.fail("three requests with an expired token start a refresh",
                   "no refresh reached the backend within 10 s",
                   f"journal: {evidence.tally(backend.journal().statuses(facts.list))} "
                   f"for {facts.list}")
    # A POST joins them where the API has a create (an API without one: GETs alone).
    create = facts.create
    late_calls = [Call("GET", f"{facts.list.path}?wave=late&n={i}") for i in range(3)] + (
        [Call("POST", f"{create.path}?wave=late", {"title": "joined"})] if create else [])
    late = check.spa.start(late_calls)
    # An app that sends them at once gets their 401s while the refresh is still held; one
    # that makes them wait for the refresh sends nothing yet. Up to a second to tell, then
    # the refresh is released either way.
    backend.wait_journal(start.seq, count=len(late_calls), query_contains="wave=late",
                         answered=True, timeout=1)
    gate.release()
    prop = f"requests sent during the refresh wait for it; {RETRIED}"
    results = check.settled(first, prop) + check.settled(late, prop)
    new = check.exactly_one_refresh(start.seq, "requests sent while a refresh is in flight "
                                               "join it: exactly one refresh")
    journal = backend.journal(after=start.seq)
    listed = journal.attempts(facts.list)
    _all_retried(check, {r: a for r, a in listed.items() if "wave=first" in r.query},
                 start.token, new)
    # A late request may go out with the expired token (401, then the retry) or wait for
    # the refresh and go out with the new one.
    late_gets = {r: a for r, a in listed.items() if "wave=late" in r.query}
    problems = evidence.retry_problems(late_gets, start.token, new)
    if create is not None:
        post = Request(create.method, create.path, "wave=late")
        post_attempts = journal.attempts_of(create, "wave=late")
        problems.update(evidence.retry_problems({post: post_attempts}, start.token, new,
                                                ok=201))
    check.require(not problems, prop,
                  lambda: evidence.problems_line(problems, len(late_gets) + bool(create),
                                                 name=_by_query), highlight=list(problems))
    _resolved_ok(check, results, [200] * 6 + ([201] if create else []))


@pytest.mark.conformance("R4")
def test_R4_late_401_for_an_old_token_is_retried_without_a_second_refresh(
        harness_check: Check) -> None:
    check = harness_check
    facts, backend = check.facts, check.backend
    create = check.resource("create")
    start = check.expired_after_login()
    # Sent with the old token, its 401 is held back until the refresh is over. (A POST:
    # nothing the app's pages do by themselves is held instead.)
    held = backend.fault(create.path, times=1, method="POST", gate=True)
    slow = check.spa.start([Call("POST", f"{create.path}?r4=slow", {"title": "late"})])
    check.require(held.wait_held(1), "a request with an expired token is sent",
                  "the POST did not reach the backend within 10 s (is the app waiting for "
                  "something?)")
    fast = check.spa.request("GET", f"{facts.list.path}?r4=fast")
    new = check.exactly_one_refresh(start.seq, "a request with an expired token causes exactly "
                                               "one refresh")
    fast_attempts = backend.journal(after=start.seq).attempts_of(facts.list, "r4=fast")
    problem = evidence.retry_problem(fast_attempts, start.token, new)
    check.require(problem is None, RETRIED, lambda: f"the request {problem}",
                  highlight=[Request("GET", facts.list.path, "r4=fast")])
    _resolved_ok(check, [fast], [200])
    held.release()
    prop = ("a 401 for a token that has since been renewed is retried with the current "
            "token, with no second refresh")
    [res] = check.settled(slow, prop)
    check.exactly_one_refresh(start.seq, prop)
    attempts = backend.journal(after=start.seq).attempts_of(create, "r4=slow")
    problem = evidence.retry_problem(attempts, start.token, new, ok=201)
    check.require(problem is None,
                  "a late 401 for the old token is retried with the current token",
                  lambda: f"the late request {problem}",
                  highlight=[Request(create.method, create.path, "r4=slow")])
    _resolved_ok(check, [res], [201])


@pytest.mark.conformance("R5")
def test_R5_retry_preserves_the_request_and_a_post_runs_once(
        harness_check: Check, _harness_page_watch: PageWatch) -> None:
    check = harness_check
    facts, backend = check.facts, check.backend
    create = check.resource("create")
    start = check.expired_after_login()
    # Its own title: a team's backend keeps what earlier runs created.
    title = f"R5: created exactly once ({secrets.token_hex(4)})"
    res = check.spa.request("POST", f"{create.path}?source=r5&tag=a%20b",
                            {"title": title})
    check.exactly_one_refresh(start.seq, "a POST with an expired token causes exactly one "
                                         "refresh")
    posts = backend.journal(after=start.seq).statuses(create)
    sent = _harness_page_watch.sent_to(f"{create.path}?source=r5")
    check.require(posts == [401, 201] and len(sent) == 2,
                  "a POST that got a 401 is retried once and creates its record",
                  lambda: f"the backend answered the POST {posts}",
                  *[f"sent: {r.method} {r.url} body {r.body!r}" for r in sent])
    first, retry = sent
    check.require((retry.method, retry.url, retry.body) == (first.method, first.url, first.body),
                  "the retry repeats the method, URL, query and body",
                  lambda: f"the retry was {retry.method} {retry.url} {retry.body!r}",
                  f"the first attempt was {first.method} {first.url} {first.body!r}")
    # Authorization changes by design and the browser sends the rotated cookie.
    volatile = {"authorization", "cookie"}
    changed = sorted(k for k in set(first.headers) | set(retry.headers)
                     if k not in volatile and first.headers.get(k) != retry.headers.get(k))
    check.require(not changed, "the retry keeps every header but Authorization",
                  lambda: "the retry changed " + ", ".join(
                      f"{k}: {first.headers.get(k)!r} -> {retry.headers.get(k)!r}"
                      for k in changed))
    _resolved_ok(check, [res], [201])
    listed = check.spa.request("GET", f"{facts.list.path}?r5=after")
    items = check.items(listed.body)
    created = [j.get("title") for j in items if isinstance(j, dict)].count(title)
    check.require(created == 1, "the POST creates its record exactly once",
                  f"the job list has it {created} times",
                  f"the list answered {listed.status} with {len(items)} item(s)")


@pytest.mark.conformance("R6")
def test_R6_a_401_after_the_retry_fails_without_a_loop(harness_check: Check) -> None:
    check = harness_check
    facts, backend = check.facts, check.backend
    start = check.logged_in()
    # Every answer to this path is a 401, whatever token comes: the retry gets one too.
    backend.fault(facts.list.path, times=20, status=401)
    res = check.spa.request("GET", f"{facts.list.path}?r6=1")
    journal = backend.journal(after=start.seq)
    attempts = len(journal.attempts_of(facts.list, "r6=1"))
    refreshes = len(journal.refreshes(since=start.seq))
    backend.clear_faults()
    prop = "a request still answered 401 after its retry fails, with no loop"
    check.require(attempts <= 2, prop,
                  f"the request was sent {attempts} times (at most 2: one retry)",
                  highlight=[Request("GET", facts.list.path, "r6=1")])
    check.require(refreshes <= 1, prop, f"it caused {refreshes} refreshes (at most one)")
    check.require(res.status == 401, prop,
                  f"authHarness.request resolved with {res.status} {res.error or ''}".rstrip()
                  + " instead of the 401")


@pytest.mark.conformance("R7")
def test_R7_insufficient_scope_403_neither_refreshes_nor_logs_out(
        harness_check: Check) -> None:
    check = harness_check
    facts, backend = check.facts, check.backend
    admin = check.resource("admin")
    start = check.logged_in()
    res = check.spa.request("GET", admin.path)
    prop = "a 403 (insufficient_scope) causes no refresh and no logout"
    check.require(res.status == 403, "a 403 is handed back to the caller",
                  f"authHarness.request resolved with {res.status} {res.body}")
    refreshes = backend.journal(after=start.seq).refreshes(since=start.seq)
    check.require(not refreshes, prop, f"the app sent {len(refreshes)} refresh(es) after the 403")
    check.require(check.spa.is_authenticated(), prop, "isAuthenticated() is false after the 403")
    after = check.spa.request("GET", f"{facts.current_user.path}?after=403")
    seen = backend.journal(after=start.seq).attempts_of(facts.current_user, "after=403")
    check.require(after.status == 200 and seen == [Attempt(200, start.token)], prop,
                  lambda: "the next request was " + ", ".join(
                      f"{a.status} "
                      f"({evidence.token_label(a.jti, start.token, None, 'the login token')})"
                      for a in seen),
                  "expected 200 with the login's token",
                  highlight=[Request("GET", facts.current_user.path, "after=403")])
    states = check.family_states()
    check.require(states == ["live"], prop,
                  lambda: f"after the 403 {evidence.sessions(states)}")
    check.shows(check.app.login_form, prop, visible=False)
