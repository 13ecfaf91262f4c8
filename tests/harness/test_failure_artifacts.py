"""What a run leaves behind when a check fails, and what it says when no browser exists."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.broken import spa_variants

REPO = Path(__file__).resolve().parents[2]


def test_failed_check_leaves_trace_screenshot_and_journal_timeline(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    broken = spa_variants.build("refresh-per-401", tmp_path)
    result = pytester.runpytest_subprocess(
        "--pyargs", "harness.conformance", "-k", "test_R2_ and 10]", "--browser", "chromium",
        "--topology", "same-origin", "--spa-dir", str(broken), "-p", "no:cacheprovider",
        "--tracing", "retain-on-failure", timeout=120)
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()[-2000:]
    # The folder is named by the check, not by the path the harness was installed under.
    [folder] = (pytester.path / "test-results").iterdir()
    assert folder.name == "R2-10-same-origin-chromium"
    assert {p.name for p in folder.iterdir()} >= {"trace.zip", "test-failed-1.png",
                                                  "journal-timeline.txt",
                                                  "journal-timeline.svg"}
    timeline = (folder / "journal-timeline.txt").read_text()
    # The timeline shows the mistake: more than one refresh for the burst, each from tab 1;
    # the refresh the app sent on load, before the login, was refused for want of a cookie.
    assert timeline.count("tab 1 POST    /api/refresh-token") > 2, timeline
    assert "refused: missing" in timeline
    # So does the picture, with the refreshes the verdict counts marked.
    picture = (folder / "journal-timeline.svg").read_text()
    assert picture.count(">↻ POST /api/refresh-token</text>") > 2 and ">tab 1<" in picture
    assert picture.count(">◆</text>") >= 2 and ">refused: missing</text>" in picture


def test_passing_check_leaves_nothing(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(
        "--pyargs", "harness.conformance", "-k", "test_R7_", "--browser", "chromium",
        "-p", "no:cacheprovider", timeout=120)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-2000:]
    assert not (pytester.path / "test-results").exists()


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one-process", "xdist"])
def test_no_browser_at_all_stops_at_once_with_one_line(pytester: pytest.Pytester,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path, workers: list[str]) -> None:
    # Neither Playwright's browsers nor a system browser can be found.
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path / "none"))
    monkeypatch.setenv("PATH", str(tmp_path))
    result = pytester.runpytest_subprocess(
        "--pyargs", "harness.conformance", "--browser", "chromium", "-p", "no:cacheprovider",
        *workers, timeout=120)
    assert result.ret == 4, result.stdout.str()[-2000:]
    lines = [line for line in result.stdout.lines + result.stderr.lines
             if "playwright install" in line]
    assert len(lines) == 1 and "apt-get install" in lines[0], result.stdout.str()[-2000:]
    assert "passed" not in result.stdout.str() and "failed" not in result.stdout.str()
