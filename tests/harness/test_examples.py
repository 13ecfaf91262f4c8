"""Apps built elsewhere, checked the way their teams would check them.

- The example apps pass every check through `--spa-dir`: `examples/angular` (its test build,
  made by `make angular-example`) here, `examples/fetch` from a clean install.
- The fetch example runs from an empty directory, with the harness installed into a new
  virtualenv from the wheel this checkout builds (the package an index would serve, nothing
  else), against that wheel's backend started as a process of its own (`--backend-url`).
- An app with one well-known mistake fails, over the whole suite, only the checks that
  describe that mistake, and the report gives each failure's reason in one line.
- Differences from the reference SPA that the behaviour contract allows (the user's display
  name on /profile, a signed-out public page after the session ended) fail no check: both
  broken apps have them too, and every check a mistake cannot excuse must pass; no check is
  excused by both mistakes, so each is held to passing against them in one run or the other.
"""

from __future__ import annotations

import os
import re
import subprocess
import venv
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from harness.servers.live_server import free_port
from tests.backend.processes import backend_process
from tests.broken import spa_variants

if TYPE_CHECKING:
    from tests.harness.conftest import BrowserServers, BuiltDist

REPO = Path(__file__).resolve().parents[2]
ANGULAR_BUILD = REPO / "examples" / "angular" / "dist" / "harness"
QUIET = ("--tracing", "off", "--screenshot", "off", "-p", "no:cacheprovider")
SAME_ORIGIN = ("--topology", "same-origin")


def _engines(engine: str) -> tuple[str, ...]:
    """`engine`, or both browsers under BROKEN_BROWSERS=both."""
    return ("chromium", "firefox") if os.environ.get("BROKEN_BROWSERS") == "both" else (engine,)


def _browsers(engine: str) -> tuple[str, ...]:
    return tuple(arg for name in _engines(engine) for arg in ("--browser", name))


@pytest.mark.long
def test_angular_example_passes_every_check(pytester: pytest.Pytester,
                                            browser_servers: BrowserServers) -> None:
    if os.environ.get("SKIP_ANGULAR"):
        pytest.skip("SKIP_ANGULAR is set: examples/angular was not built")
    if not (ANGULAR_BUILD / "index.html").is_file():
        pytest.fail(f"{ANGULAR_BUILD} is missing: build it with `make angular-example` "
                    "(or set SKIP_ANGULAR=1 to leave the Angular example out)")
    # In Firefox, the fetch example's run in Chromium (BROKEN_BROWSERS=both: both browsers).
    browsers = browser_servers.args(*_engines("firefox"))
    result = pytester.runpytest_subprocess(
        "--pyargs", "harness.conformance", "--spa-dir", str(ANGULAR_BUILD), *browsers, *QUIET,
        timeout=900)
    outcomes = result.parseoutcomes()
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-3000:]
    assert outcomes.get("passed", 0) >= 50 and not outcomes.get("failed"), outcomes


