"""The SQLite store survives a killed server."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.backend.processes import backend_process
from tests.backend.wire import bearer, login, parse_set_cookie, refresh


def test_refresh_with_cookie_from_before_a_restart_succeeds(tmp_path: Path) -> None:
    db = f"sqlite:{tmp_path / 'tokens.db'}"
    with backend_process("--store", db, "--no-spa") as url, httpx.Client(base_url=url) as http:
        cookie = parse_set_cookie(refresh(http, login(http).refresh)).value
    # The first process was killed (SIGKILL) when its block ended; start a new one.
    with backend_process("--store", db, "--no-spa") as url, httpx.Client(base_url=url) as http:
        r = refresh(http, cookie)
        assert r.status_code == 200, r.text
        assert http.get("/api/current-user",
                        headers=bearer(r.json()["accessToken"])).json()["username"] == "alice"


def test_memory_store_forgets_on_restart(tmp_path: Path) -> None:
    with backend_process("--no-spa") as url, httpx.Client(base_url=url) as http:
        cookie = login(http).refresh
    with backend_process("--no-spa") as url, httpx.Client(base_url=url) as http:
        assert refresh(http, cookie).status_code == 401
