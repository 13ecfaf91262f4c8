"""R: a 401 becomes one shared refresh and one retry per request, and nothing else."""

from __future__ import annotations

import re
from functools import partial

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from harness.browser.driver import SETTLE_TIMEOUT_MS, Call, Response, SpaDriver
from harness.browser.page_watch import PageWatch
from harness.seam.client import BackendClient
from harness.seam.facts import BackendFacts
from harness.seam.journal import Attempt, Journal
from harness.verdicts import evidence
from harness.verdicts.verdict import Verdict, describe, showing


def _click_to_profile(spa: SpaDriver) -> None:
    """Clicks nav-profile. The click is the check's own step, so it has the driver's bound,
    not the UI's; and on a busy machine Firefox (WebDriver BiDi) can report a click that
    landed as timed out: then being on /profile is what counts."""
    try:
        spa.page.get_by_test_id("nav-profile").first.click(timeout=SETTLE_TIMEOUT_MS)
    except PlaywrightTimeoutError:
        if re.split(r"[?#]", spa.page.url)[0] != f"{spa.spa_url}/profile":
            raise


RETRIED = "every request that got a 401 is retried once with the new token"


def _logged_in(v: Verdict, spa: SpaDriver, path: str = "/") -> None:
    v.logged_in(spa, path)


def _one_refresh(v: Verdict, backend: BackendClient, seq: int, prop: str) -> str:
    """Exactly one refresh since `seq`, and it succeeded; returns the jti it issued."""
    journal = backend.journal()
    answers = journal.refresh_statuses(since=seq)
    v.require(answers == [200], prop,
              lambda: f"the journal has {len(answers)} refreshes ({evidence.tally(answers)})")
    return journal.issued().access_jtis[-1]


def _all_retried(v: Verdict, by_query: dict[str, list[Attempt]], old: str, new: str) -> None:
    problems = evidence.retry_problems(by_query, old, new)
    v.require(not problems, RETRIED, lambda: evidence.problems_line(problems, len(by_query)))


def _resolved_ok(v: Verdict, results: list[Response], expected: list[int]) -> None:
    statuses = [r.status for r in results]
    v.require(statuses == expected, "each request resolves with the answer to its retry",
              lambda: f"authHarness.request resolved with {evidence.tally(statuses)} though the "
                      f"journal shows every retry answered",
              f"expected {evidence.tally(expected)}; errors: "
              f"{[r.error for r in results if r.error][:3]}")


@pytest.mark.conformance("R1", cross_origin=True)
def test_R1_one_expired_request_refreshes_once_retries_once_and_shows_data(
        harness_spa: SpaDriver, harness_backend: BackendClient,
        harness_facts: BackendFacts) -> None:
    spa, backend, facts = harness_spa, harness_backend, harness_facts
    v = Verdict("R1")
    _logged_in(v, spa)
    journal = backend.journal()
    old = journal.issued().access_jtis[-1]
    seq = journal.last_seq
    backend.expire_access_token()
    res = spa.request("GET", f"{facts.list.path}?r1=driver")
    new = _one_refresh(v, backend, seq, "a request whose token expired causes exactly one "
                                        "refresh")
    _all_retried(v, {"r1=driver": backend.journal().attempts(facts.list.path)
                     .get("r1=driver", [])}, old, new)
    _resolved_ok(v, [res], [200])

    # The same through the UI: /profile loads the user and the jobs with an expired token.
    # Its refresh is held until the page's requests have their 401s, as on a slow network:
    # each of them must then be retried.
    seq = backend.mark()
    backend.expire_access_token()
    gate = backend.fault(facts.refresh.path, times=1, gate=True)
    v.setup("click nav-profile, the in-app link to /profile", partial(_click_to_profile, spa))
    v.require(backend.wait_until(lambda: backend.faults()[0]["held"] == 1),
              "the profile page's requests with an expired token start a refresh",
              "no refresh reached the backend within 10 s", f"the page: {describe(spa.page)}")
    # Two at once for a page that loads both together; one for a page that loads in turn.
    backend.wait_until(lambda: len([a for a in _page_requests(backend.journal().after(seq))
                                    .values() if a and a[0].status == 401]) >= 2, timeout=2)
    gate.release()
    jobs = facts.user("alice").jobs
    shown = showing(spa.page, "job-item", count=jobs)
    _one_refresh(v, backend, seq, "the profile page's expired requests cause exactly one "
                                  "refresh")
    journal = backend.journal()
    page_requests = _page_requests(journal.after(seq))
    renewed = journal.issued().access_jtis[-1]
    problems = evidence.retry_problems(page_requests, new, renewed)
    v.require(not problems, f"{RETRIED} (on /profile)",
              lambda: evidence.problems_line(problems, len(page_requests)),
              f"the page: {describe(spa.page)}")
    v.require(shown, "the profile page shows its data after the refresh",
              f"after 5 s the page does not show {jobs} × job-item",
              f"the page: {describe(spa.page)}")


