"""Apps written for other APIs, checked as they are: the harness's backend speaks their API
(`--api-profile`), and behaves as the backend the profile names, every check judges the same
properties.

The fetch example is rewritten for each API the way its team would (only its
`api-config.js` changes: tests/broken/profile_apps.py). On every built-in API it passes each
check the app can pass; what the API's backend does (a refresh token handed to scripts, a
fork, a blacklist instead of reuse detection) is that backend's finding, never the app's
failure. On the two APIs whose real backends the suite runs, the findings are the ones the
same app gets through the edge in front of the real backend (tests/harness/
test_your_backend.py), pinned by one list each.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from harness.servers.live_server import free_port
from tests.backend.processes import backend_process
from tests.broken import profile_apps
from tests.harness.test_your_backend import (
    DJ_REST_AUTH_FINDINGS,
    SIMPLEJWT_FINDINGS,
    _app_failures,
    _findings,
)

if TYPE_CHECKING:
    from tests.harness.conftest import BrowserServers

QUIET = ("--tracing", "off", "--screenshot", "off", "-p", "no:cacheprovider")


def _run(pytester: pytest.Pytester, browsers: BrowserServers, app: Path, profile: str,
         *extra: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        "--pyargs", "harness.conformance", "--api-profile", profile, "--spa-dir", str(app),
        *browsers.args("chromium"), "-rfEs", *QUIET, *extra, timeout=600)


def _skips_are_findings(result: pytest.RunResult) -> None:
    """Every check skipped was stopped by a backend finding it stands on, saying so."""
    skips = [line for line in result.stdout.lines if line.startswith("SKIPPED ")]
    assert all("(backend): " in line for line in skips), "\n".join(skips)


@pytest.mark.long
@pytest.mark.parametrize(("profile", "pinned"), [("simplejwt", SIMPLEJWT_FINDINGS),
                                                 ("dj-rest-auth-cookie", DJ_REST_AUTH_FINDINGS)])
def test_an_app_on_a_profile_gets_the_findings_of_the_real_backend_it_names(
        pytester: pytest.Pytester, tmp_path: Path, browser_servers: BrowserServers,
        profile: str, pinned: dict[str, int]) -> None:
    result = _run(pytester, browser_servers, profile_apps.build(profile, tmp_path), profile)
    output = result.stdout.str()
    assert not _app_failures(result), output[-4000:]
    assert _findings(result.stdout.lines) == pinned, output[-4000:]
    assert result.ret == pytest.ExitCode.OK
    _skips_are_findings(result)
    assert f"API profile {profile}" in output


@pytest.mark.long
@pytest.mark.parametrize("profile", ["seed-cookie-get", "nestjs-cookie", "aspnet-identity",
                                     "oauth-token-endpoint"])
def test_an_app_on_any_other_built_in_profile_passes_every_app_check(
        pytester: pytest.Pytester, tmp_path: Path, browser_servers: BrowserServers,
        profile: str) -> None:
    result = _run(pytester, browser_servers, profile_apps.build(profile, tmp_path), profile)
    output = result.stdout.str()
    assert not _app_failures(result), output[-4000:]
    assert result.ret == pytest.ExitCode.OK
    _skips_are_findings(result)
    assert result.parseoutcomes().get("passed", 0) >= 40, result.parseoutcomes()


def test_the_harness_learns_the_profile_of_a_backend_in_another_process(
        pytester: pytest.Pytester, tmp_path: Path, browser_servers: BrowserServers) -> None:
    # No --api-profile on the pytest side: the facts of the running backend say it all.
    app = profile_apps.build("nestjs-cookie", tmp_path)
    spa_origin = f"http://localhost:{free_port()}"
    with backend_process("--test-control", "--api-profile", "nestjs-cookie", "--spa-dir",
                         str(app), "--allow-origin", spa_origin) as url:
        result = pytester.runpytest_subprocess(
            "--pyargs", "harness.conformance", "--backend-url", url, "--spa-dir", str(app),
            *browser_servers.args("chromium"), "-k", "test_R2_ and 10] or test_X2_ or test_L4_",
            *QUIET, timeout=300)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-3000:]
    result.assert_outcomes(passed=6)
