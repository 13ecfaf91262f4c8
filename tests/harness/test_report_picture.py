"""The report's timelines as a person sees them: the report of a broken app's R2 and T3 is
opened in Chromium, photographed, and its drawn labels read back from the page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.broken import spa_variants

REPO = Path(__file__).resolve().parents[2]
REFRESH = "↻ POST /api/refresh-token"

# Each drawn text of a run's full timeline, with the lane it is drawn in (the lane whose name
# is the nearest above it).
_DRAWN = """(section) => {
  const svg = document.getElementById(section).querySelector('svg.tl');
  const texts = [...svg.querySelectorAll(':scope > text')];
  let lane = null;
  return texts.map(t => {
    if (t.classList.contains('lane')) lane = t.textContent;
    return {text: t.textContent, lane, y: Number(t.getAttribute('y'))};
  }).sort((a, b) => a.y - b.y);
}"""


def _report(pytester: pytest.Pytester, tmp_path: Path, variant: str, select: str,
            *more: str) -> Path:
    broken = spa_variants.build(variant, tmp_path, *more)
    report = tmp_path / f"{variant}.html"
    result = pytester.runpytest_subprocess(
        "--pyargs", "harness.conformance", "-k", select, "--topology", "same-origin",
        "--browser", "chromium", "--spa-dir", str(broken), "--conformance-report", str(report),
        "--tracing", "off", "-p", "no:cacheprovider", timeout=180)
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()[-2000:]
    return report


def _drawn(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
           page: Page, variant: str, select: str, shot: str,
           *more: str) -> list[dict[str, Any]]:
    """The full timeline of the report of `variant`'s failed run of `select` (with the
    mistakes of the variants `more` too), as drawn."""
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    return _opened(page, _report(pytester, tmp_path, variant, select, *more), tmp_path / shot)


def _refreshes_counted(page: Page) -> int:
    reason = page.locator(".failure .reason").first.text_content() or ""
    found = re.search(r"the journal has (\d+) refreshes", reason)
    assert found, reason
    return int(found.group(1))


def _opened(page: Page, report: Path, shot: Path) -> list[dict[str, Any]]:
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto(report.as_uri())
    page.screenshot(path=shot, full_page=True)
    assert shot.stat().st_size > 10_000
    # The first screen links its small copy to the full timeline, drawn in that section.
    section = (page.locator(".failure a[title='the full timeline']").first
               .get_attribute("href") or "").lstrip("#")
    assert section.startswith("run-"), section
    drawn: list[dict[str, Any]] = page.evaluate(_DRAWN, section)
    return drawn


@pytest.mark.only_browser("chromium")
def test_the_report_draws_r2s_burst_folded_with_its_refreshes_marked(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        page: Page) -> None:
    # Every 401 of the burst's first requests starts a refresh of its own, however late it
    # comes: refreshing once per 401 alone shares by luck when the first refresh is back
    # before the other 401s (seen once on a loaded machine); without the check for a token
    # renewed meanwhile, it never does.
    drawn = _drawn(pytester, monkeypatch, tmp_path, page, "refresh-per-401",
                   "test_R2_ and 100]", "R2.png", "refresh-again-for-stale-401")
    texts = [d["text"] for d in drawn]
    # One lane, tab 1; the login hands out token 1; the burst folds into one row counting
    # its answers by status.
    assert {d["lane"] for d in drawn if d["lane"]} == {"tab 1"}
    assert texts[texts.index("POST /api/login") + 1:][:2] == ["200", "→ token 1"]
    burst = next(t for t in texts if re.fullmatch(r"GET /api/job-list ×\d+", t))
    counts = texts[texts.index(burst) + 1:texts.index("(opened below)")]
    assert sum(int(c.split(" × ")[0]) for c in counts) == int(burst.split("×")[1]), counts
    assert "GET /api/job-list?n=99" not in texts
    # Each refresh on a row of its own with what it handed out; the ones the verdict counts
    # (those after the login) marked; the one on load refused for want of a cookie.
    counted = _refreshes_counted(page)
    rows = [i for i, t in enumerate(texts) if t == REFRESH]
    assert [texts[i + 1:i + 3] for i in rows][0] == ["401", "refused: missing"]
    assert [texts[i + 2] for i in rows][1:3] == ["→ token 2", "→ token 3"]
    assert texts.count("◆") == counted == len(rows) - 1 and counted > 1
    # The axis's ticks: 0, then steps in ms or s (how long the burst took sets the step).
    ticks = [t for t in texts if re.fullmatch(r"\d+(\.\d+)? (ms|s|min)", t)]
    assert "0" in texts and len(ticks) >= 2, ticks
    # The burst opens to every request.
    opener = page.locator("details.burst summary").first
    opener.click()
    assert page.locator("details.burst svg text", has_text="GET /api/job-list?n=99").first \
        .is_visible()


@pytest.mark.only_browser("chromium")
def test_the_report_draws_t3s_two_tabs_each_with_its_own_refresh(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        page: Page) -> None:
    drawn = _drawn(pytester, monkeypatch, tmp_path, page, "no-cross-tab-lock", "test_T3_",
                   "T3.png")
    lanes = {d["lane"] for d in drawn if d["lane"]}
    assert lanes == {"tab 1", "tab 2"}, lanes
    # Each tab's requests in its lane, and each tab refreshed by itself: the two refreshes
    # the verdict counts, one in each lane, marked.
    assert {d["lane"] for d in drawn if d["text"].startswith("GET /api/job-list?tab=first")} \
        == {"tab 1"}
    assert {d["lane"] for d in drawn if d["text"].startswith("GET /api/job-list?tab=second")} \
        == {"tab 2"}
    marked = [d for d in drawn if d["text"] == "◆"]
    assert len(marked) == _refreshes_counted(page) == 2
    refreshes = [d for d in drawn if d["text"] == REFRESH]
    assert {d["lane"] for d in refreshes if any(m["y"] == d["y"] for m in marked)} == \
        {"tab 1", "tab 2"}
    # What each marked refresh was answered: a new token, or why it was refused.
    notes = [d["text"] for d in drawn if any(m["y"] == d["y"] for m in marked)
             and (d["text"].startswith("→ token") or d["text"].startswith("refused: "))]
    assert len(notes) == 2, notes


@pytest.mark.only_browser("chromium")
def test_the_report_marks_the_request_the_failure_is_about(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        page: Page) -> None:
    # An app that never retries: R1's request got its 401 and no retry. The verdict names
    # that request, and the picture marks it (every attempt of it: there is one) and
    # nothing else.
    drawn = _drawn(pytester, monkeypatch, tmp_path, page, "no-retry", "test_R1_", "R1.png")
    reason = page.locator(".failure .reason").first.text_content() or ""
    assert "answered 401 and never retried (r1=driver)" in reason, reason
    marked = [d for d in drawn if d["text"] == "◆"]
    rows = {d["text"] for d in drawn if any(m["y"] == d["y"] for m in marked)
            and d["text"].startswith(("GET ", "POST ", "↻ "))}
    assert len(marked) == 1 and rows == {"GET /api/job-list?r1=driver"}, (marked, rows)
