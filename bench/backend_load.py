"""Backend throughput and latency on loopback: authenticated GET, refresh with rotation,
and a bare FastAPI endpoint as the baseline, each server in a process of its own.

Each load worker is one client with one keep-alive connection (a browser tab's view),
speaking HTTP/1.1 through `bench/wire_client.py`. Logins (an scrypt check each) happen
before the timed windows; a refresh worker chains refreshes on its own family, sending the
cookie the previous answer set, with the CSRF header and the server's own Origin
(docs/security.md). A window ends after `max_requests` requests or `max_seconds`,
whichever comes first.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.bare_app import PATH as BARE_PATH
from bench.servers import ServerProcess, server_process
from bench.stats import Figure, percentile, ratio
from bench.wire_client import Answer, Connection

CONCURRENCY = 8
# Five live families per user (the seed rule): 8 sessions over three users evict none.
USERS = ("alice", "bob", "admin")
CSRF_HEADER = "X-Requested-With"
COOKIE = "refresh_token"
STORES = {"memory": "memory", "sqlite": "sqlite:{tmp}/bench-tokens.db"}


@dataclass
class Window:
    """One timed window: every request's latency and what went wrong."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    issued: int = 0
    wall: float = 0.0
    server_cpu: float = 0.0
    client_cpu: float = 0.0

    def summary(self) -> dict[str, float]:
        done = len(self.latencies)
        return {"requests": done, "errors": self.errors, "wall_s": self.wall,
                "throughput_rps": done / self.wall if self.wall else 0.0,
                "p50_ms": percentile(self.latencies, 50) * 1000,
                "p99_ms": percentile(self.latencies, 99) * 1000,
                "server_cpu_ms_per_request": self.server_cpu / done * 1000 if done else 0.0,
                "client_cpu_share": self.client_cpu / self.wall if self.wall else 0.0}


class Worker:
    """One client with one connection, and what it needs to call its endpoint again."""

    def __init__(self, url: str, username: str) -> None:
        self.http = Connection(url)
        self.origin = url
        self.username = username
        self.access = ""
        self.refresh = ""

    async def login(self) -> None:
        body = json.dumps({"username": self.username,
                           "password": f"{self.username}-pass"}).encode()
        r = await self.http.request("POST", "/api/login",
                                    {"Content-Type": "application/json"}, body)
        if r.status != 200:
            raise RuntimeError(f"login of {self.username} answered {r.status}: {r.body!r}")
        self.access = r.json()["accessToken"]
        self.refresh = _cookie(r)

    async def bare(self) -> bool:
        return (await self.http.request("GET", BARE_PATH)).status == 200

    async def get(self) -> bool:
        r = await self.http.request("GET", "/api/current-user",
                                    {"Authorization": f"Bearer {self.access}"})
        return r.status == 200

    async def rotate(self) -> bool:
        r = await self.http.request("POST", "/api/refresh-token", {
            CSRF_HEADER: "XMLHttpRequest", "Origin": self.origin,
            "Cookie": f"{COOKIE}={self.refresh}"})
        if r.status != 200:
            return False
        self.refresh = _cookie(r)
        self.access = r.json()["accessToken"]
        return True


def _cookie(answer: Answer) -> str:
    for header in answer.header_values("set-cookie"):
        name, _, rest = header.partition("=")
        if name.strip() == COOKIE:
            return rest.split(";", 1)[0].strip('"')
    raise RuntimeError(f"no {COOKIE} cookie in the answer: {answer.status}")


