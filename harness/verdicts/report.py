"""The conformance report: one self-contained HTML page of checks x browsers x topologies.

Each check's row shows pass or fail per browser and topology, the reason of a failure in
one line, and the request timeline of one run drawn from the backend journal (requests,
401s, the refresh, retries on a time axis). Under pytest-xdist the results travel in the
reports' `user_properties`, so the controller writes the page.
"""

from __future__ import annotations

import html
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from harness.seam.journal import Journal
from harness.verdicts.entries import entry_html
from harness.verdicts.groups import GROUPS, WHY, group_of
from harness.verdicts.verdict import FINDINGS_PROPERTY

JOURNAL_PROPERTY = "conformance_journal"
CHECK_PROPERTY = "conformance_check"


@dataclass
class Run:
    check: str
    test: str
    browser: str
    topology: str
    outcome: str = "passed"
    reason: str = ""
    journal: list[dict[str, Any]] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)  # the backend's (`--upstream`)
    group: str = ""  # core, recommended or backend (docs/checks.md, "Check groups")

    def __post_init__(self) -> None:
        self.group = self.group or group_of(self.check)


def _one_line(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr or "")
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    first = first.removeprefix("AssertionError: ").removeprefix("Failed: ")
    return first if len(first) <= 200 else first[:199] + "…"


class ConformanceReport:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.runs: dict[str, Run] = {}
        self.outcomes: dict[str, tuple[str, str]] = {}

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # The check's identity and journal arrive with the teardown report; the outcome
        # of the body comes earlier, in the call report.
        outcome, reason = self.outcomes.get(report.nodeid, ("passed", ""))
        if report.failed and outcome != "failed":
            prefix = "" if report.when == "call" else f"({report.when}) "
            outcome, reason = "failed", prefix + _one_line(report)
        elif report.skipped and report.when != "teardown":
            outcome = "skipped"
        self.outcomes[report.nodeid] = (outcome, reason)
        props = {k: v for k, v in report.user_properties}
        if CHECK_PROPERTY in props and report.when == "teardown":
            meta = json.loads(str(props[CHECK_PROPERTY]))
            found = props.get(FINDINGS_PROPERTY)
            self.runs[report.nodeid] = Run(meta["id"], meta["test"], meta["browser"],
                                           meta["topology"],
                                           journal=json.loads(str(props[JOURNAL_PROPERTY])),
                                           findings=[str(f) for f in found]
                                           if isinstance(found, list) else [])

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self) -> None:
        for nodeid, run in self.runs.items():
            run.outcome, run.reason = self.outcomes.get(nodeid, ("passed", ""))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(render(list(self.runs.values())))


def record(item: pytest.Item, journal: Journal) -> None:
    """Attach a check's identity and journal to its reports (called from a fixture)."""
    marker = item.get_closest_marker("conformance")
    if marker is None or not marker.args:
        return
    params = getattr(item, "callspec", None)
    values = params.params if params else {}
    meta = {"id": marker.args[0], "test": getattr(item, "originalname", item.name),
            "browser": values.get("browser_name", "?"),
            "topology": values.get("_harness_topology", "same-origin")}
    variant = [str(v) for k, v in values.items()
               if k not in ("browser_name", "_harness_topology")]
    if variant:
        meta["id"] += f" [{', '.join(variant)}]"
    keep = ("start", "end", "method", "path", "query", "status", "access_jti",
            "issued_access_jti")
    entries = [{**{k: getattr(e, k) for k in keep}, "refresh": e.is_to(journal.facts.refresh)}
               for e in journal if journal.facts.is_api(e.path)]
    item.user_properties.append((CHECK_PROPERTY, json.dumps(meta)))
    item.user_properties.append((JOURNAL_PROPERTY, json.dumps(entries)))


def _colour(entry: dict[str, Any]) -> str:
    if entry.get("refresh"):
        return "#2f5bd3" if entry["status"] == 200 else "#7a1fa2"
    if entry["status"] in (401, 403):
        return "#d33"
    if entry["status"] in (0, None):
        return "#888"
    return "#2a9d4b"


