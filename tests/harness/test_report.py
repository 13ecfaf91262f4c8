"""--conformance-report: one HTML page with every run, the reason of each failure, timelines."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.verdicts.report import Run, render, timeline_svg
from tests.broken import spa_variants

REPO = Path(__file__).resolve().parents[2]


def test_report_of_a_broken_app_shows_the_failed_check_its_reason_and_its_timeline(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    broken = spa_variants.build("refresh-per-401", tmp_path)
    report = tmp_path / "out" / "report.html"
    result = pytester.runpytest_subprocess(
        "--pyargs", "harness.conformance", "-k", "test_R2_ and 10] or test_R7_",
        "--topology", "same-origin", "--browser", "chromium", "--spa-dir", str(broken),
        "--conformance-report", str(report), "--tracing", "off", "--screenshot", "off",
        "-p", "no:cacheprovider", "-n", "2", timeout=180)
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()[-2000:]
    page = report.read_text()
    assert "2 runs of 2 checks, 1 failed." in page
    # R2 failed, with its one-line reason; R7 passed.
    # (How many refreshes the broken app makes depends on timing; more than one, always.)
    reason = re.search(r'class="failed">failed<br>R2: 10 concurrent requests with an expired '
                       r"token share exactly one refresh — the journal has (\d+) refreshes "
                       r"\(\d+ x 200\)", page)
    assert reason and int(reason.group(1)) > 1, page[:3000]
    assert 'class="passed">passed</td>' in page
    # R2's timeline: the 401s (six of the ten requests are in flight at once, the reference
    # SPA's default) and each of the refreshes, drawn as bars.
    r2 = page[page.index("<details id='check-R2--10-'"):]
    r2 = r2[:r2.index("</details>")]
    assert r2.count('fill="#d33"') >= 6
    # Beside it, what R2 demands, as its docs/checks.md entry says: the report carries it.
    assert "<b>R2 — a burst of expired requests shares exactly one refresh</b>" in r2, r2[:2000]
    assert "<li>Situation: log in on <code>/</code>; the access token expires; N requests" in r2
    assert "<li>The app must: make exactly one refresh" in r2
    r7 = page[page.index("<details id='check-R7"):]
    assert "class='entry'" not in r7[:r7.index("</details>")]  # passed: no entry
    assert r2.count('fill="#2f5bd3"') == int(reason.group(1))


def test_timeline_folds_clock_jumps_and_labels_every_request() -> None:
    journal = [
        {"start": 100.0, "end": 100.2, "method": "POST", "path": "/api/login", "query": "",
         "status": 200, "access_jti": None},
        {"start": 1000.0, "end": 1000.01, "method": "GET", "path": "/api/job-list",
         "query": "n=0", "status": 401, "access_jti": "abc"},
        {"start": 1000.02, "end": 1000.05, "method": "POST", "path": "/api/refresh-token",
         "query": "", "status": 200, "access_jti": None, "refresh": True},
    ]
    svg = timeline_svg(journal)
    assert svg.count("<rect") == 3
    assert "GET /api/job-list?n=0 -&gt; 401" in svg
    # The 900 s jump of the backend clock is folded: the axis spans well under a second.
    span = int(re.search(r">(\d+) ms</text></svg>", svg).group(1))  # type: ignore[union-attr]
    assert span < 1000


def test_report_escapes_what_it_quotes() -> None:
    page = render([Run("R1", "test_R1_x", "chromium", "same-origin", "failed",
                       "R1: <script>alert(1)</script>")])
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_the_backends_findings_are_shown_apart_from_the_apps_verdicts() -> None:
    from harness.verdicts.report import Run, render

    finding = ("T2 (backend): a replayed refresh value ends the whole session — its "
               "successor still refreshed (200)")
    page = render([Run("T2", "test_T2_x", "chromium", "same-origin", "skipped",
                       findings=[finding]),
                   Run("R1", "test_R1_x", "chromium", "same-origin", "passed")])
    assert "2 runs of 2 checks, 0 failed (the app's); 1 backend findings." in page
    apart = page.split("Backend findings (your backend, not your app)")[1]
    assert "successor still refreshed (200)" in apart and "in chromium, same-origin" in apart
    assert "1 backend finding</span>" in page


def test_the_packaged_entries_are_the_docs_entries() -> None:
    # The report quotes the copy shipped in the package; the docs are the contract.
    shipped = (REPO / "harness" / "verdicts" / "checks.md").read_text()
    assert shipped == (REPO / "docs" / "checks.md").read_text(), (
        "harness/verdicts/checks.md differs from docs/checks.md: copy docs/checks.md over it")
    from harness.verdicts.entries import entries
    assert len(entries()) == 36
