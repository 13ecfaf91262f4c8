"""`--backend-url`: the conformance suite against a backend running in another process.

The whole suite runs this way once, in tests/harness/test_examples.py (the fetch example,
from the built wheel, against the wheel's own backend process); here, what it does when
that backend cannot serve every check.
"""

from __future__ import annotations

import pytest

from tests.backend.processes import backend_process

QUIET = ("--tracing", "off", "--screenshot", "off", "-p", "no:cacheprovider")


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
