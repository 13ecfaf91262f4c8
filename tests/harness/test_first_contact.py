"""First contact: the mistakes a newcomer's app makes get an answer that says what to do.

The fetch example, changed as a team's first app differs from it: a driver that arrives
after the load event (it passes), a driver the app never references, injected by the harness
(it passes), no driver at all (the message says what the page loaded), an app written for
another API run without its profile (the message names the path the backend does not serve
and points at --api-profile), and an API with neither a create nor an admin resource, in an
app with no admin page (it passes, the checks that need them skipped with the reason). A
passing run is quiet: no warnings.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.broken import fetch_variants, profile_apps

if TYPE_CHECKING:
    from tests.harness.conftest import BrowserServers

QUIET = ("--tracing", "off", "--screenshot", "off", "-p", "no:cacheprovider")
# Checks that load pages anew (a reload, a new tab, a guarded page), hold the page clock, and
# walk `window`: each waits for a late driver in every page it opens.
PAGE_LOADS = "test_L1_ or test_L2_ or test_R1_ or test_L3_ or test_S5_"


def _run(pytester: pytest.Pytester, browsers: BrowserServers, app: Path,
         *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        "--pyargs", "harness.conformance", "--spa-dir", str(app), *browsers.args("chromium"),
        "-rfEs", *QUIET, *args, timeout=600)


def test_a_driver_installed_after_the_load_event_is_waited_for_and_the_run_is_quiet(
        pytester: pytest.Pytester, tmp_path: Path, browser_servers: BrowserServers) -> None:
    app = fetch_variants.build("late-driver", tmp_path)
    result = _run(pytester, browser_servers, app, "-k", PAGE_LOADS)
    output = result.stdout.str()
    assert result.ret == pytest.ExitCode.OK, output[-3000:]
    result.assert_outcomes(passed=7)
    # No warning from the harness or its dependencies in a passing run.
    assert "warnings summary" not in output and "Warning" not in output, output[-3000:]


def test_a_driver_the_harness_injects_needs_no_reference_in_the_app(
        pytester: pytest.Pytester, tmp_path: Path, browser_servers: BrowserServers) -> None:
    app = fetch_variants.build("injected-driver", tmp_path)
    assert "window.authHarness =" not in (app / "app.js").read_text()  # the app sets none
    result = _run(pytester, browser_servers, app, "--driver-script",
                  str(tmp_path / "driver.js"), "-k", PAGE_LOADS)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-3000:]
    result.assert_outcomes(passed=7)


def test_a_driver_script_that_cannot_be_the_driver_stops_the_run(
        pytester: pytest.Pytester, tmp_path: Path) -> None:
    other = tmp_path / "other.js"
    other.write_text("console.log('not a driver');\n")
    for path, says in ((tmp_path / "none.js", "cannot be read"),
                       (other, "it never names window.authHarness")):
        result = pytester.runpytest_subprocess("--pyargs", "harness.conformance",
                                               "--driver-script", str(path), *QUIET,
                                               timeout=120)
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        assert f"ERROR: --driver-script {path}: {says}" in result.stderr.str()


def test_a_driver_that_never_comes_is_named_with_what_the_page_loaded(
        pytester: pytest.Pytester, tmp_path: Path, browser_servers: BrowserServers) -> None:
    app = fetch_variants.build("no-driver", tmp_path)
    result = _run(pytester, browser_servers, app, "-k", "test_L1_")
    output = result.stdout.str()
    assert "L1: set-up failed: open /profile and log in as alice — the app at " in output
    assert ("window.authHarness never appeared on http://localhost:" in output
            and "within 15 s: the app does not expose the driver contract (docs/contract.md) "
                "— its scripts loaded; no console error" in output), output[-3000:]


def test_an_app_for_another_api_run_without_its_profile_is_told_to_give_one(
        pytester: pytest.Pytester, tmp_path: Path, browser_servers: BrowserServers) -> None:
    # Written for NestJS's API (`POST /auth/login`), run against the reference API.
    app = profile_apps.build("nestjs-cookie", tmp_path)
    result = _run(pytester, browser_servers, app, "-k", "test_L1_")
    output = result.stdout.str()
    assert ("L1: set-up failed: open /profile and log in as alice — the app called POST "
            "/auth/") in output, output[-3000:]
    assert ("which this backend does not serve (405); is it written for another API? see "
            "--api-profile (docs/profiles.md)") in output
    assert "  the step: could not log in as alice" in output  # what the step said, below


@pytest.mark.long
def test_an_api_without_create_and_admin_and_an_app_without_an_admin_page_pass(
        pytester: pytest.Pytester, tmp_path: Path, browser_servers: BrowserServers) -> None:
    profile = tmp_path / "no-create.toml"
    profile.write_text('[resources]\ncreate = ""\nadmin = ""\n')
    config = tmp_path / "app.toml"
    config.write_text('[routes]\nadmin = ""\n')
    app = profile_apps.build(str(profile), tmp_path)
    result = _run(pytester, browser_servers, app, "--api-profile", str(profile),
                  "--app-config", str(config))
    output = result.stdout.str()
    assert result.ret == pytest.ExitCode.OK, output[-4000:]
    skipped = sorted(line.split(": ", 1)[1] for line in result.stdout.lines
                     if line.startswith("SKIPPED "))
    assert skipped == [
        "L5: not checked: the app has no admin page (routes.admin is \"\" in --app-config), "
        "and L5 asks for it logged out, then logs in as admin",
        *[f"{check}: not checked: the API has no {name} resource (resources.{name} is \"\" "
          f"in its profile), and this check needs it"
          for check, name in (("R4", "create"), ("R5", "create"), ("R7", "admin"))]], skipped
    assert result.parseoutcomes().get("passed", 0) >= 50