def timeline_svg(journal: list[dict[str, Any]], width: int = 760) -> str:
    """Requests as bars on a time axis (backend clock; clock jumps are folded away)."""
    entries = [e for e in journal if e["method"] != "OPTIONS"]
    if not entries:
        return '<p class="muted">no API request reached the backend</p>'
    # Moves of the backend clock would stretch the axis: gaps over a second are folded.
    t, last, starts = 0.0, entries[0]["start"], []
    for e in entries:
        gap = e["start"] - last
        t += gap if gap < 1 else 0.05
        last = e["start"]
        starts.append(t)
    ends = [s + max((e["end"] or e["start"]) - e["start"], 0.002)
            for s, e in zip(starts, entries, strict=True)]
    span = max(ends) or 1.0
    row, height = 7, 7 * len(entries) + 24
    bars = []
    for i, (s, end, e) in enumerate(zip(starts, ends, entries, strict=True)):
        x, w = 4 + s / span * (width - 8), max((end - s) / span * (width - 8), 2)
        label = html.escape(f"{e['method']} {e['path']}{'?' + e['query'] if e['query'] else ''}"
                            f" -> {e['status']}  jti {e['access_jti'] or '-'}")
        bars.append(f'<rect x="{x:.1f}" y="{i * row + 2}" width="{w:.1f}" height="{row - 2}" '
                    f'fill="{_colour(e)}"><title>{label}</title></rect>')
    axis = f'<text x="4" y="{height - 6}" class="axis">0 ms</text>' \
           f'<text x="{width - 4}" y="{height - 6}" class="axis" text-anchor="end">' \
           f'{span * 1000:.0f} ms</text>'
    return (f'<svg width="{width}" height="{height}" role="img" aria-label="request timeline">'
            + "".join(bars) + axis + "</svg>")


_STYLE = """body{font:14px system-ui,sans-serif;margin:24px;color:#1c2430}
table{border-collapse:collapse;margin:12px 0}td,th{border:1px solid #d5dbe5;padding:4px 8px;
text-align:left;vertical-align:top}.passed{background:#e5f6ea}.failed{background:#fde5e5}
.skipped{background:#f1f1f1}.muted{color:#6b7686}.axis{font-size:10px;fill:#6b7686}
details{margin:6px 0 18px}.finding{color:#8a5a00}
.findings pre{margin:0;white-space:pre-wrap}
.legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}
.reason{font-weight:600;color:#8b1d1d}.entry{border-left:3px solid #d5dbe5;padding:2px 12px;
margin:8px 0;max-width:900px}.entry ul{margin:4px 0;padding-left:18px}"""

_LEGEND = ('<p class="legend">'
           + "".join(f'<span style="background:{c}"></span>{t}' for c, t in (
               ("#2a9d4b", "answered"), ("#d33", "401/403"), ("#2f5bd3", "refresh"),
               ("#7a1fa2", "refused refresh"), ("#888", "no answer"))) + "</p>")


