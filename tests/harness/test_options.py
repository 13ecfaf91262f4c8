"""The harness's own options: a running app (--spa-url), a fixed backend port, https for
WebKit, bad input."""

from __future__ import annotations

import pytest

from harness.fixtures.servers import spa_app
from harness.servers.live_server import LiveServer, free_port
from mock_backend.config import default_spa_dir


def test_spa_url_runs_the_checks_against_an_app_that_is_already_running(
        pytester: pytest.Pytester) -> None:
    # The reference SPA stands in for a team's dev server, on its own origin.
    with LiveServer(spa_app(default_spa_dir())) as app:
        port = free_port()
        result = pytester.runpytest_subprocess(
            "--pyargs", "harness.conformance", "-k", "test_R2_ and 10] or test_L1_",
            "--spa-url", app.url, "--backend-port", str(port), "--browser", "chromium",
            "-p", "no:cacheprovider", "-v", timeout=180)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-3000:]
    # Parameter order in the ids depends on plugin order; the parts do not.
    passed = [line for line in result.stdout.lines
              if "PASSED" in line and "spa-url" in line and "chromium" in line]
    assert any("test_R2_" in line and "10]" in line for line in passed), passed
    assert any("test_L1_" in line for line in passed), passed


@pytest.mark.parametrize(("args", "says"), [
    (["--spa-url", "localhost:4200"], "expected an http(s) URL"),
    (["--spa-url", "http://localhost:4200", "--spa-dir", "."], "exclude each other"),
    (["--backend-port", "70000"], "not a TCP port"),
    (["--backend-port", "8765", "-n", "2"], "cannot be shared"),
    (["--spa-dir", "/nonexistent"], "no index.html"),
    (["--topology", "sideways"], "invalid choice"),
    (["--backend-url", "localhost:8000"], "expected an http(s) URL"),
    (["--backend-url", "http://localhost:1", "--backend-alg", "RS256"], "exclude each other"),
    (["--backend-url", "http://localhost:1", "-n", "2"], "cannot be shared"),
    (["--backend-url", "http://localhost:1", "--browser", "webkit"], "no Secure cookie"),
    (["--backend-url", f"http://localhost:{free_port()}"], "no answer"),
    (["--api-profile", "no-such-api"], "not a built-in profile"),
    (["--backend-url", "http://localhost:1", "--api-profile", "simplejwt"], "exclude each other"),
])
def test_bad_options_stop_the_run_with_a_precise_message(pytester: pytest.Pytester,
                                                        args: list[str], says: str) -> None:
    # In this process: the run stops while pytest configures it, before any browser starts,
    # and a pytest process of its own would cost a few seconds each.
    result = pytester.runpytest_inprocess("--pyargs", "harness.conformance", *args,
                                          "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str()[-2000:]
    assert says in result.stderr.str() + result.stdout.str()


@pytest.mark.parametrize(("args", "header"), [
    (["--browser", "webkit"], "https (WebKit stores no Secure cookie"),
    (["--browser", "chromium", "--https"], "https (--https)"),
])
def test_https_is_chosen_for_webkit_and_said_in_the_header(pytester: pytest.Pytester,
                                                         args: list[str], header: str) -> None:
    # WebKit cannot run here: collecting is enough to see the choice and where it is said.
    result = pytester.runpytest_inprocess("--pyargs", "harness.conformance", "--collect-only",
                                          *args, "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-2000:]
    assert f"jwt-refresh-harness: {header}" in result.stdout.str()


@pytest.mark.parametrize(("args", "https"), [
    (["--browser", "webkit"], True),
    (["--browser", "chromium", "--browser", "webkit"], True),
    (["--browser", "webkit", "--no-https"], False),
    (["--browser", "firefox"], False),
    ([], False),
])
def test_the_https_choice_per_browser_and_option(pytester: pytest.Pytester, args: list[str],
                                                 https: bool) -> None:
    pytester.makepyfile(test_choice=f"""
        from harness.fixtures.options import HTTPS_CHOICE

        def test_choice(pytestconfig):
            assert pytestconfig.stash[HTTPS_CHOICE].on is {https}
    """)
    result = pytester.runpytest_subprocess("test_choice.py", *args, "-p", "no:cacheprovider",
                                           timeout=60)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-2000:]
