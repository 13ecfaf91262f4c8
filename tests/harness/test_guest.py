"""The plugin as a guest in someone else's pytest: their fixture names, their options.

Once installed, the plugin is active in every pytest run of that virtualenv, so it must
not take the names users give their own fixtures, nor overrule their own settings.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import harness

REPO = Path(__file__).resolve().parents[2]
# pytest-playwright fixtures the harness overrides on purpose, under their own names.
# pytest-playwright's fixtures the plugin overrides on purpose: how a browser launches, the
# context's arguments, its base URL (its own warns under pytest 9) and the artifact folder
# (named by the check).
OVERRIDES = {"launch_browser", "browser_context_args", "base_url", "output_path"}


def test_a_users_own_backend_and_spa_fixtures_do_not_break_the_checks(
        pytester: pytest.Pytester) -> None:
    # A project whose conftest has fixtures named like the harness's old ones, and a test of
    # its own that uses them, in the same run as a conformance check.
    pytester.makeconftest("""
        import pytest

        @pytest.fixture
        def backend():
            return "my own backend"

        @pytest.fixture
        def spa():
            return {"name": "my own spa"}

        @pytest.fixture
        def topology():
            return "my own topology"
    """)
    pytester.makepyfile(test_mine="""
        def test_my_fixtures(backend, spa, topology):
            assert (backend, spa["name"], topology) == (
                "my own backend", "my own spa", "my own topology")
    """)
    result = pytester.runpytest_subprocess(
        "test_mine.py", "--pyargs", "harness.conformance",
        "-k", "test_my_fixtures or test_R2_ and 10]",
        "--browser", "chromium", "--topology", "same-origin", "-p", "no:cacheprovider",
        timeout=180)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-3000:]
    result.assert_outcomes(passed=2)


@pytest.mark.parametrize(("ini", "args", "expected"), [
    ("", [], "off"),  # pytest-playwright's own default
    ("addopts = --tracing off", [], "off"),
    ("addopts = --tracing retain-on-failure", [], "retain-on-failure"),
    ("addopts = --tracing retain-on-failure", ["--tracing", "on"], "on"),
])
def test_tracing_follows_pytest_playwright_and_the_user(pytester: pytest.Pytester, ini: str,
                                                       args: list[str], expected: str) -> None:
    pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile(test_tracing=f"""
        def test_mode(pytestconfig):
            assert pytestconfig.getoption("tracing") == {expected!r}
    """)
    result = pytester.runpytest_subprocess("test_tracing.py", *args, "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-2000:]


def test_screenshots_the_user_turned_off_in_addopts_stay_off(pytester: pytest.Pytester) -> None:
    # Unless the user chose a --screenshot mode, the harness screenshots failed checks itself.
    pytester.makeini("[pytest]\naddopts = --screenshot off\n")
    pytester.makepyfile(test_shots="""
        from harness.verdicts import artifacts

        def test_own(pytestconfig):
            assert pytestconfig.stash[artifacts.OWN_SCREENSHOTS] is False
    """)
    result = pytester.runpytest_subprocess("test_shots.py", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-2000:]


def _fixture_names(module: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.FunctionDef) and any(
                "fixture" in ast.unparse(d) for d in node.decorator_list):
            names.append(node.name)
    return names


def test_every_fixture_of_the_plugin_carries_the_harness_prefix() -> None:
    modules = sorted((REPO / "harness" / "fixtures").glob("*.py"))
    names = [n for m in modules for n in _fixture_names(m)]
    assert len(names) > 20, names
    strays = [n for n in names if n not in OVERRIDES
              and not n.startswith(("harness_", "_harness_"))]
    assert strays == [], f"fixtures users could shadow by accident: {strays}"
    public = sorted(n for n in names if n.startswith("harness_"))
    readme = (REPO / "docs" / "harness.md").read_text()
    undocumented = [n for n in public if f"`{n}`" not in readme]
    assert undocumented == [], f"public fixtures missing from docs/harness.md: {undocumented}"


def test_the_package_says_what_users_may_import_and_ships_its_types() -> None:
    for name in harness.__all__:
        assert hasattr(harness, name), name
    assert {"BackendClient", "BackendFacts", "Journal", "SpaDriver", "TimeControl"} <= set(
        harness.__all__)
    assert (Path(harness.__file__).parent / "py.typed").is_file()
    plugin = (REPO / "harness" / "plugin.py").read_text()
    assert "noqa: F401" not in plugin, "the plugin module re-exports names again"


def test_only_the_in_process_fixture_imports_the_backend() -> None:
    # The seam is HTTP: everything else learns about the backend from /__harness/facts.
    importers = []
    for module in sorted((REPO / "harness").rglob("*.py")):
        for node in ast.walk(ast.parse(module.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n == "mock_backend" or n.startswith("mock_backend.") for n in names):
                importers.append((module.relative_to(REPO).as_posix(), names))
    assert {path for path, _ in importers} == {"harness/fixtures/servers.py"}, importers
    # ... and only the package's public names, never its modules.
    assert all(names == ["mock_backend"] for _, names in importers), importers
