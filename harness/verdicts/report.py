"""The conformance report: one self-contained HTML page of checks x browsers x topologies.

Its first screen counts the runs per browser and topology and shows each failed run: the
reason in one line, a small copy of its request timeline, links to the full timeline below
and to the run's artifacts folder. Then each check group's runs, every check's row (pass or
fail per browser and topology), the backend's findings, and each check's request timeline
(harness/verdicts/picture.py) with, beside a failure, what the check demands. Under
pytest-xdist the results travel in the reports' `user_properties`, so the controller writes
the page.
"""

from __future__ import annotations

import html
import json
import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from harness.verdicts import drawn, picture
from harness.verdicts.entries import entry_html
from harness.verdicts.groups import CHECK_COUNT, GROUPS, WHY, group_of
from harness.verdicts.verdict import FINDINGS_PROPERTY

JOURNAL_PROPERTY = "conformance_journal"
CHECK_PROPERTY = "conformance_check"
SMALL = 0.5  # the first screen's copy of a timeline, to the full one's size


@dataclass
class Run:
    check: str
    test: str
    browser: str
    topology: str
    outcome: str = "passed"
    reason: str = ""
    journal: list[dict[str, Any]] = field(default_factory=list)  # `Drawn.as_json()` each
    findings: list[str] = field(default_factory=list)  # the backend's (`--upstream`)
    folder: str = ""  # where the run's artifacts go (pytest-playwright's `output_path`)
    artifacts: str = ""  # that folder as a link from the report's, when it holds something
    files: list[str] = field(default_factory=list)  # what it holds

    @property
    def group(self) -> str:
        """core, recommended or backend (docs/checks.md, "Check groups")."""
        return group_of(self.check)

    @property
    def anchor(self) -> str:
        return "run-" + _slug(f"{self.check} {self.browser} {self.topology}")

    def artifact_links(self) -> list[str]:
        """Links to the folder and to each file in it."""
        if not self.artifacts:
            return []
        return [f"<a href='{html.escape(self.artifacts)}'>artifacts</a>"] + [
            f"<a href='{html.escape(self.artifacts + quote(name))}'>{html.escape(name)}</a>"
            for name in self.files]

    def drawn(self) -> list[drawn.Drawn]:
        return [drawn.Drawn.from_json(d) for d in self.journal]


def _one_line(report: pytest.TestReport) -> str:
    """The first non-empty line of a report's failure as pytest words it, without its
    exception's name."""
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
                                           if isinstance(found, list) else [],
                                           folder=str(meta.get("folder") or ""))

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self) -> None:
        for nodeid, run in self.runs.items():
            run.outcome, run.reason = self.outcomes.get(nodeid, ("passed", ""))
            run.artifacts = _link(run.folder, self.path.parent)
            if run.artifacts:
                run.files = sorted(p.name for p in Path(run.folder).iterdir() if p.is_file())
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(render(list(self.runs.values())))


def _link(folder: str, base: Path) -> str:
    """The artifacts folder as a relative link from the report's folder, when it exists."""
    if not folder or not Path(folder).is_dir() or not any(Path(folder).iterdir()):
        return ""
    return quote(Path(os.path.relpath(folder, base.absolute())).as_posix()) + "/"


def record(item: pytest.Item, shown: list[drawn.Drawn]) -> None:
    """Attach a check's identity and its journal as drawn (`drawn.of_item`) to its reports
    (called from a fixture)."""
    marker = item.get_closest_marker("conformance")
    if marker is None or not marker.args:
        return
    params = getattr(item, "callspec", None)
    values = params.params if params else {}
    folder = getattr(item, "funcargs", {}).get("output_path")
    meta = {"id": marker.args[0], "test": getattr(item, "originalname", item.name),
            # A check that needs no browser (L7: the backend's part alone) runs without one.
            "browser": values.get("browser_name", "no browser"),
            "topology": values.get("_harness_topology", "same-origin"),
            "folder": str(Path(folder).absolute()) if isinstance(folder, str) else ""}
    variant = [str(v) for k, v in values.items()
               if k not in ("browser_name", "_harness_topology")]
    if variant:
        meta["id"] += f" [{', '.join(variant)}]"
    entries = [d.as_json() for d in shown]
    item.user_properties.append((CHECK_PROPERTY, json.dumps(meta)))
    item.user_properties.append((JOURNAL_PROPERTY, json.dumps(entries)))


