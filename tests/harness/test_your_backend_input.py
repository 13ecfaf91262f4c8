"""`--upstream`: every mistake of set-up stops the run with one line that says what to fix,
and a backend that goes away mid-run is named as such, never as the app's failure.

The team's backend here is the reference backend in a process of its own, without its
test-control API: to the edge it is just a backend it did not write.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from harness.servers.live_server import free_port
from tests.backend.processes import TEST_SECRET, _wait_until_serving, backend_process

if TYPE_CHECKING:
    from tests.harness.conftest import BrowserServers

QUIET = ("--tracing", "off", "--screenshot", "off", "-p", "no:cacheprovider")
ACCOUNTS = """
[[account]]
username = "alice"
password = "{password}"
name = "Alice Anders"
"""


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    with backend_process("--no-spa") as url:
        yield url


def _accounts(path: Path, password: str = "alice-pass", text: str | None = None) -> str:
    path.write_text(text if text is not None else ACCOUNTS.format(password=password))
    return str(path)


def _stops_with(pytester: pytest.Pytester, *args: str) -> str:
    """The run stops before any check, with one line on stderr: that line."""
    result = pytester.runpytest_subprocess("--pyargs", "harness.conformance", *args, *QUIET,
                                           timeout=120)
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str()[-2000:]
    errors = [line for line in result.stderr.lines if line.startswith("ERROR: ")]
    assert len(errors) == 1, result.stderr.str()
    return errors[0].removeprefix("ERROR: ")


def test_a_backend_that_does_not_answer_stops_the_run(pytester: pytest.Pytester,
                                                      tmp_path: Path) -> None:
    silent = f"http://127.0.0.1:{free_port()}"
    line = _stops_with(pytester, "--upstream", silent, "--accounts",
                       _accounts(tmp_path / "a.toml"))
    assert line.startswith(f"--upstream {silent}: no answer (ConnectError")
    assert line.endswith("start your backend first")


def test_a_wrong_password_stops_the_run_at_the_first_login_naming_the_account(
        pytester: pytest.Pytester, tmp_path: Path, upstream: str) -> None:
    accounts = _accounts(tmp_path / "a.toml", password="not-alices")
    line = _stops_with(pytester, "--upstream", upstream, "--accounts", accounts)
    assert line.startswith(f"--accounts {accounts}: account 'alice': the backend refused its "
                           f"login at POST /api/login (401 ")


def test_a_profile_that_does_not_match_the_backend_names_the_login_path(
        pytester: pytest.Pytester, tmp_path: Path, upstream: str) -> None:
    line = _stops_with(pytester, "--upstream", upstream, "--api-profile", "simplejwt",
                       "--accounts", _accounts(tmp_path / "a.toml"))
    assert line == (f"--api-profile: the login is POST /api/token/, and {upstream} answered "
                    f"404 there: the profile does not match this backend (its [login] path "
                    f"and method)")


@pytest.mark.parametrize(("text", "says"), [
    ('[[account]]\nusername = "alice"\npassword = "p"\nname = "A"\nrole = "root"\n',
     "account[1].role: Input should be 'user' or 'admin'"),
    ('session_limit = "five"\n[[account]]\nusername = "a"\npassword = "p"\nname = "A"\n',
     "session_limit: Input should be a valid integer"),
    ("[[account]\n", "not valid TOML"),
])
def test_a_malformed_accounts_file_stops_the_run_naming_the_key(
        pytester: pytest.Pytester, tmp_path: Path, upstream: str, text: str,
        says: str) -> None:
    accounts = _accounts(tmp_path / "a.toml", text=text)
    line = _stops_with(pytester, "--upstream", upstream, "--accounts", accounts)
    assert line.startswith(f"--accounts {accounts}: {says}"), line


@pytest.mark.parametrize(("args", "line"), [
    (["--upstream", "http://127.0.0.1:9"],
     "--upstream needs --accounts FILE: the accounts that can log in to your backend "
     "(docs/your-backend.md)"),
    (["--accounts", "a.toml"], "--accounts is for --upstream URL: the accounts of your own "
                               "backend"),
    (["--upstream", "http://127.0.0.1:9", "--accounts", "a.toml", "--backend-alg", "RS256",
      "--cookie-name", "sid"],
     "--upstream and --backend-alg, --cookie-name exclude each other: with --upstream your "
     "backend decides them"),
    (["--spa-origin", "http://localhost:4200"],
     "--spa-origin is for --upstream: the harness's own backend allows the origin it serves "
     "the app on"),
])
def test_options_that_cannot_go_together_stop_the_run(pytester: pytest.Pytester,
                                                      args: list[str], line: str) -> None:
    assert _stops_with(pytester, *args) == line


GONE_CHECK = '''
import os
import signal

import pytest

from harness import Check


@pytest.mark.conformance("G1")
def test_G1_the_list_loads(harness_check: Check) -> None:
    check = harness_check
    check.logged_in("/")
    os.kill(int(os.environ["UPSTREAM_PID"]), signal.SIGKILL)
    res = check.spa.request("GET", check.facts.list.path)
    check.require(res.status == 200, "the list loads", f"it resolved with {res.status}")
'''


def test_a_backend_that_dies_mid_run_is_named_as_gone_not_as_the_apps_failure(
        pytester: pytest.Pytester, tmp_path: Path, browser_servers: BrowserServers) -> None:
    port = free_port()
    env = {**os.environ, "MOCK_BACKEND_SECRET": TEST_SECRET.decode()}
    proc = subprocess.Popen([sys.executable, "-m", "mock_backend", "--no-spa", "--port",
                             str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        _wait_until_serving(proc, f"http://127.0.0.1:{port}", 20, 0)
        pytester.makepyfile(test_gone=GONE_CHECK)
        os.environ["UPSTREAM_PID"] = str(proc.pid)
        result = pytester.runpytest_subprocess(
            "--upstream", f"http://127.0.0.1:{port}", "--accounts",
            _accounts(tmp_path / "a.toml"), "--topology", "same-origin",
            *browser_servers.args("chromium"), *QUIET, timeout=120)
    finally:
        os.environ.pop("UPSTREAM_PID", None)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
        if proc.stdout:
            proc.stdout.close()
    lines = [line for line in result.stdout.lines if line.startswith("G1: ")]
    assert lines and lines[0].startswith("G1: your backend went away during the check — "), \
        result.stdout.str()[-3000:]
    assert "the edge answered" in lines[0] and "The app is not judged" in lines[0]


def test_the_edge_over_https_checks_its_accounts_through_the_test_ca(
        pytester: pytest.Pytester, tmp_path: Path, browser_servers: BrowserServers) -> None:
    # `--https` serves the edge with the throwaway test CA: the harness's own logins through
    # it (before the first check) trust that CA, as every client of the harness does. The
    # backend behind it, on plain http, allows the browser's https origin, as a backend
    # behind any proxy that ends TLS must.
    edge_port = free_port()
    with backend_process("--no-spa", "--allow-origin", f"https://localhost:{edge_port}") as up:
        result = pytester.runpytest_subprocess(
            "--pyargs", "harness.conformance", "--upstream", up, "--accounts",
            _accounts(tmp_path / "a.toml"), "--https", "--backend-port", str(edge_port),
            "--topology", "same-origin", "-k", "test_S1_", *browser_servers.args("chromium"),
            *QUIET, timeout=120)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-2000:]
    result.assert_outcomes(passed=1)
