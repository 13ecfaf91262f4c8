"""R: a 401 becomes one shared refresh and one retry per request, and nothing else."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from harness import evidence
from harness.backend_client import BackendClient
from harness.driver import Call, SpaDriver
from harness.evidence import Attempt
from harness.page_watch import PageWatch


def _logged_in(spa: SpaDriver, path: str = "/") -> None:
    spa.open(path)
    spa.login()


def _assert_one_refresh(backend: BackendClient, check: str) -> str:
    """Exactly one refresh, and it succeeded; returns the jti of the token it issued."""
    answers = [e["status"] for e in evidence.refreshes(backend)]
    assert answers == [200], (
        f"{check}: expected exactly one refresh, the journal has {len(answers)} "
        f"({evidence.tally(answers)})")
    return evidence.issued(backend).access_jtis[-1]


@pytest.mark.conformance("R1", cross_origin=True)
def test_R1_one_expired_request_refreshes_once_retries_once_and_shows_data(
        spa: SpaDriver, backend: BackendClient) -> None:
    _logged_in(spa)
    old = evidence.issued(backend).access_jtis[-1]
    evidence.expire_access_token(backend)
    res = spa.request("GET", "/api/job-list?r1=driver")
    assert res.status == 200 and len(res.body["jobs"]) == 3, f"R1: the request ended with {res}"
    new = _assert_one_refresh(backend, "R1")
    attempts = evidence.attempts_by_query(backend, "/api/job-list")["r1=driver"]
    assert attempts == [Attempt(401, old), Attempt(200, new)], f"R1: attempts {attempts}"

    # The same through the UI: the profile page loads its data with an expired token.
    before = len(evidence.refreshes(backend))
    evidence.expire_access_token(backend)
    spa.page.get_by_test_id("nav-profile").click()
    expect(spa.page.get_by_test_id("job-item")).to_have_count(3)
    answers = [e["status"] for e in evidence.refreshes(backend)[before:]]
    assert answers == [200], f"R1 (profile page): refreshes {answers}"


@pytest.mark.conformance("R2", cross_origin=True)
@pytest.mark.parametrize("n", [2, 10, 100])
def test_R2_burst_of_expired_requests_shares_exactly_one_refresh(
        spa: SpaDriver, backend: BackendClient, n: int) -> None:
    _logged_in(spa)
    old = evidence.issued(backend).access_jtis[-1]
    evidence.expire_access_token(backend)
    results = spa.burst(n).results()
    assert [r.status for r in results] == [200] * n, f"R2: answers {[r.status for r in results]}"
    new = _assert_one_refresh(backend, "R2")
    attempts = evidence.attempts_by_query(backend, "/api/job-list")
    wrong = {q: a for q, a in attempts.items() if a != [Attempt(401, old), Attempt(200, new)]}
    assert len(attempts) == n and not wrong, (
        f"R2: {len(wrong)} of {n} requests were not 'one 401, one retry with the new token': "
        f"{dict(list(wrong.items())[:3])}")
    retried = sum(1 for a in attempts.values() for x in a if x == Attempt(200, new))
    assert retried == n


@pytest.mark.conformance("R3")
def test_R3_requests_issued_during_a_held_refresh_join_it(spa: SpaDriver,
                                                          backend: BackendClient) -> None:
    _logged_in(spa)
    evidence.expire_access_token(backend)
    gate = backend.fault(evidence.REFRESH_PATH, times=5, gate=True)
    first = spa.burst(3, "/api/job-list?wave=first")
    backend.wait_for(lambda: backend.faults()[0]["held"] >= 1, what="the refresh to be held")
    late = spa.start([Call("GET", f"/api/job-list?wave=late&n={i}") for i in range(3)]
                     + [Call("POST", "/api/jobs?wave=late", {"title": "joined"})])
    gate.release()
    statuses = [r.status for r in first.results() + late.results()]
    assert statuses == [200, 200, 200, 200, 200, 200, 201], f"R3: answers {statuses}"
    new = _assert_one_refresh(backend, "R3")
    late_attempts = {q: a for q, a in evidence.attempts_by_query(backend, "/api/job-list").items()
                     if "wave=late" in q}
    assert all(a[-1] == Attempt(200, new) and len(a) <= 2 for a in late_attempts.values()), (
        f"R3: late requests {late_attempts}")


@pytest.mark.conformance("R4")
def test_R4_late_401_for_an_old_token_is_retried_without_a_second_refresh(
        spa: SpaDriver, backend: BackendClient) -> None:
    _logged_in(spa)
    old = evidence.issued(backend).access_jtis[-1]
    evidence.expire_access_token(backend)
    # Sent with the old token, its 401 is held back until the refresh is over.
    held = backend.fault("/api/current-user", times=1, gate=True)
    slow = spa.start([Call("GET", "/api/current-user?r4=slow")])
    backend.wait_for(lambda: backend.faults()[0]["held"] == 1, what="the request to be held")
    assert spa.request("GET", "/api/job-list?r4=fast").status == 200
    new = _assert_one_refresh(backend, "R4")
    held.release()
    [res] = slow.results()
    assert res.status == 200, f"R4: the late request ended with {res}"
    _assert_one_refresh(backend, "R4 (after the late 401)")
    attempts = evidence.attempts_by_query(backend, "/api/current-user")["r4=slow"]
    assert attempts == [Attempt(401, old), Attempt(200, new)], f"R4: attempts {attempts}"


@pytest.mark.conformance("R5")
def test_R5_retry_preserves_the_request_and_a_post_runs_once(
        spa: SpaDriver, backend: BackendClient, page_watch: PageWatch) -> None:
    _logged_in(spa)
    evidence.expire_access_token(backend)
    title = "R5: created exactly once"
    res = spa.request("POST", "/api/jobs?source=r5&tag=a%20b", {"title": title})
    assert res.status == 201, f"R5: create answered {res}"
    _assert_one_refresh(backend, "R5")
    assert [e["status"] for e in backend.journal("/api/jobs", "POST")] == [401, 201]

    first, retry = page_watch.sent_to("/api/jobs?source=r5")
    assert (retry.method, retry.url, retry.body) == (first.method, first.url, first.body), (
        f"R5: retry changed the request: {first.method} {first.url} {first.body!r} -> "
        f"{retry.method} {retry.url} {retry.body!r}")
    # Authorization changes by design and the browser sends the rotated cookie.
    volatile = {"authorization", "cookie"}
    changed = {k for k in set(first.headers) | set(retry.headers)
               if k not in volatile and first.headers.get(k) != retry.headers.get(k)}
    assert not changed, f"R5: retry changed headers {sorted(changed)}"
    jobs = spa.request("GET", "/api/job-list").body["jobs"]
    assert [j["title"] for j in jobs].count(title) == 1, "R5: the job was not created exactly once"


@pytest.mark.conformance("R6")
def test_R6_a_401_after_the_retry_fails_without_a_loop(spa: SpaDriver,
                                                       backend: BackendClient) -> None:
    _logged_in(spa)
    # Every answer to this path is a 401, whatever token comes: the retry gets one too.
    backend.fault("/api/job-list", times=20, status=401)
    res = spa.request("GET", "/api/job-list?r6=1")
    attempts = len(backend.journal("/api/job-list", "GET"))
    refreshes = len(evidence.refreshes(backend))
    backend.clear_faults()
    assert res.status == 401, f"R6: expected the 401 back, got {res}"
    assert 1 <= attempts <= 2, f"R6: {attempts} attempts for one request (at most one retry)"
    assert refreshes <= 1, f"R6: {refreshes} refreshes for one request (at most one)"


@pytest.mark.conformance("R7")
def test_R7_insufficient_scope_403_neither_refreshes_nor_logs_out(
        spa: SpaDriver, backend: BackendClient) -> None:
    _logged_in(spa)
    login_jti = evidence.issued(backend).access_jtis[-1]
    res = spa.request("GET", "/api/admin/stats")
    assert res.status == 403 and res.body.get("error") == "insufficient_scope", res
    assert evidence.refreshes(backend) == [], "R7: a 403 started a refresh"
    assert spa.is_authenticated(), "R7: a 403 ended the session"
    assert spa.request("GET", "/api/current-user?after=403").status == 200
    after = evidence.attempts_by_query(backend, "/api/current-user")["after=403"]
    assert after == [Attempt(200, login_jti)], f"R7: token changed after a 403: {after}"
    assert [f["state"] for f in backend.sessions()] == ["live"]
    expect(spa.page.get_by_test_id("login-form")).to_have_count(0)