def render(runs: list[Run]) -> str:
    columns = sorted({(r.browser, r.topology) for r in runs})
    by_check: dict[str, dict[tuple[str, str], Run]] = defaultdict(dict)
    for run in runs:
        by_check[run.check][(run.browser, run.topology)] = run
    failed = sum(r.outcome == "failed" for r in runs)
    head = "".join(f"<th>{html.escape(b)}<br><span class='muted'>{html.escape(t)}</span></th>"
                   for b, t in columns)
    rows, details = [], []
    for check in sorted(by_check, key=_check_order):
        cells = []
        for col in columns:
            cell = by_check[check].get(col)
            if cell is None:
                cells.append('<td class="muted">-</td>')
                continue
            reason = f"<br>{html.escape(cell.reason)}" if cell.reason else ""
            found = (f"<br><span class='finding'>{len(cell.findings)} backend finding"
                     f"{'s' if len(cell.findings) > 1 else ''}</span>" if cell.findings else "")
            cells.append(f'<td class="{cell.outcome}">{cell.outcome}{reason}{found}</td>')
        rows.append(f"<tr><th><a href='#{_anchor(check)}'>{html.escape(check)}</a> "
                    f"<span class='muted'>{group_of(check)}</span></th>"
                    + "".join(cells) + "</tr>")
        all_runs = list(by_check[check].values())
        shown = next((r for r in all_runs if r.outcome == "failed"), all_runs[0])
        details.append(
            f"<details id='{_anchor(check)}' {'open' if shown.outcome == 'failed' else ''}>"
            f"<summary><b>{html.escape(check)}</b> {html.escape(shown.test)} "
            f"({html.escape(shown.browser)}, {html.escape(shown.topology)}: {shown.outcome})"
            f"</summary>{_failure(shown)}{timeline_svg(shown.journal)}</details>")
    findings = _findings(runs)
    return (f"<!doctype html><html lang='en'><meta charset='utf-8'>"
            f"<title>Conformance report</title><style>{_STYLE}</style><body>"
            f"<h1>Conformance report</h1><p>{len(runs)} runs of {len(by_check)} checks, "
            f"{failed} failed"
            + (f" (the app's); {sum(len(r.findings) for r in runs)} backend findings"
               if findings else "")
            + f".</p>{_by_group(runs)}<table><tr><th>check</th>{head}</tr>{''.join(rows)}</table>"
            f"{findings}<h2>Request timelines</h2>{_LEGEND}{''.join(details)}</body></html>\n")


def _failure(run: Run) -> str:
    """Beside a failed check: its one-line reason and what the check demands, as its
    docs/checks.md entry says."""
    if run.outcome != "failed":
        return ""
    return (f"<p class='reason'>{html.escape(run.reason)}</p>{entry_html(run.check)}")


def _by_group(runs: list[Run]) -> str:
    """Each check group's runs by outcome (docs/checks.md, "Check groups")."""
    rows = []
    for group in GROUPS:
        mine = [r for r in runs if r.group == group]
        if not mine:
            continue
        counts = {o: sum(r.outcome == o for r in mine) for o in ("passed", "failed", "skipped")}
        said = ", ".join(f"{n} {o}" for o, n in counts.items() if n)
        rows.append(f"<tr><th>{group}</th><td class='{'failed' if counts['failed'] else 'passed'}'>"
                    f"{said}</td><td class='muted'>{html.escape(WHY[group])}</td></tr>")
    return f"<table class='groups'><tr><th>group</th><th>runs</th><th>why</th></tr>" \
           f"{''.join(rows)}</table>" if rows else ""


def _findings(runs: list[Run]) -> str:
    """The backend's findings, apart from the app's verdicts: each once, with where."""
    where: dict[str, list[str]] = defaultdict(list)
    for run in runs:
        for finding in run.findings:
            where[finding].append(f"{run.browser}, {run.topology}")
    if not where:
        return ""
    items = "".join(
        f"<li><pre>{html.escape(text)}</pre><span class='muted'>in "
        f"{html.escape('; '.join(places))}</span></li>" for text, places in sorted(where.items()))
    return ("<h2 id='backend-findings'>Backend findings (your backend, not your app)</h2>"
            "<p class='muted'>What the backend does that the checks' backend parts name "
            "(docs/checks.md): a team's backend behind the edge, or the harness's own standing "
            "in for one through an API profile. They never fail the app.</p>"
            f"<ul class='findings'>{items}</ul>")


def _anchor(check: str) -> str:
    return "check-" + "".join(c if c.isalnum() else "-" for c in check)


def _check_order(check: str) -> tuple[int, int, str]:
    order = "SARFLTXH"
    group = order.index(check[0]) if check and check[0] in order else len(order)
    digits = "".join(c for c in check[1:3] if c.isdigit())
    return group, int(digits or 0), check
