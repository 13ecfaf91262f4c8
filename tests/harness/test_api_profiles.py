"""Apps written for other APIs, checked as they are: the harness's backend speaks their API
(`--api-profile`), and behaves as the backend the profile names, every check judges the same
properties.

The fetch example is rewritten for each API the way its team would (only its
`api-config.js` changes: tests/broken/profile_apps.py). On every built-in API it passes each
check the app can pass; what the API's backend does (a refresh token handed to scripts, a
fork, a blacklist instead of reuse detection) is that backend's finding, never the app's
failure. On the two APIs whose real backends the suite runs, the findings are the ones the
same app gets through the edge in front of the real backend (tests/harness/
test_your_backend.py), pinned by one list each; the other built-ins' findings are pinned
too.
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
    EXPIRED_401,
    FORK,
    NO_LIMIT,
    SIMPLEJWT_FINDINGS,
    _app_failures,
    _findings,
    old_token_after_logout,
    scripts_finding,
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


def _no_challenge(path: str, runs: dict[str, int]) -> dict[str, int]:
    """The finding of a backend whose 401 for an expired token names no scheme, by the
    checks that meet it and how many of their runs do."""
    return {f"{check} (backend): {EXPIRED_401}, so the app knows to refresh — GET {path} with "
            f"an expired token answered 401 without WWW-Authenticate": n
            for check, n in runs.items()}


def _scripts(profile: str, field: str, runs: dict[str, int]) -> dict[str, int]:
    """The finding of an API that hands the refresh token to scripts."""
    return {f"{check} (backend): {scripts_finding(profile, field)}": n
            for check, n in runs.items()}


# The other built-ins' findings, pinned as the real backends' are (test_your_backend.py):
# each is what the profile says its backend does differently from the reference, and a new
# or missing one is a change of the harness's verdicts. The same in three runs each.
EVERY_EXPIRY = {"A1": 2, "A2": 1, "H1": 1, "H2": 1, "L8": 1, "F1": 6, "F2": 3, "F3": 1,
                "R1": 2, "R2": 6, "R3": 1, "R4": 1, "R5": 1, "T1": 1, "T2": 1, "T3": 1,
                "T5": 2, "S2": 2, "S3": 1, "S4": 1, "S5": 1}
NO_ROTATION = {
    f"T1 (backend): {FORK}": 1,
    "T1 (backend): a rotated refresh value no longer works — refreshing with the previous "
    "value answered 200": 1,
    "T2 (backend): a replayed, rotated refresh value is refused — the replay answered 200": 1,
    "F1 (backend): the refresh of a reused session is refused — the backend answered 1 x "
    "200": 2,
}
OTHER_FINDINGS = {
    "seed-cookie-get": {
        **_no_challenge("/api/current-user", EVERY_EXPIRY),
        old_token_after_logout("/api/current-user"): 2,
        "T2 (backend): a replayed refresh value ends the whole session — its successor still "
        "refreshed (200)": 1,
    },
    "nestjs-cookie": {
        **_no_challenge("/auth/profile", EVERY_EXPIRY),
        **NO_ROTATION,
        old_token_after_logout("/auth/profile"): 2,
        **{f"F1 (backend): the refused refresh ({why} session) clears the refresh cookie — "
           "the cookie is still in the browser": 2 for why in ("expired", "revoked")},
        "S2 (backend): the refresh cookie is HttpOnly, Secure, SameSite=Strict, host-only, "
        "with the expected Path — after login it is HttpOnly, not Secure, SameSite=Lax, "
        "Path=/auth, host-only": 2,
    },
    "aspnet-identity": {
        **_scripts("aspnet-identity", "refreshToken", {"S1": 1, "S2": 2, "S4": 1, "S5": 1}),
        **NO_ROTATION,
        **NO_LIMIT,
        old_token_after_logout("/manage/info"): 2,
    },
    "oauth-token-endpoint": {
        **_scripts("oauth-token-endpoint", "refresh_token",
                   {"S1": 1, "S2": 2, "S4": 1, "S5": 1}),
        **NO_LIMIT,
        old_token_after_logout("/api/current-user"): 2,
        "T2 (backend): a session ended for theft refuses its access tokens — the app's access "
        "token still answered 200 on GET /api/current-user": 1,
    },
}


@pytest.mark.long
@pytest.mark.parametrize("profile", list(OTHER_FINDINGS))
def test_an_app_on_any_other_built_in_profile_passes_every_app_check(
        pytester: pytest.Pytester, tmp_path: Path, browser_servers: BrowserServers,
        profile: str) -> None:
    result = _run(pytester, browser_servers, profile_apps.build(profile, tmp_path), profile)
    output = result.stdout.str()
    assert not _app_failures(result), output[-4000:]
    assert _findings(result.stdout.lines) == OTHER_FINDINGS[profile], output[-4000:]
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
