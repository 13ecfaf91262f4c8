"""The test-control fault `at: "checked"`: a refresh held inside the backend once its token
passed every check, before the successor is written, so a second refresh of the same token
lines up behind it deterministically (over HTTP, memory and SQLite stores; the Redis store
takes no lock, and tests/backend/test_redis_store.py shows what it does instead)."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest

from harness.fixtures.servers import ServeBackend
from harness.seam.client import BackendClient
from tests.backend.wire import login, refresh

REFRESH = "/api/refresh-token"


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_a_second_refresh_lines_up_behind_one_held_after_its_check(
        serve_backend: ServeBackend, tmp_path: Path, store: str) -> None:
    spec = "memory" if store == "memory" else f"sqlite:{tmp_path / 'tokens.db'}"
    server = serve_backend(store=spec)
    answers: dict[str, httpx.Response] = {}
    with BackendClient(server.url) as control, httpx.Client(base_url=server.url,
                                                            timeout=30) as http:
        value = login(http).refresh
        gate = control.fault(REFRESH, gate=True, at="checked")
        mark = control.mark()

        def send(name: str) -> None:
            answers[name] = refresh(http, value)

        first = threading.Thread(target=send, args=("first",))
        first.start()
        # The first refresh passed its checks and stands inside the backend.
        first_held = gate.wait_held(1)
        second = threading.Thread(target=send, args=("second",))
        second.start()
        both_in_flight, _ = control.wait_journal(mark, count=2, path=REFRESH, answered=False)
        gate.release()
        assert first_held, "the first refresh was not held"
        assert both_in_flight, "the two refreshes were not both in flight"
        first.join(30)
        second.join(30)
        assert answers["first"].status_code == 200, answers["first"].text
        lost = answers["second"]
        assert lost.status_code == 401 and "superseded" in lost.json()["message"], lost.text
        assert "set-cookie" not in lost.headers
        [family] = control.sessions()
        assert (family.generation, family.state) == (1, "live")


@pytest.mark.parametrize("body", [
    {"path": "/api/login", "gate": True, "at": "checked"},
    {"path": REFRESH, "status": 500, "at": "checked"},
    {"path": REFRESH, "drop": True, "at": "checked"},
    {"path": REFRESH, "gate": True, "at": "later"},
])
def test_a_checked_fault_that_cannot_act_there_is_422(http: httpx.Client,
                                                      backend: BackendClient,
                                                      body: dict) -> None:
    r = http.post("/__harness/faults", json=body)
    assert r.status_code == 422, r.text
    assert backend.faults() == []
