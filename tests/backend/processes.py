"""Backends in their own processes (`python -m mock_backend`), for restarts and shared files."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx

from harness.fixtures.servers import TEST_SECRET
from harness.servers.live_server import free_port


@contextmanager
def backend_process(*args: str, cwd: Path | None = None, timeout: float = 20,
                    python: str | Path = sys.executable,
                    env: dict[str, str] | None = None,
                    secret: bytes | None = TEST_SECRET) -> Iterator[str]:
    """Start `python -m mock_backend ARGS` on a free port; yield its URL; kill it after
    (its whole process group: a `--workers` parent and its workers). `secret=None`: no
    MOCK_BACKEND_SECRET in its environment."""
    port = free_port()
    env = dict(os.environ if env is None else env)
    env.pop("MOCK_BACKEND_SECRET", None)
    if secret is not None:
        env["MOCK_BACKEND_SECRET"] = secret.decode()
    proc = subprocess.Popen([str(python), "-m", "mock_backend", "--port", str(port), *args],
                            cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    url = f"http://localhost:{port}"
    try:
        workers = int(args[args.index("--workers") + 1]) if "--workers" in args else 0
        _wait_until_serving(proc, url, timeout, workers)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
        if proc.stdout:
            proc.stdout.close()


def _wait_until_serving(proc: subprocess.Popen[str], url: str, timeout: float,
                        workers: int = 0) -> None:
    """Read the server's log until uvicorn says it is up (an event, not a sleep): with
    `--workers`, until each worker's app started (a worker listens from then on)."""
    assert proc.stdout is not None
    lines = []
    started = 0
    for line in proc.stdout:
        lines.append(line)
        if workers:
            started += "Application startup complete" in line
            ready = started == workers
        else:
            ready = "Uvicorn running on" in line
        if ready:
            # Keep reading the log, or a full pipe would block the server mid-test.
            threading.Thread(target=_drain, args=(proc.stdout,), daemon=True).start()
            httpx.get(url + "/.well-known/jwks.json", timeout=timeout).raise_for_status()
            return
    raise RuntimeError("backend process exited:\n" + "".join(lines))


def _drain(stream: IO[str]) -> None:
    try:
        for _ in stream:
            pass
    except (ValueError, OSError):  # closed when the process is stopped
        return