def _page_requests(journal: Journal) -> dict[str, list[Attempt]]:
    """The attempts of each GET the profile page made in `journal`, by path and query."""
    paths = (journal.facts.current_user.path, journal.facts.list.path)
    found: dict[str, list[Attempt]] = {}
    for e in journal:
        if e.path in paths and e.method == "GET":
            key = f"GET {e.path}" + (f"?{e.query}" if e.query else "")
            found.setdefault(key, []).append(Attempt(e.status, e.access_jti))
    return found


@pytest.mark.conformance("R2", cross_origin=True)
@pytest.mark.parametrize("n", [2, 10, 100])
def test_R2_burst_of_expired_requests_shares_exactly_one_refresh(
        harness_spa: SpaDriver, harness_backend: BackendClient, harness_facts: BackendFacts,
        n: int) -> None:
    spa, backend, facts = harness_spa, harness_backend, harness_facts
    v = Verdict("R2")
    _logged_in(v, spa)
    journal = backend.journal()
    old = journal.issued().access_jtis[-1]
    seq = journal.last_seq
    backend.expire_access_token()
    results = spa.burst(n, facts.list.path).results()
    new = _one_refresh(v, backend, seq, f"{n} concurrent requests with an expired token share "
                                        "exactly one refresh")
    attempts = {q: a for q, a in backend.journal().attempts(facts.list.path).items()
                if q.startswith("n=")}
    v.require(len(attempts) == n, f"each of the {n} requests reaches the backend",
              f"the journal has {len(attempts)} distinct requests")
    _all_retried(v, attempts, old, new)
    _resolved_ok(v, results, [200] * n)


@pytest.mark.conformance("R3")
def test_R3_requests_issued_during_a_held_refresh_join_it(
        harness_spa: SpaDriver, harness_backend: BackendClient,
        harness_facts: BackendFacts) -> None:
    spa, backend, facts = harness_spa, harness_backend, harness_facts
    v = Verdict("R3")
    _logged_in(v, spa)
    journal = backend.journal()
    old = journal.issued().access_jtis[-1]
    seq = journal.last_seq
    backend.expire_access_token()
    gate = backend.fault(facts.refresh.path, times=5, gate=True)
    first = spa.burst(3, f"{facts.list.path}?wave=first")
    v.require(backend.wait_until(lambda: backend.faults()[0]["held"] >= 1),
              "three requests with an expired token start a refresh",
              lambda: "no refresh reached the backend within 10 s",
              f"journal: {evidence.tally(backend.journal().statuses(facts.list.path))}"
              f" for {facts.list}")
    late = spa.start([Call("GET", f"{facts.list.path}?wave=late&n={i}") for i in range(3)]
                     + [Call("POST", f"{facts.create.path}?wave=late", {"title": "joined"})])
    # An app that sends them at once gets their 401s while the refresh is still held; one
    # that makes them wait for the refresh sends nothing yet (up to a second to tell).
    backend.wait_until(lambda: len([e for e in backend.journal().after(seq)
                                    if "wave=late" in e.query and e.status]) >= 4,
                       timeout=1)
    gate.release()
    results = first.results() + late.results()
    new = _one_refresh(v, backend, seq, "requests sent while a refresh is in flight join it: "
                                        "exactly one refresh")
    journal = backend.journal()
    attempts = journal.attempts(facts.list.path)
    _all_retried(v, {q: a for q, a in attempts.items() if "wave=first" in q}, old, new)
    # A late request may go out with the expired token (401, then the retry) or wait for
    # the refresh and go out with the new one.
    late_attempts = {q: a for q, a in attempts.items() if "wave=late" in q}
    problems = evidence.retry_problems(late_attempts, old, new)
    post = journal.attempts(facts.create.path).get("wave=late", [])
    if (problem := evidence.retry_problem(post, old, new, ok=201)) is not None:
        problems[f"POST {facts.create.path}?wave=late"] = problem
    late_attempts["POST"] = post
    v.require(not problems, f"requests sent during the refresh wait for it; {RETRIED}",
              lambda: evidence.problems_line(problems, len(late_attempts)))
    _resolved_ok(v, results, [200] * 6 + [201])


