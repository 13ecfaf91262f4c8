"""The edge in front of a backend it did not write: what forwarding costs a request, and a
burst of expired-token requests through it.

The upstream is the reference backend in a process of its own (`python -m mock_backend
--no-spa`, no test control: the edge's is the only one); the edge another (`python -m
mock_backend --upstream URL --accounts FILE`), with the demo user alice in its accounts
file. Both are started as `bench.backend_load.serve` starts a server: a free port, the
same uvicorn settings, stopped on the way out whatever happened.

Overhead: one keep-alive httpx client sends `GET /api/current-user` with a Bearer token
from a login made straight at the upstream, one request at a time, to the upstream and to
the edge in turns, window by window, so drift of the machine hits both sides alike.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench.backend_load import cpu_seconds, serve

PATH = "/api/current-user"
ACCOUNTS = """\
[[account]]
username = "alice"
password = "alice-pass"
name = "Alice Anders"
role = "user"
"""


@contextmanager
def upstream() -> Iterator[tuple[str, int]]:
    """The reference backend as the upstream: API only, no test control. Yields its URL
    and pid."""
    with serve("mock_backend", "--no-spa") as found:
        yield found


@contextmanager
def edge(upstream_url: str, tmp: Path, spa: bool) -> Iterator[tuple[str, int]]:
    """The edge in front of `upstream_url`, serving the bundled SPA at / when `spa`, with an
    accounts file written under `tmp`. Yields its URL and pid."""
    accounts = tmp / "edge-accounts.toml"
    accounts.write_text(ACCOUNTS)
    args = ["--upstream", upstream_url, "--accounts", str(accounts)]
    with serve("mock_backend", *args, *([] if spa else ["--no-spa"])) as found:
        yield found


def _login(http: httpx.Client, url: str) -> str:
    answer = http.post(url + "/api/login", json={"username": "alice", "password": "alice-pass"},
                       headers={"X-Requested-With": "XMLHttpRequest"})
    if answer.status_code != 200:
        raise RuntimeError(f"login at {url} answered {answer.status_code}: {answer.text}")
    token = answer.json()["accessToken"]
    assert isinstance(token, str)
    return token


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, -(-99 * len(ordered) // 100) - 1)]


def overhead(upstream_url: str, upstream_pid: int, edge_url: str, edge_pid: int,
             windows: int, per_window: int, warmup: int) -> dict[str, Any]:
    """`windows` windows of `per_window` requests on each side, the sides taking turns (which
    goes first alternates), after `warmup` requests on each. Latencies in ms; CPU of each
    server process per request, in ms, from /proc."""
    with httpx.Client(timeout=10.0, trust_env=False) as http:
        headers = {"Authorization": f"Bearer {_login(http, upstream_url)}"}

        def one(base: str) -> float:
            sent = time.perf_counter()
            answer = http.get(base + PATH, headers=headers)
            took = time.perf_counter() - sent
            if answer.status_code != 200:
                raise RuntimeError(f"GET {base}{PATH} answered {answer.status_code}: "
                                   f"{answer.text}")
            return took * 1000

        for _ in range(warmup):
            one(upstream_url)
            one(edge_url)
        sides = {"straight": upstream_url, "edge": edge_url}
        latencies: dict[str, list[float]] = {name: [] for name in sides}
        medians: dict[str, list[float]] = {name: [] for name in sides}
        cpu = {"straight_upstream": 0.0, "edge_upstream": 0.0, "edge_edge": 0.0}
        for w in range(windows):
            for name in (("straight", "edge") if w % 2 == 0 else ("edge", "straight")):
                up0, edge0 = cpu_seconds(upstream_pid), cpu_seconds(edge_pid)
                window = [one(sides[name]) for _ in range(per_window)]
                cpu[f"{name}_upstream"] += cpu_seconds(upstream_pid) - up0
                if name == "edge":
                    cpu["edge_edge"] += cpu_seconds(edge_pid) - edge0
                latencies[name] += window
                medians[name].append(sorted(window)[len(window) // 2])
    n = windows * per_window
    return {"latencies_ms": latencies, "window_medians_ms": medians,
            "p99_ms": {name: _p99(values) for name, values in latencies.items()},
            "cpu_ms_per_request": {k: v / n * 1000 for k, v in cpu.items()},
            "requests_per_side": n}
