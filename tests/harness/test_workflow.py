"""The CI workflow offered to users passes actionlint, installs the harness package (not
the repository it is copied into) and runs Chromium, Firefox and WebKit."""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / ".github" / "workflows" / "e2e.yml"


def _actionlint() -> str:
    beside_python = Path(sys.executable).with_name("actionlint")
    found = str(beside_python) if beside_python.exists() else shutil.which("actionlint")
    assert found, "actionlint is missing: install the dev extra (pip install -e '.[dev]')"
    return found


def test_e2e_workflow_passes_actionlint() -> None:
    result = subprocess.run([_actionlint(), "-no-color", str(WORKFLOW)], capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_does_catch_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(WORKFLOW.read_text().replace("${{ matrix.browser }}",
                                                   "${{ matrix.browsr }}", 1))
    result = subprocess.run([_actionlint(), "-no-color", str(broken)], capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode != 0 and "browsr" in result.stdout, result.stdout


def _top_level_env(text: str) -> dict[str, str]:
    """The workflow's top-level `env:` block, one `KEY: value` per line."""
    lines = text.splitlines()
    start = lines.index("env:") + 1
    block = itertools.takewhile(lambda line: not line or line.startswith(" "), lines[start:])
    pairs = (line.strip().split(": ", 1) for line in block
             if line.strip() and not line.strip().startswith("#"))
    return {key: value.strip('"') for key, value in pairs}


def test_workflow_installs_the_harness_package_and_runs_all_three_engines() -> None:
    """Copied into an app's repository, `pip install .` would install the app: the harness
    comes from the one HARNESS_PACKAGE setting at the top."""
    text = WORKFLOW.read_text()
    package = _top_level_env(text).get("HARNESS_PACKAGE", "")
    assert package.startswith("jwt-refresh-harness"), _top_level_env(text)
    runs = [line.strip() for line in text.splitlines() if "pip install" in line]
    assert any('pip install "$HARNESS_PACKAGE"' in line for line in runs), runs
    assert not any(re.search(r"pip install (-e )?\.(\s|$)", line) for line in runs), runs

    matrix = re.search(r"^\s+browser: \[([^\]]*)\]", text, re.MULTILINE)
    assert matrix, "no `browser: [...]` matrix in the workflow"
    browsers = {b.strip() for b in matrix.group(1).split(",")}
    assert browsers == {"chromium", "firefox", "webkit"}, browsers
    pytest_run = text[text.index("python -m pytest"):]
    assert '--browser "$BROWSER"' in pytest_run and "BROWSER: ${{ matrix.browser }}" in text, \
        pytest_run[:400]
