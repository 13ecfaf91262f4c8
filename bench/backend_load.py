"""Backend throughput and latency on loopback, against a bare FastAPI endpoint.

Each server is a process of its own with the same uvicorn settings: `python -m mock_backend
--test-control [--store sqlite:PATH]` (every request journaled, as under the harness) and
`python -m bench.bare_app`. Eight clients, one keep-alive HTTP/1.1 connection each, on a
minimal client over asyncio streams (httpx costs more CPU per request than the server under
test, and on two cores the load would then measure itself). Logins happen before the timed
windows; a refresh client chains the rotations of its own family, sending the cookie the
previous answer set, the CSRF header and the server's own Origin. The scenarios take turns
window by window, so drift of the machine hits all of them alike.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import urlsplit

CLIENTS = 8
USERS = ("alice", "bob", "admin")  # five live families per user: 8 clients evict none
COOKIE = "refresh_token"
_TICKS = os.sysconf("SC_CLK_TCK")


class Client:
    """One client with one connection, and the tokens it needs to call again."""

    def __init__(self, url: str, user: str) -> None:
        self.url, self.user = url, user
        self.host, self.port = urlsplit(url).hostname or "", urlsplit(url).port or 80
        self.access = self.cookie = ""
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self, method: str, path: str, headers: dict[str, str] | None = None,
                   body: bytes = b"") -> tuple[int, list[tuple[str, str]], bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}",
                f"Content-Length: {len(body)}", *(f"{k}: {v}" for k, v in (headers or {}).items())]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        raw = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        status, *lines = raw.split("\r\n")
        answer = [(k.strip().lower(), v.strip())
                  for k, _, v in (x.partition(":") for x in lines if x)]
        length = int(dict(answer).get("content-length", "0"))  # these servers never chunk
        return int(status.split()[1]), answer, await self.reader.readexactly(length)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    def _keep(self, answer: list[tuple[str, str]], body: bytes) -> None:
        self.access = json.loads(body)["accessToken"]
        self.cookie = next(v.split(";", 1)[0].partition("=")[2].strip('"') for k, v in answer
                           if k == "set-cookie" and v.startswith(COOKIE + "="))

    async def login(self) -> None:
        body = json.dumps({"username": self.user, "password": f"{self.user}-pass"}).encode()
        status, answer, data = await self.send("POST", "/api/login",
                                               {"Content-Type": "application/json"}, body)
        if status != 200:
            raise RuntimeError(f"login of {self.user} answered {status}: {data!r}")
        self._keep(answer, data)

    async def bare(self) -> bool:
        return (await self.send("GET", "/bare"))[0] == 200

    async def get(self) -> bool:
        auth = {"Authorization": f"Bearer {self.access}"}
        return (await self.send("GET", "/api/current-user", auth))[0] == 200

    async def refresh(self) -> bool:
        status, answer, data = await self.send("POST", "/api/refresh-token", {
            "X-Requested-With": "XMLHttpRequest", "Origin": self.url,
            "Cookie": f"{COOKIE}={self.cookie}"})
        if status == 200:
            self._keep(answer, data)
        return status == 200


@contextmanager
def serve(module: str, *args: str) -> Iterator[tuple[str, int]]:
    """`python -m MODULE --port 0 ARGS`; yields its URL and pid once uvicorn says it listens."""
    env = {**os.environ, "MOCK_BACKEND_SECRET": secrets.token_hex(32)}
    proc = subprocess.Popen([sys.executable, "-m", module, "--port", "0", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    timer = threading.Timer(30, proc.kill)  # one that never comes up is stopped
    timer.start()
    try:
        for line in proc.stdout:
            if found := re.search(rb"Uvicorn running on (http://\S+)", line):
                break
        else:
            raise RuntimeError(f"python -m {module} exited before it listened")
        timer.cancel()
        # Read the access log away, or a full pipe blocks the server.
        threading.Thread(target=proc.stdout.read, daemon=True).start()
        yield found.group(1).decode(), proc.pid
    finally:
        timer.cancel()
        proc.kill()
        proc.wait(10)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime


async def _window(clients: list[Client], call: Callable[[Client], Awaitable[bool]], pid: int,
                  max_requests: int, max_seconds: float) -> dict[str, float]:
    """One timed window: every client calls in a loop until the window is full or over."""
    for c in clients:  # every connection open and warm before the clock starts
        if not await call(c):
            raise RuntimeError("a warm-up request failed")
    latencies: list[float] = []
    errors = issued = 0

    async def run(c: Client) -> None:
        nonlocal errors, issued
        while issued < max_requests and time.perf_counter() < deadline:
            issued += 1
            sent = time.perf_counter()
            errors += not await call(c)
            latencies.append(time.perf_counter() - sent)

    cpu0, started = cpu_seconds(pid), time.perf_counter()
    deadline = started + max_seconds
    await asyncio.gather(*(run(c) for c in clients))
    wall = time.perf_counter() - started
    for c in clients:
        await c.close()
    latencies.sort()
    return {"requests": len(latencies), "errors": errors, "rps": len(latencies) / wall,
            "p50_ms": latencies[len(latencies) // 2] * 1000,
            "p99_ms": latencies[max(0, -(-99 * len(latencies) // 100) - 1)] * 1000,
            "server_cpu_ms": (cpu_seconds(pid) - cpu0) / len(latencies) * 1000}


async def _measure(servers: dict[str, tuple[str, int]], rounds: int, max_requests: int,
                   max_seconds: float) -> dict[str, list[dict[str, float]]]:
    clients = {name: [Client(url, USERS[i % len(USERS)]) for i in range(CLIENTS)]
               for name, (url, _) in servers.items()}
    for name in ("memory", "sqlite"):
        for c in clients[name]:  # one at a time: logins are not what is measured
            await c.login()
            await c.close()
    scenarios: dict[str, tuple[str, Callable[[Client], Awaitable[bool]]]] = {
        "bare": ("bare", Client.bare), "get-memory": ("memory", Client.get),
        "refresh-memory": ("memory", Client.refresh), "get-sqlite": ("sqlite", Client.get),
        "refresh-sqlite": ("sqlite", Client.refresh)}
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in scenarios}
    for _ in range(rounds):
        for name, (server, call) in scenarios.items():
            runs[name].append(await _window(clients[server], call, servers[server][1],
                                            max_requests, max_seconds))
    return runs


def measure(tmp: Path, rounds: int, max_requests: int,
            max_seconds: float) -> dict[str, list[dict[str, float]]]:
    with ExitStack() as stack:
        servers = {"bare": stack.enter_context(serve("bench.bare_app")),
                   "memory": stack.enter_context(serve("mock_backend", "--test-control")),
                   "sqlite": stack.enter_context(serve(
                       "mock_backend", "--test-control", "--store", f"sqlite:{tmp}/tokens.db"))}
        # A thread of its own: Playwright's sync API may have left an event loop in this one.
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, _measure(servers, rounds, max_requests,
                                                     max_seconds)).result()
