"""A real Redis server for the tests of the Redis store: Debian's `redis-server`, started on
a free port with nothing saved to disk, one per test process.

`make test` installs the package where it can (as root, with apt-get). Where it is not
installed the tests that need it are skipped with the reason, except under CI=true, where
a missing server is a failure: there it is always installed, so its absence is a bug.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import redis

from harness.servers.live_server import free_port
from tests.backend.processes import _drain as drain
from tests.skips import skip_or_fail_under_ci

MISSING = ("redis-server is not installed: the Redis store's tests need a real Redis server "
           "(Debian/Ubuntu: apt-get install redis-server; `make test` installs it as root)")


def redis_server_or_skip() -> str:
    """The path of `redis-server`, or the test is skipped (failed under CI=true)."""
    path = shutil.which("redis-server") or next(
        (p for p in ("/usr/bin/redis-server", "/usr/sbin/redis-server") if os.path.exists(p)),
        None)
    if path is None:
        skip_or_fail_under_ci(MISSING, "it must be there")
    return path


@contextmanager
def redis_server(executable: str) -> Iterator[str]:
    """Start a Redis server on a free loopback port; yield `redis://127.0.0.1:PORT`; stop it."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="redis-") as workdir:
        proc = subprocess.Popen(
            [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", workdir, "--daemonize", "no",
             "--loglevel", "notice"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        url = f"redis://127.0.0.1:{port}"
        try:
            _wait_for_first_answer(proc, port)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout:
                proc.stdout.close()


def _wait_for_first_answer(proc: subprocess.Popen[str], port: int) -> None:
    """Read the server's log until it says it is ready (an event, not a sleep), then keep
    reading it in a thread so a full pipe never stops the server."""
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if "Ready to accept connections" in line:
            threading.Thread(target=drain, args=(proc.stdout,), daemon=True).start()
            with redis.Redis(port=port) as client:
                client.ping()
            return
    raise RuntimeError(f"redis-server did not start on port {port}:\n" + "".join(lines))
