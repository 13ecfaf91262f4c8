"""The checks in front of real backends the harness did not write (`--upstream`).

Django REST framework + SimpleJWT 5.5 and dj-rest-auth 7.2, installed from the package index
into a venv of their own and started as real processes (tests/upstreams). examples/fetch,
configured for each API the way its team would (its `api-config.js` alone), runs the whole
suite through the harness's edge, in Chromium, in both topologies. The app's verdicts are
what the app deserves: it passes. The backends' findings are pinned: what SimpleJWT and
dj-rest-auth do that the checks' backend parts name, as measured on the wire.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from harness.servers.live_server import free_port
from tests.broken import profile_apps
from tests.upstreams.fixtures import upstream_or_skip
from tests.upstreams.launcher import ACCOUNTS, HERE

if TYPE_CHECKING:
    from tests.harness.conftest import BrowserServers

QUIET = ("--tracing", "off", "--screenshot", "off", "-p", "no:cacheprovider")


def scripts_finding(profile: str, field: str) -> str:
    """What S1, S2, S4 and S5 find of an API that hands the refresh token to scripts."""
    return (f"the refresh token stays out of reach of scripts (an HttpOnly cookie) — the API "
            f"({profile} profile) gives the refresh token to scripts: the login and refresh "
            f"answers carry it in '{field}', and the app sends it back in the '{field}' field "
            f"of the request body")


def old_token_after_logout(path: str) -> str:
    return (f"L4 (backend): the old access token is rejected after logout — GET {path} with "
            f"it answered 200")


SCRIPTS = scripts_finding("simplejwt", "refresh")
EXPIRED_401 = "an expired access token gets 401 with WWW-Authenticate: Bearer (RFC 6750)"
# What L7 finds of a backend without a session limit, where the accounts promise 5.
NO_LIMIT = {
    "L7 (backend): a user's session beyond the limit (5) evicts one: 5 stay live — 6 of 6 "
    "sessions still refresh": 1,
    "L7 (backend): the login beyond the limit evicts the least recently used session (the "
    "second) — the sessions that still refresh: [1, 2, 3, 4, 5, 6]": 1,
}
FORK = "concurrent refreshes of one value leave exactly one successor — in round "
# Each finding's first line as it starts, and how many runs report it (a check runs once per
# topology it is marked for). The counts of a fork vary run to run; the finding does not.
SIMPLEJWT_FINDINGS = {
    old_token_after_logout("/api/current-user"): 2,
    f"T1 (backend): {FORK}": 1,
    "T2 (backend): a replayed refresh value ends the whole session — its successor still "
    "refreshed (200)": 1,
    f"S1 (backend): {SCRIPTS}": 1,
    f"S2 (backend): {SCRIPTS}": 2,
    f"S4 (backend): {SCRIPTS}": 1,
    f"S5 (backend): {SCRIPTS}": 1,
    **NO_LIMIT,  # the accounts file promises 5 sessions a user; SimpleJWT keeps every one
}
DJ_REST_AUTH_FINDINGS = {
    "A3 (backend): a request without an access token is refused with 401 — it answered 200 "
    "(a backend that also reads the access token from a cookie lets it through)": 1,
    old_token_after_logout("/api/current-user"): 2,
    **{f"F1 (backend): the refused refresh ({why} session) clears the refresh cookie — the "
       f"cookie is still in the browser": 2 for why in ("expired", "reused", "revoked")},
    f"T1 (backend): {FORK}": 1,
    "T2 (backend): a replayed refresh value ends the whole session — its successor still "
    "refreshed (200)": 1,
    "S2 (backend): the refresh cookie is HttpOnly, Secure, SameSite=Strict, host-only, with "
    "the expected Path — after login it is HttpOnly, not Secure, SameSite=Lax, Path=/, "
    "host-only": 2,
    # Its accounts file promises 5 sessions a user, as SimpleJWT's does.
    "L7 (backend): a user's session beyond the limit (5) evicts one: 5 stay live — 6 of 6 "
    "sessions still refresh": 1,
    "L7 (backend): the login beyond the limit evicts the least recently used session (the "
    "second) — the sessions that still refresh: [1, 2, 3, 4, 5, 6]": 1,
}


def _run(pytester: pytest.Pytester, browser_servers: BrowserServers, tmp_path: Path,
         mode: str, session_limit: int | None = None,
         **upstream: object) -> tuple[pytest.RunResult, dict[str, int]]:
    spa_origin = f"http://localhost:{free_port()}"
    app = profile_apps.build(str(HERE / f"{mode}.toml"), tmp_path)
    accounts = ACCOUNTS
    if session_limit is not None:  # the team's promise, for L7
        accounts = tmp_path / "accounts.toml"
        accounts.write_text(f"session_limit = {session_limit}\n" + ACCOUNTS.read_text())
    with upstream_or_skip(mode, cors_origins=[spa_origin], **upstream) as backend:  # type: ignore[arg-type]
        result = pytester.runpytest_subprocess(
            "--pyargs", "harness.conformance", "--upstream", backend.url,
            "--accounts", str(accounts), "--api-profile", str(HERE / f"{mode}.toml"),
            "--spa-dir", str(app), "--spa-origin", spa_origin,
            "--conformance-report", str(tmp_path / "report.html"),
            *browser_servers.args("chromium"), "-rfEs", *QUIET, timeout=600)
    return result, _findings(result.stdout.lines)


def _findings(lines: list[str]) -> dict[str, int]:
    """The first lines of the run's backend findings section, by how they start."""
    found: dict[str, int] = {}
    inside = False
    for line in lines:
        if re.match(r"=+ backend findings", line):
            inside = True
        elif inside and line.startswith("="):
            break
        elif inside and re.match(r"[A-Z]\d \(backend\): ", line):
            key = line
            if FORK in key:
                key = key[:key.index(FORK) + len(FORK)]
            found[key] = found.get(key, 0) + 1
    return found


