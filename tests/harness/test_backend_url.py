"""`--backend-url`: the conformance suite against a backend running in another process."""

from __future__ import annotations

import pytest

from harness.live_server import free_port
from tests.backend.processes import backend_process

QUIET = ("--tracing", "off", "--screenshot", "off", "-p", "no:cacheprovider")


@pytest.mark.long
def test_the_whole_suite_runs_against_a_backend_in_another_process(
        pytester: pytest.Pytester) -> None:
    # The backend a team would start by hand; it allows one localhost origin, where the
    # harness serves the SPA for the cross-origin topology.
    spa_origin = f"http://localhost:{free_port()}"
    with backend_process("--test-control", "--allow-origin", spa_origin) as url:
        result = pytester.runpytest_subprocess(
            "--pyargs", "harness.conformance", "--backend-url", url, "--browser", "chromium",
            *QUIET, timeout=600)
    outcomes = result.parseoutcomes()
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-3000:]
    assert outcomes.get("passed", 0) >= 50 and not outcomes.get("skipped"), outcomes
    assert f"backend at {url}" in result.stdout.str()


def test_a_backend_that_allows_no_spa_origin_skips_only_the_cross_origin_runs(
        pytester: pytest.Pytester) -> None:
    with backend_process("--test-control") as url:
        result = pytester.runpytest_subprocess(
            "--pyargs", "harness.conformance", "--backend-url", url, "--browser", "chromium",
            "-k", "test_A1_", "-rs", *QUIET, timeout=180)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-3000:]
    result.assert_outcomes(passed=1, skipped=1)
    assert "--allow-origin http://localhost:PORT" in result.stdout.str()


@pytest.mark.parametrize(("backend_args", "says"), [
    (("--no-spa",), "serves no SPA at /"),
    ((), "no test-control API"),
])
def test_a_backend_that_cannot_serve_the_checks_stops_the_run(
        pytester: pytest.Pytester, backend_args: tuple[str, ...], says: str) -> None:
    control = ("--test-control",) if backend_args else ()
    with backend_process(*control, *backend_args) as url:
        result = pytester.runpytest_subprocess(
            "--pyargs", "harness.conformance", "--backend-url", url, *QUIET, timeout=60)
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str()[-2000:]
    assert says in result.stderr.str(), result.stderr.str()
