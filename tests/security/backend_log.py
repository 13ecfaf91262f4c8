"""A `python -m mock_backend` process whose whole log is kept, for what only a real server shows.

`tests/backend/processes.py` reads a process's output only until it is up; here a reader
thread keeps every line (so the pipe never fills), and the process is stopped gracefully so
its last lines are flushed before a test reads them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from harness.fixtures.servers import TEST_SECRET
from harness.servers.live_server import free_port


@dataclass
class LoggedBackend:
    url: str
    lines: list[str] = field(default_factory=list)  # complete once the `with` block has ended

    @property
    def text(self) -> str:
        return "".join(self.lines)


@contextmanager
def logged_backend(*args: str, timeout: float = 20) -> Iterator[LoggedBackend]:
    """Start `python -m mock_backend ARGS` on a free port; keep its log; stop it after."""
    port = free_port()
    env = {**os.environ, "MOCK_BACKEND_SECRET": TEST_SECRET.decode()}
    proc = subprocess.Popen([sys.executable, "-m", "mock_backend", "--port", str(port), *args],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    backend = LoggedBackend(f"http://localhost:{port}")
    serving = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            backend.lines.append(line)
            if "Uvicorn running on" in line:
                serving.set()
        serving.set()  # the process ended: stop waiting

    reader = threading.Thread(target=read, name=f"backend-log-{port}", daemon=True)
    reader.start()
    try:
        if not serving.wait(timeout) or proc.poll() is not None:
            raise RuntimeError(f"backend did not start:\n{backend.text}")
        yield backend
    finally:
        proc.terminate()  # graceful: uvicorn finishes its requests and flushes its log
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        reader.join(10)
        if proc.stdout:
            proc.stdout.close()
