"""--conformance-report: one HTML page with every run, the reason of each failure, timelines."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from harness.verdicts import picture
from harness.verdicts.drawn import Drawn
from harness.verdicts.report import Run, render
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
    assert ("2 of the 36 checks of docs/checks.md, in 2 runs (each check runs once per "
            "browser, in both topologies where it is marked so, and once per parameter), "
            "1 failed.") in page
    # R2 failed, with its one-line reason; R7 passed.
    # (How many refreshes the broken app makes depends on timing; more than one, always.)
    reason = re.search(r'class="failed">failed<br>R2: 10 concurrent requests with an expired '
                       r"token share exactly one refresh — the journal has (\d+) refreshes "
                       r"\(\d+ x 200\)", page)
    assert reason and int(reason.group(1)) > 1, page[:3000]
    assert 'class="passed">passed</td>' in page
    # The first screen: counts per browser and topology, then the failed run's one line, a
    # small copy of its timeline, links to the full one and to its artifacts folder.
    assert "<tr><th>chromium</th><td>same-origin</td><td class='passed'>1</td>" \
           "<td class='failed'>1</td>" in page
    first = page[page.index("<h2 id='failed'>"):page.index("<table class='groups'>")]
    assert "<p class='reason'>R2: 10 concurrent requests" in first
    assert "href='#run-R2--10--chromium-same-origin'" in first and 'viewBox="0 0 ' in first
    folder = pytester.path / "test-results" / "R2-10-same-origin-chromium"
    link = Path(os.path.relpath(folder, report.parent)).as_posix()
    assert f"<a href='{link}/'>artifacts</a>" in first, first[:2000]
    assert f"<a href='{link}/journal-timeline.svg'>" in first
    # R2's timeline: the 401s (six of the ten requests are in flight at once, the reference
    # SPA's default) and each of the refreshes, labelled, the ones the verdict counts marked.
    r2 = page[page.index("<details id='check-R2--10-'"):]
    r2 = r2[:r2.index("</details>")]
    assert r2.count('>401</text>') >= 6 and ">tab 1</tspan>" in r2
    # Beside it, what R2 demands, as its docs/checks.md entry says: the report carries it.
    assert "<b>R2 — a burst of expired requests shares exactly one refresh</b>" in r2, r2[:2000]
    assert "<li>Situation: log in on <code>/</code>; the access token expires; N requests" in r2
    assert "<li>The app must: make exactly one refresh" in r2
    r7 = page[page.index("<details id='check-R7"):]
    assert "class='entry'" not in r7[:r7.index("</details>")]  # passed: no entry
    assert r2.count(">◆</text>") == int(reason.group(1))
    assert r2.count(">↻ POST /api/refresh-token</text>") > int(reason.group(1))  # + on load


def test_timeline_folds_clock_jumps_and_labels_every_request() -> None:
    journal = [
        Drawn(1, 100.0, 100.2, "app", "POST", "/api/login", "", 200, None, "token 1"),
        Drawn(2, 1000.0, 1000.01, "app", "GET", "/api/job-list", "n=0", 401, "token 1"),
        Drawn(3, 1000.02, 1000.05, "app", "POST", "/api/refresh-token", "", 200, None,
              "token 2", refresh=True),
    ]
    svg = picture.svg(journal)
    assert ">GET /api/job-list?n=0</text>" in svg and ">401</text>" in svg
    assert ">↻ POST /api/refresh-token</text>" in svg and ">→ token 2</text>" in svg
    # The 900 s jump of the backend clock is folded into a break the axis names; its ticks
    # span well under a second.
    ticks = re.findall(r'class="axis" text-anchor="middle">(\d+) ms</text>', svg)
    assert ticks and max(map(int, ticks)) < 1000 and ">+15 min</text>" in svg


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
    assert "in 2 runs (each check runs once per browser, in both topologies where it is " \
           "marked so, and once per parameter), 0 failed (the app's); 1 backend findings." \
           in page
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


def test_the_first_screen_counts_each_browser_and_topology_and_shows_each_failure() -> None:
    refused = Drawn(1, 10.0, 10.01, "tab 2", "POST", "/api/refresh-token", "", 401, None,
                    refresh=True, refusal="superseded", highlight=True)
    runs = [Run("T3", "test_T3_x", "chromium", "same-origin", "failed",
                "T3: two tabs ... share exactly one refresh — the journal has 2 refreshes",
                journal=[refused.as_json()], artifacts="../test-results/T3-same-origin-chromium/",
                files=["journal-timeline.svg"]),
            Run("T3", "test_T3_x", "firefox", "same-origin", "passed"),
            Run("R1", "test_R1_x", "firefox", "cross-origin", "skipped")]
    page = render(runs)
    first = page[:page.index("<table class='groups'>")]
    assert "<tr><th>chromium</th><td>same-origin</td><td class='muted'>0</td>" \
           "<td class='failed'>1</td><td class='muted'>0</td></tr>" in first
    assert "<tr><th>firefox</th><td>cross-origin</td><td class='muted'>0</td>" \
           "<td class='muted'>0</td><td class='skipped'>1</td></tr>" in first
    # The failure: its line, a small copy of its timeline linked to the full one, its files.
    assert "<p class='reason'>T3: two tabs" in first and 'viewBox="0 0 1060 ' in first
    assert "<a href='#run-T3-chromium-same-origin' title='the full timeline'><svg" in first
    assert ">refused: superseded</text>" in first and ">◆</text>" in first
    assert "<a href='../test-results/T3-same-origin-chromium/journal-timeline.svg'>" in first
    # The full timeline is where the link goes, with what T3 demands beside it.
    full = page[page.index("<section class='run' id='run-T3-chromium-same-origin'>"):]
    assert ">tab 2</tspan>" in full and "<b>T3 — two tabs" in page