async def _window(server: ServerProcess, calls: list[Callable[[], Awaitable[bool]]],
                  max_requests: int, max_seconds: float) -> Window:
    window = Window()
    for call in calls:  # warm: every connection open before the clock starts
        if not await call():
            raise RuntimeError("warm-up request failed")
    start_gate = asyncio.Event()

    async def run(call: Callable[[], Awaitable[bool]]) -> None:
        await start_gate.wait()
        while window.issued < max_requests and time.perf_counter() < deadline:
            window.issued += 1
            sent = time.perf_counter()
            ok = await call()
            window.latencies.append(time.perf_counter() - sent)
            window.errors += not ok

    tasks = [asyncio.create_task(run(call)) for call in calls]
    cpu0, client0 = server.cpu_seconds(), time.process_time()
    started = time.perf_counter()
    deadline = started + max_seconds
    start_gate.set()
    await asyncio.gather(*tasks)
    window.wall = time.perf_counter() - started
    window.server_cpu = server.cpu_seconds() - cpu0
    window.client_cpu = time.process_time() - client0
    return window


async def _workers(server: ServerProcess, login: bool) -> list[Worker]:
    workers = [Worker(server.url, USERS[i % len(USERS)]) for i in range(CONCURRENCY)]
    if login:
        for worker in workers:  # one at a time: logins are not what is measured
            await worker.login()
    return workers


async def _measure(servers: dict[str, ServerProcess], rounds: Iterable[int],
                   max_requests: int, max_seconds: float) -> dict[str, list[dict[str, float]]]:
    """Every scenario once per round, in turn, so drift of the machine hits all alike."""
    clients = {name: await _workers(server, login=name != "bare")
               for name, server in servers.items()}
    scenarios: dict[str, tuple[ServerProcess, list[Callable[[], Awaitable[bool]]]]] = {
        "bare": (servers["bare"], [w.bare for w in clients["bare"]])}
    for store in STORES:
        scenarios[f"get-{store}"] = (servers[store], [w.get for w in clients[store]])
        scenarios[f"refresh-{store}"] = (servers[store], [w.rotate for w in clients[store]])
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in scenarios}
    for _ in rounds:
        for name, (server, calls) in scenarios.items():
            window = await _window(server, calls, max_requests, max_seconds)
            runs[name].append(window.summary())
    for workers in clients.values():
        for w in workers:
            await w.http.close()
    return runs


def _in_thread(coroutine: Any) -> Any:
    # A thread of its own: Playwright's sync API may have left an event loop in this one.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def measure(tmp: Path, rounds: Iterable[int], max_requests: int = 3000,
            max_seconds: float = 2.0) -> dict[str, Any]:
    """The bare app and a backend per store, all up at once (idle ones cost nothing)."""
    with ExitStack() as stack:
        servers = {"bare": stack.enter_context(server_process("bench.bare_app"))}
        for store, spec in STORES.items():
            spec = spec.format(tmp=tmp)
            servers[store] = stack.enter_context(
                server_process("mock_backend", "--test-control", "--store", spec))
        raw = _in_thread(_measure(servers, rounds, max_requests, max_seconds))
    return summarize(raw, max_requests, max_seconds)


def summarize(raw: dict[str, list[dict[str, float]]], max_requests: int,
              max_seconds: float) -> dict[str, Any]:
    scenarios: dict[str, Any] = {}
    for name, runs in raw.items():
        scenarios[name] = {key: Figure.of([r[key] for r in runs]).as_dict()
                           for key in ("throughput_rps", "p50_ms", "p99_ms",
                                       "server_cpu_ms_per_request", "client_cpu_share")}
        scenarios[name]["requests"] = [int(r["requests"]) for r in runs]
        scenarios[name]["errors"] = [int(r["errors"]) for r in runs]
    bare = scenarios["bare"]
    for s in scenarios.values():
        s["throughput_vs_bare"] = ratio(s["throughput_rps"]["median"],
                                        bare["throughput_rps"]["median"])
        s["server_cpu_vs_bare"] = ratio(s["server_cpu_ms_per_request"]["median"],
                                        bare["server_cpu_ms_per_request"]["median"])
    return {"concurrency": CONCURRENCY, "max_requests": max_requests,
            "max_seconds": max_seconds, "scenarios": scenarios}