def _app_failures(result: pytest.RunResult) -> list[str]:
    return [line for line in result.stdout.lines if line.startswith(("FAILED ", "ERROR "))]


@pytest.mark.long
def test_simplejwt_through_the_edge_the_app_passes_and_the_backends_flaws_are_findings(
        pytester: pytest.Pytester, browser_servers: BrowserServers, tmp_path: Path) -> None:
    result, findings = _run(pytester, browser_servers, tmp_path, "simplejwt",
                            session_limit=5)
    output = result.stdout.str()
    assert not _app_failures(result), output[-4000:]
    assert findings == SIMPLEJWT_FINDINGS, output[-4000:]
    assert result.ret == pytest.ExitCode.OK
    # What the edge cannot steer is skipped with the reason, never passed in silence.
    assert "X2 (backend): not applicable: your API takes the refresh token in the request" \
        in output
    assert result.parseoutcomes().get("passed", 0) >= 40, result.parseoutcomes()
    # The report shows them apart from the app's verdicts too.
    page = (tmp_path / "report.html").read_text()
    apart = page.split("Backend findings (your backend, not your app)")[1]
    assert "its successor still refreshed (200)" in apart


@pytest.mark.long
def test_dj_rest_auth_through_the_edge_the_app_passes_and_the_backends_flaws_are_findings(
        pytester: pytest.Pytester, browser_servers: BrowserServers, tmp_path: Path) -> None:
    result, findings = _run(pytester, browser_servers, tmp_path, "dj-rest-auth",
                            session_limit=5)
    output = result.stdout.str()
    assert not _app_failures(result), output[-4000:]
    assert findings == DJ_REST_AUTH_FINDINGS, output[-4000:]
    assert result.ret == pytest.ExitCode.OK
    assert result.parseoutcomes().get("passed", 0) >= 48, result.parseoutcomes()


@pytest.mark.long
def test_drf_answering_an_expired_token_with_403_is_the_backends_finding_not_the_apps(
        pytester: pytest.Pytester, browser_servers: BrowserServers, tmp_path: Path) -> None:
    # DRF's common authentication order: SessionAuthentication first. An expired token is
    # then answered 403 without WWW-Authenticate, and no app that refreshes on 401 recovers.
    result, findings = _run(pytester, browser_servers, tmp_path, "simplejwt",
                            auth_order="session-first")
    output = result.stdout.str()
    expired = {k: n for k, n in findings.items() if EXPIRED_401 in k}
    assert expired and all("answered 403 without WWW-Authenticate" in k for k in expired), \
        output[-4000:]
    # Every check that needs an expired token to be refreshable says so, as the backend's.
    assert {k[:2] for k in expired} >= {"R1", "R2", "R3", "R4", "R5", "F1", "F2", "T1", "T3"}
    assert not _app_failures(result), output[-4000:]
    # No session_limit in its accounts file: L7 is skipped, saying why.
    assert "L7 (backend): not checked behind the edge: the accounts file declares no " \
           "session_limit" in output