@pytest.mark.long
def test_fetch_example_passes_every_check_from_a_clean_install_against_a_backend_process(
        tmp_path: Path, built_dist: BuiltDist) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    # The wheel, as `pip install jwt-refresh-harness` would get it from an index.
    install = subprocess.run(
        [python, "-m", "pip", "install", "-q", "--disable-pip-version-check",
         str(built_dist.wheel)], capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr[-3000:]

    empty = tmp_path / "elsewhere"
    empty.mkdir()
    clean_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    # The backend the wheel installed, started by hand in its own process as a team would
    # (python -m mock_backend), serving the app; the harness reaches it by --backend-url and
    # serves the app for the cross-origin runs on the origin the backend allows. In one
    # process (no pytest-xdist), as the suite itself already runs several workers, and in
    # Chromium, the Angular example's run in Firefox (BROKEN_BROWSERS=both: both browsers).
    fetch_app = str(REPO / "examples" / "fetch")
    spa_origin = f"http://localhost:{free_port()}"
    with backend_process("--test-control", "--spa-dir", fetch_app, "--allow-origin",
                         spa_origin, cwd=empty, python=python, env=clean_env) as url:
        run = subprocess.run(
            [python, "-m", "pytest", "--pyargs", "harness.conformance", "--backend-url", url,
             "--spa-dir", fetch_app, *_browsers("chromium"), *QUIET, "-rs"],
            cwd=empty, capture_output=True, text=True, timeout=900, env=clean_env)
    tail = run.stdout[-3000:] + run.stderr[-2000:]
    assert run.returncode == 0, tail
    passed = re.search(r"=+ (\d+) passed", run.stdout)  # pytest's own last line
    assert passed and int(passed.group(1)) >= 50, tail
    assert " failed" not in run.stdout and " skipped" not in run.stdout, tail
    # The installed package ran, not this checkout.
    where = subprocess.run([python, "-c", "import harness; print(harness.__file__)"],
                           cwd=empty, capture_output=True, text=True, check=True).stdout
    assert str(env_dir) in where and str(REPO) not in where, where


# The checks whose text a mistake contradicts. Refreshing once per 401 breaks every check
# that asks concurrent 401s for one shared refresh (R2, and with a gate or a slow refresh R3
# and F3, the profile page's two requests in R1, failures shared by waiters in F2, two tabs
# in T3); R2 must be among them, and nothing else may fail.
DESCRIBES = {
    "refresh-per-401": ({"R2"}, {"R1", "R2", "R3", "F2", "F3", "T3", "T5"}),
    "token-in-localstorage": ({"S4"}, {"S4"}),
}


def test_no_check_is_excused_by_both_mistakes() -> None:
    # So every check must pass, in one broken app or the other, against the differences
    # that the contract allows (CORRECT_VARIANTS): a check failing them is a false alarm.
    (_, one), (_, other) = DESCRIBES.values()
    assert not one & other, sorted(one & other)


# Each broken app is the reference SPA with one mistake and with every one of the
# CORRECT_VARIANTS, which do things their own way where docs/checks.md leaves the choice to
# the app (they change other files than the mistakes do). In Chromium (BROKEN_BROWSERS=both
# runs both), as the reference SPA runs every check in Firefox too. In the same-origin
# topology only, as test_checks_can_fail does: a mistake that fails a check fails it there,
# none of these variants changes where the API is, and the cross-origin runs are the same
# assertions with the API on another origin (the reference SPA and both examples run them).
@pytest.mark.long
@pytest.mark.parametrize(("variant", "engine"), [("refresh-per-401", "chromium"),
                                                 ("token-in-localstorage", "chromium")])
def test_broken_app_fails_only_the_checks_describing_its_mistake(
        pytester: pytest.Pytester, browser_servers: BrowserServers, tmp_path: Path,
        variant: str, engine: str) -> None:
    report, junit = tmp_path / "report.html", tmp_path / "results.xml"
    browsers = browser_servers.args(*_engines(engine))
    app = spa_variants.build(variant, tmp_path, *sorted(spa_variants.CORRECT_VARIANTS))
    result = pytester.runpytest_subprocess(
        "--pyargs", "harness.conformance", "--spa-dir", str(app), *browsers, *QUIET,
        *SAME_ORIGIN, "--conformance-report", str(report), "--junitxml", str(junit),
        timeout=900)
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()[-3000:]

    cases = list(ET.parse(junit).getroot().iter("testcase"))
    failed = {re.match(r"test_([A-Z]\d)_", c.get("name", "")).group(1)  # type: ignore[union-attr]
              for c in cases if c.find("failure") is not None or c.find("error") is not None}
    must, may = DESCRIBES[variant]
    assert must <= failed <= may, f"{variant}: failed {sorted(failed)}, expected {sorted(must)} " \
                                  f"and nothing outside {sorted(may)} (the mistake's checks; " \
                                  f"a failure outside them is the mistake's or a correct " \
                                  f"variant's false alarm)"
    # Every other check ran, and passed: the whole suite was there, and none was skipped but
    # X3, which runs in the cross-origin topology only.
    ran = {re.match(r"test_([A-Z]\d)_", c.get("name", "")).group(1)  # type: ignore[union-attr]
           for c in cases if c.find("skipped") is None}
    skipped = [c.get("name", "") for c in cases if c.find("skipped") is not None]
    assert len(ran) >= 30 and all(name.startswith("test_X3_") for name in skipped), \
        f"ran {sorted(ran)}, skipped {skipped}"

    # The report: one failed cell per failed run, each with a one-line reason naming its check.
    page = report.read_text()
    reasons = re.findall(r'<td class="failed">failed<br>([^<]*)</td>', page)
    summary = re.search(r"in (\d+) runs? \([^)]*\), (\d+) failed\.", page)
    assert summary and int(summary.group(2)) == len(reasons) > 0, page[:2000]
    named = {m.group(1) for r in reasons if (m := re.match(r"([A-Z]\d)\b", r))}
    assert named == failed, f"reasons {reasons} do not name the failed checks {sorted(failed)}"
    assert all("\n" not in r and len(r) < 400 for r in reasons), reasons
