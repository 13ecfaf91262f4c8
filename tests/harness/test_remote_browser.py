"""A check through a browser served elsewhere (`connect_options` of pytest-playwright)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.browser.server import serve

REPO = Path(__file__).resolve().parents[2]

# Loaded with `-p remote_browser`: points pytest-playwright's `connect_options` at the
# browser server (registered in pytest_configure so it wins over the default).
PLUGIN = """
import remote_browser_fixtures

def pytest_configure(config):
    config.pluginmanager.register(remote_browser_fixtures, "remote-browser")
"""
FIXTURES = """
import pytest

@pytest.fixture(scope="session")
def connect_options():
    return {"endpoint": %r}
"""


@pytest.mark.parametrize("engine", ["chromium", "firefox"])
def test_a_check_passes_through_a_browser_server(pytester: pytest.Pytester,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path, engine: str) -> None:
    with serve(engine) as endpoint:
        monkeypatch.setenv("PYTHONPATH", f"{pytester.path}{os.pathsep}{REPO}")
        # The checks' process could not launch a browser of its own if it tried.
        monkeypatch.setenv("PATH", str(tmp_path))
        monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path / "none"))
        pytester.makepyfile(remote_browser=PLUGIN, remote_browser_fixtures=FIXTURES % endpoint)
        result = pytester.runpytest_subprocess(
            "--pyargs", "harness.conformance", "-k", "test_R2_ and 10]", "--topology",
            "same-origin", "--browser", engine, "-p", "remote_browser",
            "-p", "no:cacheprovider", timeout=180)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-3000:]
    assert result.parseoutcomes().get("passed") == 1
