"""`examples/react`, a React 19 app on Vite and axios, checked the way its team would check it:
its test build (`vite build --mode harness`, made by `make react-example`) passes every check
through `--spa-dir`, and its production build holds no driver (`window.authHarness`)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.harness.conftest import BrowserServers

REACT = Path(__file__).resolve().parents[2] / "examples" / "react"
REACT_BUILD = REACT / "dist" / "harness"
QUIET = ("--tracing", "off", "--screenshot", "off", "-p", "no:cacheprovider")
# The driver's name; `authHarnessConfig`, which the harness sets for any build, is not it.
DRIVER = re.compile(r"authHarness(?!Config)")


def _require(built: Path) -> None:
    if os.environ.get("SKIP_REACT"):
        pytest.skip("SKIP_REACT is set: examples/react was not built")
    if not built.exists():
        pytest.fail(f"{built} is missing: build it with `make react-example` "
                    "(or set SKIP_REACT=1 to leave the React example out)")


def _bundle(dist: Path) -> str:
    return "".join(path.read_text() for path in sorted(dist.rglob("*.js")))


@pytest.mark.long
def test_react_example_passes_every_check(pytester: pytest.Pytester,
                                          browser_servers: BrowserServers) -> None:
    _require(REACT_BUILD / "index.html")
    result = pytester.runpytest_subprocess(
        "--pyargs", "harness.conformance", "--spa-dir", str(REACT_BUILD),
        *browser_servers.args("chromium"), *QUIET, timeout=900)
    outcomes = result.parseoutcomes()
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-3000:]
    assert outcomes.get("passed", 0) >= 50 and not outcomes.get("failed"), outcomes


def test_react_production_build_has_no_driver(tmp_path: Path) -> None:
    # A production build (`vite build`, no mode) of the same sources, next to the test build.
    vite = REACT / "node_modules" / ".bin" / "vite"
    _require(vite)
    out = tmp_path / "app"
    build = subprocess.run([str(vite), "build", "--outDir", str(out), "--logLevel", "warn"],
                           cwd=REACT, capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    assert (out / "index.html").is_file(), sorted(p.name for p in out.iterdir())
    production = _bundle(out)
    assert "/api/refresh-token" in production, "the production bundle holds no app"
    assert not DRIVER.search(production), "the production bundle exposes window.authHarness"
    # The test build, made from the same sources, does expose it: the search finds a driver.
    _require(REACT_BUILD / "index.html")
    assert DRIVER.search(_bundle(REACT_BUILD)), f"no driver in {REACT_BUILD}"