_STYLE = """body{font:14px system-ui,sans-serif;margin:24px;color:#1c2430}
table{border-collapse:collapse;margin:12px 0}td,th{border:1px solid #d5dbe5;padding:4px 8px;
text-align:left;vertical-align:top}.passed{background:#e5f6ea}.failed{background:#fde5e5}
.skipped{background:#f1f1f1}.muted{color:#6b7686}
details{margin:6px 0 18px}.finding{color:#8a5a00}
.findings pre{margin:0;white-space:pre-wrap}
.reason{font-weight:600;color:#8b1d1d}.entry{border-left:3px solid #d5dbe5;padding:2px 12px;
margin:8px 0;max-width:900px}.entry ul{margin:4px 0;padding-left:18px}
.failure{border:1px solid #f0c4c4;border-radius:6px;padding:6px 12px;margin:10px 0;
max-width:1060px}.failure p{margin:4px 0}.failure svg{display:block;margin:4px 0}
.run{margin:10px 0 22px}.run h3{font-size:15px;margin:8px 0 4px}
.burst summary{cursor:pointer;color:#2f5bd3}"""


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
        details.append(_timelines(check, list(by_check[check].values())))
    findings = _findings(runs)
    return (f"<!doctype html><html lang='en'><meta charset='utf-8'>"
            f"<title>Conformance report</title><style>{_STYLE}</style><body>"
            f"<h1>Conformance report</h1><p>{_counted(runs)}, {failed} failed"
            + (f" (the app's); {sum(len(r.findings) for r in runs)} backend findings"
               if findings else "")
            + f".</p>{_by_column(runs)}{_failures(runs)}{_by_group(runs)}"
              f"<table><tr><th>check</th>{head}</tr>{''.join(rows)}</table>"
              f"{findings}<h2>Request timelines</h2>{''.join(details)}</body></html>\n")


def _counted(runs: list[Run]) -> str:
    """How many checks the runs are of, and why there are more runs than checks."""
    checks = {r.check.split()[0] for r in runs}
    return (f"{len(checks)} of the {CHECK_COUNT} checks of docs/checks.md, in {len(runs)} "
            f"run{'s' if len(runs) != 1 else ''} (each check runs once per browser, in both "
            f"topologies where it is marked so, and once per parameter)")


def _by_column(runs: list[Run]) -> str:
    """How many runs passed, failed and were skipped in each browser and topology."""
    outcomes = ("passed", "failed", "skipped")
    body = []
    for browser, topology in sorted({(r.browser, r.topology) for r in runs}):
        mine = [r for r in runs if (r.browser, r.topology) == (browser, topology)]
        counts = [sum(r.outcome == o for r in mine) for o in outcomes]
        cells = "".join(f"<td class='{o if n else 'muted'}'>{n}</td>"
                        for o, n in zip(outcomes, counts, strict=True))
        body.append(f"<tr><th>{html.escape(browser)}</th><td>{html.escape(topology)}</td>"
                    f"{cells}</tr>")
    return ("<table class='columns'><tr><th>browser</th><th>topology</th><th>passed</th>"
            f"<th>failed</th><th>skipped</th></tr>{''.join(body)}</table>") if body else ""


def _failures(runs: list[Run]) -> str:
    """Each failed run on the first screen: its one line, a small copy of its timeline, and
    links to the full timeline and to its artifacts."""
    failed = sorted((r for r in runs if r.outcome == "failed"),
                    key=lambda r: (_check_order(r.check), r.browser, r.topology))
    if not failed:
        return ""
    items = []
    for run in failed:
        links = [f"<a href='#{run.anchor}'>full timeline</a>", *run.artifact_links()]
        small = picture.svg(run.drawn(), opener="details", shrink=SMALL)
        items.append(
            f"<div class='failure'><p class='reason'>{html.escape(run.reason)}</p>"
            f"<p class='muted'>{html.escape(run.check)} · {html.escape(run.browser)}, "
            f"{html.escape(run.topology)} · {' · '.join(links)}</p>"
            + (f"<a href='#{run.anchor}' title='the full timeline'>{small}</a>" if small
               else "") + "</div>")
    return f"<h2 id='failed'>Failed checks</h2>{''.join(items)}"


def _timelines(check: str, runs: list[Run]) -> str:
    """A check's timelines: every failed run's, else its first run's; beside a failure,
    what the check demands (its docs/checks.md entry)."""
    shown = [r for r in runs if r.outcome == "failed"] or runs[:1]
    first = shown[0]
    parts = [f"<details id='{_anchor(check)}' {'open' if first.outcome == 'failed' else ''}>"
             f"<summary><b>{html.escape(check)}</b> {html.escape(first.test)} "
             f"({html.escape(first.browser)}, {html.escape(first.topology)}: "
             f"{first.outcome})</summary>"]
    if first.outcome == "failed":
        parts.append(entry_html(first.check))
    for run in shown:
        requests = run.drawn()
        full = picture.svg(requests, opener="details")
        bursts = "".join(f"<details class='burst'><summary>{html.escape(said)}</summary>"
                         f"{svg}</details>" for said, svg in picture.burst_pictures(requests))
        link = "".join(f" · {a}" for a in run.artifact_links())
        parts.append(
            f"<section class='run' id='{run.anchor}'><h3>{html.escape(run.browser)}, "
            f"{html.escape(run.topology)}: {run.outcome}{link}</h3>"
            + (f"<p class='reason'>{html.escape(run.reason)}</p>" if run.reason else "")
            + (full or "<p class='muted'>no API request reached the backend</p>")
            + bursts + "</section>")
    return "".join(parts) + "</details>"


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
    return "check-" + _slug(check)


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text)


def _check_order(check: str) -> tuple[int, int, str]:
    order = "SARFLTXH"
    group = order.index(check[0]) if check and check[0] in order else len(order)
    digits = "".join(c for c in check[1:3] if c.isdigit())
    return group, int(digits or 0), check