@pytest.mark.conformance("R4")
def test_R4_late_401_for_an_old_token_is_retried_without_a_second_refresh(
        harness_spa: SpaDriver, harness_backend: BackendClient,
        harness_facts: BackendFacts) -> None:
    spa, backend, facts = harness_spa, harness_backend, harness_facts
    v = Verdict("R4")
    _logged_in(v, spa)
    journal = backend.journal()
    old = journal.issued().access_jtis[-1]
    seq = journal.last_seq
    backend.expire_access_token()
    # Sent with the old token, its 401 is held back until the refresh is over. (A POST:
    # nothing the app's pages do by themselves is held instead.)
    held = backend.fault(facts.create.path, times=1, method="POST", gate=True)
    slow = spa.start([Call("POST", f"{facts.create.path}?r4=slow", {"title": "late"})])
    v.require(backend.wait_until(lambda: backend.faults()[0]["held"] == 1),
              "a request with an expired token is sent", "the POST did not reach the backend "
              "within 10 s (is the app waiting for something?)")
    fast = spa.request("GET", f"{facts.list.path}?r4=fast")
    new = _one_refresh(v, backend, seq, "a request with an expired token causes exactly one "
                                        "refresh")
    fast_attempts = backend.journal().attempts(facts.list.path).get("r4=fast", [])
    problem = evidence.retry_problem(fast_attempts, old, new)
    v.require(problem is None, RETRIED, lambda: f"the request {problem}")
    _resolved_ok(v, [fast], [200])
    held.release()
    [res] = slow.results()
    _one_refresh(v, backend, seq, "a 401 for a token that has since been renewed is retried "
                                  "with the current token, with no second refresh")
    attempts = backend.journal().attempts(facts.create.path).get("r4=slow", [])
    problem = evidence.retry_problem(attempts, old, new, ok=201)
    v.require(problem is None, "a late 401 for the old token is retried with the current token",
              lambda: f"the late request {problem}")
    _resolved_ok(v, [res], [201])


