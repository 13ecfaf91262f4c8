"""`--https`: the core refresh checks over TLS with a throwaway CA and a __Host- cookie."""

from __future__ import annotations

import pytest

SELECTION = " or ".join(f"test_{check}_" for check in
                        ["R1", "R2", "R3", "R4", "R5", "R6", "R7", "S2", "F1"])


@pytest.mark.long
def test_core_R_checks_and_cookie_attributes_pass_over_https_with_a_host_cookie(
        pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(
        "--pyargs", "harness.conformance", "-k", SELECTION,
        "--https", "--cookie-name", "__Host-refresh", "--cookie-path", "/",
        "--topology", "same-origin", "--browser", "chromium", "--browser", "firefox",
        "--tracing", "off", "--screenshot", "off", "-p", "no:cacheprovider", timeout=600)
    outcomes = result.parseoutcomes()
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-3000:]
    # R1-R7 (R2 three times), S2 and F1 (three reasons), in two browsers.
    assert outcomes.get("passed") == 2 * (9 + 1 + 3), outcomes

