"""Apps written for other APIs, checked as they are: the harness's backend speaks their API
(`--api-profile`), every check judges the same properties.

The fetch example is rewritten for each API the way its team would (only its
`api-config.js` changes: tests/broken/profile_apps.py). On the cookie APIs it passes every
check; on an API that hands the refresh token to scripts it fails exactly the checks about
that, each saying so.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from harness.servers.live_server import free_port
from tests.backend.processes import backend_process
from tests.broken import profile_apps

if TYPE_CHECKING:
    from tests.harness.conftest import BrowserServers

QUIET = ("--tracing", "off", "--screenshot", "off", "-p", "no:cacheprovider")
SCRIPTS_MESSAGE = "gives the refresh token to scripts"
# The checks about the refresh token being out of scripts' reach (docs/checks.md).
SCRIPT_CHECKS = {"S1", "S2", "S4", "S5"}


def _run(pytester: pytest.Pytester, browsers: BrowserServers, app: Path, profile: str,
         *extra: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        "--pyargs", "harness.conformance", "--api-profile", profile, "--spa-dir", str(app),
        *browsers.args("chromium"), "-rf", *QUIET, *extra, timeout=600)


@pytest.mark.long
@pytest.mark.parametrize("profile", ["seed-cookie-get", "nestjs-cookie"])
def test_an_app_for_a_cookie_api_passes_every_check(pytester: pytest.Pytester, tmp_path: Path,
                                                   browser_servers: BrowserServers,
                                                   profile: str) -> None:
    result = _run(pytester, browser_servers, profile_apps.build(profile, tmp_path), profile)
    outcomes = result.parseoutcomes()
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-3000:]
    assert outcomes.get("passed", 0) >= 50 and not outcomes.get("skipped"), outcomes
    assert f"API profile {profile}" in result.stdout.str()


@pytest.mark.long
def test_an_app_for_an_api_that_hands_out_the_refresh_token_fails_exactly_those_checks(
        pytester: pytest.Pytester, tmp_path: Path, browser_servers: BrowserServers) -> None:
    # Same-origin only, as for the broken apps in test_examples: the checks it fails are
    # about where the token is kept, not where the API is.
    result = _run(pytester, browser_servers, profile_apps.build("simplejwt", tmp_path),
                  "simplejwt", "--topology", "same-origin")
    reasons = [line for line in result.stdout.lines if line.startswith("FAILED ")]
    failed = {m.group(1) for line in reasons if (m := re.search(r"::test_([A-Z]\d)_", line))}
    assert failed == SCRIPT_CHECKS, "\n".join(reasons) or result.stdout.str()[-3000:]
    verdicts = [line for line in result.stdout.lines if re.match(r"[A-Z]\d: ", line)]
    assert verdicts and all(SCRIPTS_MESSAGE in line for line in verdicts), verdicts
    assert "the cookie alternative" in result.stdout.str()
    assert result.parseoutcomes().get("passed", 0) >= 35, result.parseoutcomes()


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
