"""What the harness's own tests share: the package as an index would get it (an sdist and a
wheel, built once per test run), and browsers served to the pytest runs they start."""

from __future__ import annotations

import fcntl
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

import pytest

from harness.browser.server import serve

REPO = Path(__file__).resolve().parents[2]


class BuiltDist(NamedTuple):
    sdist: Path
    wheel: Path
    log: str  # what the build printed


def _build(out: Path) -> BuiltDist:
    if not list(out.glob("*.whl")):
        result = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(REPO)],
                                capture_output=True, text=True, timeout=600, check=False)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        (out / "build.log").write_text(result.stdout + result.stderr)
    sdists, wheels = list(out.glob("*.tar.gz")), list(out.glob("*.whl"))
    assert len(sdists) == len(wheels) == 1, f"expected one sdist and one wheel in {out}: " \
                                            f"{sorted(p.name for p in out.iterdir())}"
    return BuiltDist(sdists[0], wheels[0], (out / "build.log").read_text())


@pytest.fixture(scope="session")
def built_dist(tmp_path_factory: pytest.TempPathFactory) -> BuiltDist:
    """`python -m build` of this checkout (needs the dev extra's `build`). Under
    pytest-xdist the workers share one build, so no two builds write into the checkout at
    once."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return _build(tmp_path_factory.mktemp("dist"))
    shared = tmp_path_factory.getbasetemp().parent / "dist"
    shared.mkdir(exist_ok=True)
    with open(shared.parent / "dist.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _build(shared)


def _listening(endpoint: str) -> bool:
    address = urlsplit(endpoint)
    try:
        socket.create_connection((address.hostname, address.port or 80), timeout=2).close()
    except OSError:
        return False
    return True


class BrowserServers:
    """Browsers for the pytest runs a test starts in a subprocess (`pytester`): one browser
    server (`harness.browser.server`) per engine in this test process, started when a run
    first asks for that engine and kept while the process runs the tests of one module (under
    pytest-xdist, one per worker, which runs one test at a time; a worker's tests of a module
    come one after the other, as xdist hands them out in order). An idle Firefox still costs
    CPU, so they are not kept for the rest of the session.

    A run connects to them through pytest-playwright's `connect_options`
    (`tests/broken/browser_servers.py`), as a team with a browser on another machine would,
    and runs every check as it would in a browser of its own: each test gets a new browser
    context, as always. What it saves is what every run paid before its first check: looking
    up the browser (a child process of its own) and launching it, a fifth of the CPU time of
    the can-fail runs (tests/harness/test_checks_can_fail.py). A server whose browser has gone
    is replaced. SHARED_BROWSERS=0: every run launches its own browsers.
    """

    def __init__(self) -> None:
        self._servers: dict[str, tuple[ExitStack, str]] = {}

    def endpoint(self, engine: str) -> str:
        held = self._servers.pop(engine, None)
        if held is not None and _listening(held[1]):
            self._servers[engine] = held
            return held[1]
        if held is not None:
            held[0].close()
        stack = ExitStack()
        endpoint = stack.enter_context(serve(engine))
        self._servers[engine] = (stack, endpoint)
        return endpoint

    def args(self, *engines: str) -> list[str]:
        """`--browser` for each engine, and what connects the run to this process's server
        of each."""
        browsers = [arg for engine in engines for arg in ("--browser", engine)]
        if os.environ.get("SHARED_BROWSERS") == "0":
            return browsers
        return [*browsers, "-p", "tests.broken.browser_servers",
                *[f"--browser-server={engine}={self.endpoint(engine)}" for engine in engines]]

    def close(self) -> None:
        while self._servers:
            self._servers.popitem()[1][0].close()


@pytest.fixture(scope="module")
def _browser_servers() -> Iterator[BrowserServers]:
    servers = BrowserServers()
    try:
        yield servers
    finally:
        servers.close()


@pytest.fixture
def browser_servers(_browser_servers: BrowserServers,
                    monkeypatch: pytest.MonkeyPatch) -> BrowserServers:
    """This process's browser servers (`BrowserServers.args`); the runs the test starts can
    import `tests` (PYTHONPATH), where the plugin that connects to them lives."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    return _browser_servers
