"""SECURITY-CHECKS cases 34 and 35: an aborted refresh and an unavailable store break nothing."""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

import httpx

from harness.seam.client import BackendClient, Fault
from tests.backend.processes import backend_process
from tests.backend.wire import bearer, login, parse_set_cookie, refresh
from tests.security.answers import error_answer, no_cookie
from tests.security.conftest import ServeTarget, http_client

PATH = "/api/refresh-token"


def _send_refresh(url: str, value: str, declared: int = 0, body: bytes = b"") -> socket.socket:
    """A refresh sent by hand, so the test can leave at any point: `declared` body bytes are
    announced, `body` is what is actually sent."""
    where = httpx.URL(url)
    raw = socket.create_connection((where.host, where.port or 80), timeout=10)
    raw.sendall(f"POST {PATH} HTTP/1.1\r\nHost: {where.netloc.decode()}\r\n"
                f"X-Requested-With: XMLHttpRequest\r\nContent-Type: application/json\r\n"
                f"Content-Length: {declared}\r\nCookie: refresh_token={value}\r\n\r\n".encode()
                + body)
    return raw


def _leave_after(backend: BackendClient, send: Callable[[], socket.socket],
                 gate: Fault | None = None) -> None:
    """Send, close the connection once the backend has the request (once `gate` holds it,
    if given), then wait until the backend is done with it."""
    mark = backend.mark()
    raw = send()
    try:
        arrived = gate.wait_held(1) if gate else backend.wait_journal(mark, path=PATH)[0]
    finally:
        raw.close()
    assert arrived, "the refresh did not arrive"
    done, _ = backend.wait_journal(mark, path=PATH, answered=True)
    assert done, "the backend did not finish the refresh"


def test_case34_refresh_aborted_mid_way_leaves_the_family_as_it_was(
        serve_target: ServeTarget) -> None:
    t = serve_target()  # plain http: the test speaks HTTP/1.1 over a raw socket
    backend, session = t.control, t.login()
    before = backend.sessions()
    # 1. The client leaves half-way through its body.
    _leave_after(backend, lambda: _send_refresh(t.url, session.refresh, 64, b'{"'))
    # 2. The client leaves while the request is held before the backend acts on it.
    gate = backend.fault(PATH, times=1, gate=True)
    _leave_after(backend, lambda: _send_refresh(t.url, session.refresh), gate)
    backend.clear_faults()
    # 3. The client leaves while a slow network delays its complete request.
    backend.fault(PATH, times=1, delay_ms=1000)
    _leave_after(backend, lambda: _send_refresh(t.url, session.refresh))
    # None of them rotated: 400 request_aborted for the two the app saw, 0 for the dropped one.
    assert [e.status for e in backend.journal(PATH)] == [400, 0, 400]
    assert backend.sessions() == before
    # The value the client still holds is current: it rotates once, as usual.
    assert refresh(t.http, session.refresh).status_code == 200
    [family] = backend.sessions()
    assert (family.generation, family.state) == (1, "live")


def _unavailable(r: httpx.Response, db: Path) -> None:
    """503 with a clear code, a retry hint, no cookie change and no file path."""
    error_answer(r, 503, "store_unavailable")
    assert r.headers["retry-after"] == "1"
    no_cookie(r)
    assert str(db.parent) not in r.text


def _families(db: Path) -> list[tuple[int, str]]:
    with closing(sqlite3.connect(db)) as conn:
        return list(conn.execute("SELECT generation, state FROM families"))


def test_case35_locked_or_missing_sqlite_store_is_a_clear_503_and_recovers(
        tmp_path: Path) -> None:
    db = tmp_path / "tokens.db"
    with backend_process("--store", f"sqlite:{db}", "--no-spa") as url, \
            http_client(url) as http:
        session = login(http)
        calls: list[Callable[[], httpx.Response]] = [
            lambda: refresh(http, session.refresh),
            lambda: http.get("/api/current-user", headers=bearer(session.access)),
            lambda: http.post("/api/login", json={"username": "bob", "password": "bob-pass"}),
        ]
        # Locked: another process holds the write lock longer than the backend waits (5 s).
        with closing(sqlite3.connect(db, isolation_level=None)) as other_process:
            other_process.execute("BEGIN EXCLUSIVE")
            with ThreadPoolExecutor(len(calls)) as pool:
                answers = list(pool.map(lambda call: call(), calls))
            other_process.execute("ROLLBACK")
        for r in answers:
            _unavailable(r, db)
        assert _families(db) == [(0, "live")]  # nothing rotated, no family added
        # Recovery: the same value works once the lock is gone.
        r = refresh(http, session.refresh)
        assert r.status_code == 200, r.text
        value, access = parse_set_cookie(r).value, r.json()["accessToken"]
        # Missing: the file is moved away, then put back.
        moved = db.rename(tmp_path / "moved-away.db")
        for r in (refresh(http, value), http.get("/api/current-user", headers=bearer(access)),
                  http.post("/api/login", json={"username": "bob", "password": "bob-pass"})):
            _unavailable(r, db)
        assert not db.exists()  # the backend did not create an empty store in its place
        moved.rename(db)
        assert refresh(http, value).status_code == 200
        assert http.get("/api/current-user", headers=bearer(access)).status_code == 200
    assert _families(db) == [(2, "live")]
