"""`make soak` (tests/soak.py): the table it prints counts the failures of real runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.broken import spa_variants

REPO = Path(__file__).resolve().parents[2]


def _soak(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tests.soak", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=600, check=False)


def test_a_run_of_a_passing_check_reports_no_failure(tmp_path: Path) -> None:
    # Five runs asked for, but no new run starts after 0.001 minutes: one run is done.
    done = _soak("--runs", "5", "--minutes", "0.001", "--apps", "reference", "--browsers",
                 "chromium", "--artifacts", str(tmp_path / "kept"), "--",
                 "-k", "test_A1_ and same-origin")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "| reference | chromium | 1 | 0 | none |" in done.stdout, done.stdout
    assert "1 runs in" in done.stdout and "(stopped by --minutes)" in done.stdout
    assert not (tmp_path / "kept").exists() and "journal timelines" not in done.stdout


def test_a_failing_check_is_counted_with_its_first_line(tmp_path: Path) -> None:
    spa = spa_variants.build("wrong-auth-scheme", tmp_path)  # A1 fails every time
    done = _soak("--runs", "2", "--jobs", "2", "--apps", "reference", "--browsers",
                 "chromium", "--artifacts", str(tmp_path / "kept"), "--",
                 "-k", "test_A1_ and same-origin", "--spa-dir", str(spa))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "| reference | chromium | 2 | 2 | test_A1_" in done.stdout, done.stdout
    assert "(2) |" in done.stdout and "\n- test_A1_" in done.stdout
    assert "A1: " in done.stdout.split("\n- test_A1_", 1)[1], done.stdout
    # Each failed run keeps its check's screenshot and journal timeline, and says where.
    [soak] = (tmp_path / "kept").iterdir()
    assert f"journal timelines of the failed runs: {soak}" in done.stdout, done.stdout
    for run in ("1-reference-chromium", "2-reference-chromium"):
        [check] = (soak / run).iterdir()
        assert {"test-failed-1.png", "journal-timeline.txt"} <= {
            p.name for p in check.iterdir()}, sorted(p.name for p in check.iterdir())


def test_bad_arguments_are_refused() -> None:
    for bad in (["--runs", "0"], ["--jobs", "0"], ["--minutes", "-1"]):
        done = _soak(*bad)
        assert done.returncode == 2, done.stderr
        assert "--runs and --jobs must be at least 1, --minutes not negative" in done.stderr
