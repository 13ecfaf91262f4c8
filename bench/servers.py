"""Servers in processes of their own, so a load generator does not share their interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from harness.live_server import free_port
from harness.server_fixtures import TEST_SECRET

REPO = Path(__file__).resolve().parents[1]
_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class ServerProcess:
    url: str
    pid: int

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far (Linux /proc)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime


@contextmanager
def server_process(module: str, *args: str, timeout: float = 30) -> Iterator[ServerProcess]:
    """`python -m MODULE --port P ARGS`; yields once uvicorn says it is up, killed after."""
    port = free_port()
    env = {**os.environ, "MOCK_BACKEND_SECRET": TEST_SECRET.decode()}
    proc = subprocess.Popen([sys.executable, "-m", module, "--port", str(port), *args],
                            cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    url = f"http://localhost:{port}"
    try:
        _wait_until_serving(proc, timeout)
        httpx.get(url + "/__bench_ping", timeout=timeout)  # any answer: it serves
        yield ServerProcess(url, proc.pid)
    finally:
        proc.kill()
        proc.wait(10)
        if proc.stdout:
            proc.stdout.close()


def _wait_until_serving(proc: subprocess.Popen[bytes], timeout: float) -> None:
    """Read the server's log until uvicorn says it is up (an event, not a sleep)."""
    assert proc.stdout is not None
    seen = b""
    timer = threading.Timer(timeout, proc.kill)  # a server that never starts is killed
    timer.start()
    try:
        for line in proc.stdout:
            seen += line
            if b"Uvicorn running on" in line:
                # The access log keeps coming: read it away, or a full pipe blocks the server.
                threading.Thread(target=_drain, args=(proc.stdout.fileno(),),
                                 daemon=True).start()
                return
    finally:
        timer.cancel()
    raise RuntimeError(f"server process exited:\n{seen.decode(errors='replace')}")


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 1 << 16):
            pass
    except OSError:  # closed when the process is stopped
        return
