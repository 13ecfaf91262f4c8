"""The sdist and wheel are fit for a package index: twine accepts them, the wheel holds the
plugin and everything it serves, and the metadata says what pyproject.toml says."""

from __future__ import annotations

import configparser
import subprocess
import sys
import tarfile
import zipfile
from email.message import Message
from email.parser import Parser
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.harness.conftest import BuiltDist

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pytest depends on tomli there
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]

pytestmark = pytest.mark.long


def _wheel_names(dist: BuiltDist) -> set[str]:
    with zipfile.ZipFile(dist.wheel) as wheel:
        return set(wheel.namelist())


def _wheel_file(dist: BuiltDist, name: str) -> str:
    with zipfile.ZipFile(dist.wheel) as wheel:
        [path] = [n for n in wheel.namelist() if n.endswith(f".dist-info/{name}")]
        return wheel.read(path).decode()


def _metadata(dist: BuiltDist) -> Message:
    return Parser().parsestr(_wheel_file(dist, "METADATA"))


def test_twine_check_strict_accepts_the_sdist_and_the_wheel(built_dist: BuiltDist) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(built_dist.sdist),
         str(built_dist.wheel)], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_wheel_holds_the_plugin_its_checks_the_backend_and_the_spa(
        built_dist: BuiltDist) -> None:
    names = _wheel_names(built_dist)
    # The checks' entries the report quotes (harness/verdicts/checks.md) travel with it.
    wanted = {"harness/py.typed", "harness/plugin.py", "harness/verdicts/checks.md",
              "spa_static/index.html",
              "mock_backend/__main__.py", "mock_backend/routes/__init__.py",
              "mock_backend/store/__init__.py"}
    wanted |= {p.relative_to(REPO).as_posix() for p in (REPO / "harness/conformance").glob("*.py")}
    # Every file of the SPA it serves and every built-in API profile it reads.
    data = [*(REPO / "spa_static").glob("*.*"), *(REPO / "mock_backend/profiles").glob("*.toml")]
    wanted |= {p.relative_to(REPO).as_posix() for p in data}
    assert wanted <= names, f"missing from the wheel: {sorted(wanted - names)}"
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names), sorted(names)

    entry_points = configparser.ConfigParser()
    entry_points.read_string(_wheel_file(built_dist, "entry_points.txt"))
    plugins = dict(entry_points["pytest11"]) if entry_points.has_section("pytest11") else {}
    assert plugins.get("jwt_refresh_harness") == "harness.plugin", plugins


def test_every_folder_of_files_the_wheel_holds_is_a_listed_package(
        built_dist: BuiltDist) -> None:
    # setuptools warns, and says a later version will leave the files out, when a folder
    # whose files are packaged (mock_backend/profiles) is not in `packages`.
    assert "is absent from the `packages` configuration" not in built_dist.log, \
        "\n".join(line for line in built_dist.log.splitlines() if "absent from" in line)


def test_wheel_metadata_matches_pyproject(built_dist: BuiltDist) -> None:
    metadata = _metadata(built_dist)
    assert metadata["Version"] == PROJECT["version"], (metadata["Version"], PROJECT["version"])
    classifiers = metadata.get_all("Classifier") or []
    assert "Framework :: Pytest" in classifiers, classifiers
    urls = dict(u.split(", ", 1) for u in metadata.get_all("Project-URL") or [])
    assert urls == PROJECT["urls"] and {"Homepage", "Documentation", "Changelog",
                                        "Issues"} <= urls.keys(), urls


def test_sdist_holds_the_changelog_license_readme_and_docs(built_dist: BuiltDist) -> None:
    with tarfile.open(built_dist.sdist) as sdist:
        names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
    wanted = {"CHANGELOG.md", "LICENSE", "README.md"}
    wanted |= {p.relative_to(REPO).as_posix() for p in (REPO / "docs").glob("*.md")}
    assert wanted <= names, f"missing from the sdist: {sorted(wanted - names)}"