@pytest.mark.conformance("R5")
def test_R5_retry_preserves_the_request_and_a_post_runs_once(
        harness_spa: SpaDriver, harness_backend: BackendClient, harness_facts: BackendFacts,
        _harness_page_watch: PageWatch) -> None:
    spa, backend, facts = harness_spa, harness_backend, harness_facts
    v = Verdict("R5")
    _logged_in(v, spa)
    seq = backend.mark()
    backend.expire_access_token()
    title = "R5: created exactly once"
    res = spa.request("POST", f"{facts.create.path}?source=r5&tag=a%20b", {"title": title})
    _one_refresh(v, backend, seq, "a POST with an expired token causes exactly one refresh")
    posts = backend.journal().statuses(facts.create.path, "POST")
    sent = _harness_page_watch.sent_to(f"{facts.create.path}?source=r5")
    v.require(posts == [401, 201] and len(sent) == 2,
              "a POST that got a 401 is retried once and creates its record",
              lambda: f"the backend answered the POST {posts}",
              *[f"sent: {r.method} {r.url} body {r.body!r}" for r in sent])
    first, retry = sent
    v.require((retry.method, retry.url, retry.body) == (first.method, first.url, first.body),
              "the retry repeats the method, URL, query and body",
              lambda: f"the retry was {retry.method} {retry.url} {retry.body!r}",
              f"the first attempt was {first.method} {first.url} {first.body!r}")
    # Authorization changes by design and the browser sends the rotated cookie.
    volatile = {"authorization", "cookie"}
    changed = sorted(k for k in set(first.headers) | set(retry.headers)
                     if k not in volatile and first.headers.get(k) != retry.headers.get(k))
    v.require(not changed, "the retry keeps every header but Authorization",
              lambda: "the retry changed " + ", ".join(
                  f"{k}: {first.headers.get(k)!r} -> {retry.headers.get(k)!r}" for k in changed))
    _resolved_ok(v, [res], [201])
    listed = spa.request("GET", f"{facts.list.path}?r5=after")
    jobs = listed.body.get(facts.list_field, []) if isinstance(listed.body, dict) else []
    created = [j.get("title") for j in jobs].count(title)
    v.require(created == 1, "the POST creates its record exactly once",
              f"the job list has it {created} times")


@pytest.mark.conformance("R6")
def test_R6_a_401_after_the_retry_fails_without_a_loop(
        harness_spa: SpaDriver, harness_backend: BackendClient,
        harness_facts: BackendFacts) -> None:
    spa, backend, facts = harness_spa, harness_backend, harness_facts
    v = Verdict("R6")
    _logged_in(v, spa)
    # Every answer to this path is a 401, whatever token comes: the retry gets one too.
    backend.fault(facts.list.path, times=20, status=401)
    seq = backend.mark()
    res = spa.request("GET", f"{facts.list.path}?r6=1")
    journal = backend.journal()
    attempts = len(journal.attempts(facts.list.path).get("r6=1", []))
    refreshes = len(journal.refreshes(since=seq))
    backend.clear_faults()
    prop = "a request still answered 401 after its retry fails, with no loop"
    v.require(attempts <= 2, prop, f"the request was sent {attempts} times (at most 2: one retry)")
    v.require(refreshes <= 1, prop, f"it caused {refreshes} refreshes (at most one)")
    v.require(res.status == 401, prop,
              f"authHarness.request resolved with {res.status} {res.error or ''}".rstrip()
              + " instead of the 401")


@pytest.mark.conformance("R7")
def test_R7_insufficient_scope_403_neither_refreshes_nor_logs_out(
        harness_spa: SpaDriver, harness_backend: BackendClient,
        harness_facts: BackendFacts) -> None:
    spa, backend, facts = harness_spa, harness_backend, harness_facts
    v = Verdict("R7")
    _logged_in(v, spa)
    login_jti = backend.journal().issued().access_jtis[-1]
    res = spa.request("GET", facts.admin.path)
    prop = "a 403 (insufficient_scope) causes no refresh and no logout"
    v.require(res.status == 403, "a 403 is handed back to the caller",
              f"authHarness.request resolved with {res.status} {res.body}")
    refreshes = backend.journal().refreshes()
    v.require(not refreshes, prop, f"the app sent {len(refreshes)} refresh(es) after the 403")
    v.require(spa.is_authenticated(), prop, "isAuthenticated() is false after the 403")
    after = spa.request("GET", f"{facts.current_user.path}?after=403")
    seen = backend.journal().attempts(facts.current_user.path).get("after=403", [])
    v.require(after.status == 200 and seen == [Attempt(200, login_jti)], prop,
              lambda: "the next request was " + ", ".join(
                  f"{a.status} ({evidence.token_label(a.jti, login_jti, None, 'the login token')})"
                  for a in seen),
              "expected 200 with the login's token")
    states = [f["state"] for f in backend.sessions()]
    v.require(states == ["live"], prop, f"refresh families after the 403: {states}")
    v.shows(spa.page, "login-form", prop, visible=False)
