"""The test-control API's waits: one request, answered the moment the condition holds or at
the timeout; and the typed evidence the client reads."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from harness.seam.client import BackendClient, ControlError, Family, FaultState
from mock_backend.faults import FaultBook
from mock_backend.journal import EntryFilter, Journal
from tests.backend.wire import bearer, login, refresh

REFRESH = "/api/refresh-token"
ME = "/api/current-user"
# Far above what a wait met at once takes, far below the 10 s it would otherwise run to.
PROMPT = 5.0


class Background:
    """A call run in a thread, for what must happen while a wait (or a gate) is pending."""

    def __init__(self, call: Callable[[], Any]) -> None:
        self.result: Any = None
        self._thread = threading.Thread(target=self._run, args=(call,), daemon=True)
        self._thread.start()

    def _run(self, call: Callable[[], Any]) -> None:
        self.result = call()

    def join(self) -> Any:
        self._thread.join(15)
        assert not self._thread.is_alive(), "the call did not return"
        return self.result


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def _run_once(loop: asyncio.AbstractEventLoop) -> None:
    """One pass of the loop: a task just created runs up to where it waits."""
    loop.call_soon(loop.stop)
    loop.run_forever()


def _entry(journal: Journal, path: str = ME, query: str = "") -> Any:
    return journal.begin({"start": 0.0, "method": "GET", "path": path, "query": query,
                          "access_jti": None, "refresh_family": None,
                          "refresh_generation": None, "origin": None})


def test_a_parked_journal_wait_is_woken_by_an_answer_from_another_thread(
        loop: asyncio.AbstractEventLoop) -> None:
    journal = Journal()
    entry = _entry(journal)  # in flight: it does not count while unanswered
    wait = loop.create_task(journal.wait(0, 1, EntryFilter(path=ME, answered=True), 10))
    _run_once(loop)
    assert not wait.done()  # parked on the journal, not answered from what it held
    thread = threading.Thread(target=journal.finish, args=(entry, 200, 1.0))
    thread.start()
    thread.join()
    started = time.monotonic()
    assert loop.run_until_complete(wait) is True
    assert time.monotonic() - started < PROMPT


def test_a_parked_fault_wait_is_woken_by_the_gate_and_ends_on_release(
        loop: asyncio.AbstractEventLoop) -> None:
    faults = FaultBook()
    fault = faults.add(REFRESH, times=2, gate=True)
    first = loop.create_task(fault.wait_held(1, 10))
    second = loop.create_task(fault.wait_held(2, 10))
    _run_once(loop)
    assert not first.done() and not second.done()
    fault.held += 1
    assert loop.run_until_complete(first) is True
    assert not second.done()
    faults.release(fault.id)  # it holds no more: the wait ends, unmet
    assert loop.run_until_complete(second) is False


def test_journal_wait_is_met_by_a_request_made_while_it_waits(
        http: httpx.Client, backend: BackendClient) -> None:
    mark = backend.mark()
    started = time.monotonic()
    waiting = Background(lambda: backend.wait_journal(mark, path="/api/login", answered=True))
    session = login(http)
    met, journal = waiting.join()
    assert met and time.monotonic() - started < PROMPT
    [entry] = journal.to("/api/login")
    assert entry.seq > mark and entry.status == 200
    assert journal.issued().access_tokens == [session.access]


def test_journal_wait_times_out_promptly_unmet_with_the_journal_so_far(
        http: httpx.Client, backend: BackendClient) -> None:
    login(http)
    started = time.monotonic()
    met, journal = backend.wait_journal(0, path="/api/nowhere", timeout=0.2)
    elapsed = time.monotonic() - started
    assert not met and 0.2 <= elapsed < 0.2 + PROMPT
    assert journal.statuses() == [200]  # every entry after `after`, not only matching ones


def test_journal_wait_counts_only_entries_after_the_mark_matching_every_filter(
        http: httpx.Client, backend: BackendClient) -> None:
    session = login(http)
    for tab in ("a", "b", "b"):
        http.get("/api/job-list", params={"tab": tab}, headers=bearer(session.access))
    http.get(ME)  # 401: no token
    mark = backend.mark()
    http.get("/api/job-list", params={"tab": "b"}, headers=bearer(session.access))

    assert backend.wait_journal(0, method="GET", query_contains="tab=b", count=3,
                                answered=True, status=200, timeout=0.2)[0]
    assert not backend.wait_journal(0, method="GET", query_contains="tab=a", count=2,
                                    timeout=0.2)[0]
    assert not backend.wait_journal(0, method="POST", query_contains="tab=", timeout=0.2)[0]
    assert backend.wait_journal(0, path=ME, status=401, timeout=0.2)[0]
    assert not backend.wait_journal(0, path=ME, status=200, timeout=0.2)[0]
    met, journal = backend.wait_journal(mark, query_contains="tab=b", count=2, timeout=0.2)
    assert not met and [e.seq for e in journal] == [mark + 1]
    assert [e.query for e in backend.journal(after=mark)] == ["tab=b"]
    assert len(backend.journal(path="/api/job-list", after=1)) == 4


def test_journal_wait_for_requests_in_flight_and_fault_wait_for_held_ones(
        http: httpx.Client, backend: BackendClient) -> None:
    session = login(http)
    gate = backend.fault(REFRESH, times=1, gate=True)
    assert not gate.wait_held(timeout=0.2)  # nothing sent yet
    mark = backend.mark()
    held = Background(lambda: refresh(http, session.refresh).status_code)
    assert gate.wait_held(1)
    state = gate.state()
    assert isinstance(state, FaultState)
    assert (state.held, state.remaining, state.gate, state.released) == (1, 0, True, False)
    met, journal = backend.wait_journal(mark, path=REFRESH, answered=False)
    assert met and journal.statuses(REFRESH) == [None]
    gate.release()
    assert held.join() == 200
    assert backend.wait_journal(mark, path=REFRESH, answered=True, status=200)[0]
    assert not gate.wait_held(1, timeout=10)  # released: answered at once, unmet
    assert gate.state().released and gate.state().held == 0


@pytest.mark.parametrize(("body", "field"), [
    ({"count": 0}, "count"), ({"count": True}, "count"), ({"count": "2"}, "count"),
    ({"timeout": 0}, "timeout"), ({"timeout": 61}, "timeout"), ({"timeout": "1"}, "timeout"),
    ({"after": -1}, "after"), ({"after": 1.5}, "after"), ({"after": None}, "after"),
    ({"answered": "yes"}, "answered"), ({"status": 700}, "status"),
    ({"path": "api/login"}, "path"), ({"method": 1}, "method"),
    ({"query_contains": ""}, "query_contains"), ({"paths": "/api/login"}, "paths"),
])
def test_bad_journal_wait_input_is_422_naming_the_field(
        http: httpx.Client, backend: BackendClient, body: dict, field: str) -> None:
    r = http.post("/__harness/journal/wait", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "invalid_request"
    assert r.json()["message"].startswith(f"{field}: "), r.json()


@pytest.mark.parametrize(("body", "field"), [
    ({"held": 0}, "held"), ({"held": "1"}, "held"), ({"timeout": 0}, "timeout"),
    ({"timeout": 60.5}, "timeout"), ({"count": 1}, "count"),
])
def test_bad_fault_wait_input_is_422_naming_the_field(
        http: httpx.Client, backend: BackendClient, body: dict, field: str) -> None:
    gate = backend.fault(REFRESH, gate=True)
    r = http.post(f"/__harness/faults/{gate.id}/wait", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["message"].startswith(f"{field}: "), r.json()


def test_fault_wait_of_an_unknown_fault_is_404_and_of_a_fault_without_gate_422(
        http: httpx.Client, backend: BackendClient) -> None:
    r = http.post("/__harness/faults/f999/wait", json={"held": 1, "timeout": 1})
    assert r.status_code == 404, r.text
    assert r.json()["error"] == "unknown_fault"
    slow = backend.fault(ME, delay_ms=1)
    r = http.post(f"/__harness/faults/{slow.id}/wait", json={})
    assert r.status_code == 422 and "no gate" in r.json()["message"], r.text
    backend.reset()
    with pytest.raises(ControlError, match="no longer armed"):
        slow.state()


def test_sessions_and_faults_are_typed(
        http: httpx.Client, backend: BackendClient) -> None:
    session = login(http)
    http.post("/api/logout", headers={"X-Requested-With": "x", **bearer(session.access)})
    login(http, "bob")
    revoked, live = sorted(backend.sessions(), key=lambda f: f.live)
    assert isinstance(live, Family) and live.live and live.user == "bob"
    assert (revoked.state, revoked.reason, revoked.revoked) == ("revoked", "logout", True)
    assert live.generation == 0
    assert live.created_at is not None and live.expires_at is not None
    backend.fault(ME, times=3, status=503)
    [fault] = backend.faults()
    assert (fault.path, fault.remaining, fault.status, fault.held) == (ME, 3, 503, 0)
