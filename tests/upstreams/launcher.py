"""Start a real upstream backend as a process of its own.

    with start("simplejwt") as upstream:
        httpx.post(upstream.url + "/api/token/", json={...})

`start` makes the venv if needed (env.ensure), prepares a database in a temporary directory
(migrate, then the accounts and their seed jobs), and serves the project with Django's own
server, `manage.py runserver --noreload`: threaded, so concurrent requests are answered
concurrently. On exit the server is terminated (killed if it does not stop) and the
directory removed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

# httpcore before any test runs: pytester takes sys.modules back to how a test found it, and
# a httpcore imported inside one test would come back as new classes in the next, which
# httpx no longer maps to its own errors (a refused connection then escapes as
# httpcore.ConnectError).
import httpcore  # noqa: F401
import httpx

from harness.servers.live_server import free_port
from tests.upstreams import env

HERE = Path(__file__).resolve().parent
PROJECT = HERE / "django_project"
ACCOUNTS = HERE / "accounts.toml"
MODES = ("simplejwt", "dj-rest-auth")
AUTH_ORDERS = ("jwt-only", "session-first")
START_TIMEOUT = 30.0
STOP_TIMEOUT = 5.0
# Any answer from the project means it serves: unauthenticated, this one is 401 (or 403).
PROBE_PATH = "/api/current-user"


@dataclass(frozen=True)
class Upstream:
    url: str  # http://127.0.0.1:PORT
    mode: str
    process: subprocess.Popen[bytes]
    data_dir: Path


class UpstreamExited(RuntimeError):
    """The server (or its preparation) stopped before it served; the message carries the
    last lines it wrote."""


def upstream_environ(mode: str, data_dir: Path, accounts: Path, cors_origins: list[str],
                     auth_order: str) -> dict[str, str]:
    environ = {key: value for key, value in os.environ.items()
               if not key.startswith(("UPSTREAM_", "DJANGO_", "PYTHON"))}
    environ.update({
        "DJANGO_SETTINGS_MODULE": "upstream_site.settings",
        "UPSTREAM_MODE": mode,
        "UPSTREAM_DATA": str(data_dir),
        "UPSTREAM_ACCOUNTS": str(accounts),
        "UPSTREAM_CORS_ORIGINS": ",".join(cors_origins),
        "UPSTREAM_AUTH_ORDER": auth_order,
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    if os.environ.get("UPSTREAM_VERBOSE") == "1":
        environ["UPSTREAM_VERBOSE"] = "1"
    return environ


@contextlib.contextmanager
def start(mode: str, *, accounts: Path = ACCOUNTS, cors_origins: list[str] | None = None,
          auth_order: str = "jwt-only", port: int = 0) -> Iterator[Upstream]:
    """Serve the upstream project in `mode` on 127.0.0.1 (a free port unless `port`); yield
    it once it answers; stop it. Raises env.UpstreamUnavailable when its venv cannot be
    made, UpstreamExited when the server stops before it serves."""
    if mode not in MODES:
        raise ValueError(f"mode {mode!r} is not one of {', '.join(MODES)}")
    if auth_order not in AUTH_ORDERS:
        raise ValueError(f"auth_order {auth_order!r} is not one of {', '.join(AUTH_ORDERS)}")
    python = env.ensure()
    data_dir = Path(tempfile.mkdtemp(prefix=f"upstream-{mode}-"))
    try:
        environ = upstream_environ(mode, data_dir, Path(accounts).resolve(),
                                   list(cors_origins or []), auth_order)
        log_path = data_dir / "server.log"
        with open(log_path, "wb") as log:
            _prepare(python, environ, log, log_path)
            port = port or free_port()
            verbose = os.environ.get("UPSTREAM_VERBOSE") == "1"
            process = subprocess.Popen(
                [str(python), "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload",
                 "--skip-checks"],
                cwd=PROJECT, env=environ, stdin=subprocess.DEVNULL,
                stdout=None if verbose else subprocess.PIPE,
                stderr=None if verbose else subprocess.STDOUT)
            bound = _Bound(process, log) if not verbose else None
            try:
                upstream = Upstream(f"http://127.0.0.1:{port}", mode, process, data_dir)
                _wait_until_serving(upstream, log_path, bound)
                yield upstream
            finally:
                _stop(process)
                if process.stdout is not None:
                    if bound is not None:
                        bound.reader.join(STOP_TIMEOUT)  # it reads to the end of the output
                    process.stdout.close()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def _output(log: IO[bytes]) -> IO[bytes] | None:
    """Where the server writes: its log file, or this process's own streams under
    UPSTREAM_VERBOSE=1 (then every request is logged too)."""
    return None if os.environ.get("UPSTREAM_VERBOSE") == "1" else log


def _prepare(python: Path, environ: dict[str, str], log: IO[bytes], log_path: Path) -> None:
    done = subprocess.run([str(python), "manage.py", "prepare_upstream"], cwd=PROJECT,
                          env=environ, stdin=subprocess.DEVNULL, timeout=START_TIMEOUT,
                          check=False, stdout=_output(log), stderr=_output(log))
    if done.returncode != 0:
        raise UpstreamExited(f"manage.py prepare_upstream exited with {done.returncode}:\n"
                             + _tail(log_path))


class _Bound(threading.Event):
    """Set once the server has bound its port: runserver prints its banner ("Starting
    development server at ...") from its `on_bind` callback, after the bind. The server's
    output goes on to the log, read by a thread so that a full pipe never blocks it; the
    event is also set when the output ends (the server exited)."""

    def __init__(self, process: subprocess.Popen[bytes], log: IO[bytes]) -> None:
        super().__init__()
        self.reader = threading.Thread(target=self._pump, args=(process, log),
                                       name="upstream-log", daemon=True)
        self.reader.start()

    def _pump(self, process: subprocess.Popen[bytes], log: IO[bytes]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            log.write(line)
            log.flush()
            if b"Starting development server at" in line:
                self.set()
        self.set()


def _wait_until_serving(upstream: Upstream, log_path: Path, bound: _Bound | None) -> None:
    """Until the server has bound its port (an event: its banner), at most START_TIMEOUT;
    then one request, which must be answered. (Under UPSTREAM_VERBOSE=1 the output is not
    read: the request alone, with the whole START_TIMEOUT to connect.)"""
    if bound is not None and not bound.wait(START_TIMEOUT):
        raise UpstreamExited(f"the {upstream.mode} upstream did not bind {upstream.url} "
                             f"within {START_TIMEOUT:.0f} s:\n" + _tail(log_path))
    code = upstream.process.poll()
    if code is not None:
        raise UpstreamExited(f"the {upstream.mode} upstream exited with {code} before it "
                             f"served:\n" + _tail(log_path))
    transport = httpx.HTTPTransport(retries=0 if bound is not None else 20)
    try:
        with httpx.Client(transport=transport, timeout=START_TIMEOUT) as client:
            client.get(upstream.url + PROBE_PATH)
    except httpx.TransportError as exc:
        raise UpstreamExited(f"the {upstream.mode} upstream at {upstream.url} does not "
                             f"answer ({exc}):\n" + _tail(log_path)) from None


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _tail(log_path: Path, lines: int = 20) -> str:
    if os.environ.get("UPSTREAM_VERBOSE") == "1":
        return "(its output is above: UPSTREAM_VERBOSE=1)"
    try:
        text = log_path.read_text(errors="replace")
    except OSError:
        return "(no output)"
    return "\n".join(text.splitlines()[-lines:]) or "(no output)"
