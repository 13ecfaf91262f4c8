"""docs/checks.md, the behaviour contract, has one entry per check and states the bounds the
checks use; the shipped docs cite only what the repository holds."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from harness.browser import driver, view
from harness.conformance import test_lifecycle, test_refresh_failures, test_rotation_and_theft
from harness.verdicts import groups

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "checks.md"
CHECKS = REPO / "harness" / "conformance"


def _implemented() -> set[str]:
    """The IDs of every `@pytest.mark.conformance("ID", ...)` in harness/conformance."""
    found = set()
    for module in CHECKS.glob("test_*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "conformance" and node.args
                    and isinstance(node.args[0], ast.Constant)):
                found.add(str(node.args[0].value))
    return found


def _entries() -> dict[str, str]:
    """Each `### ID — ...` entry of docs/checks.md and its text."""
    parts = re.split(r"^### ([A-Z]\d+) — ", DOC.read_text(), flags=re.M)
    return {parts[i]: parts[i + 1].split("\n## ")[0] for i in range(1, len(parts), 2)}


def test_every_check_has_an_entry_and_every_entry_a_check() -> None:
    implemented, documented = _implemented(), set(_entries())
    assert len(implemented) == groups.CHECK_COUNT == 36, sorted(implemented)
    assert implemented - documented == set(), "checks without an entry in docs/checks.md"
    assert documented - implemented == set(), "entries in docs/checks.md without a check"


def test_the_entries_state_the_bounds_the_checks_use() -> None:
    entries = _entries()
    seconds = {
        "F2": test_refresh_failures.REFRESH_GIVE_UP_S,
        "F3": test_refresh_failures.SLOW_REFRESH_S,
        "L3": test_lifecycle.RENEW_BEFORE_EXP_S,
        "T4": test_rotation_and_theft.LOGOUT_REACHES_TABS_MS / 1000,
    }
    for check, value in seconds.items():
        assert f"{value:g} s" in entries[check], (check, value)
    assert f"up to {test_lifecycle.LONGEST_LIFETIME_DAYS} days" in entries["L8"]
    assert f"within {test_lifecycle.RENEWAL_WAIT_S} s" in entries["L3"]
    assert f"{test_lifecycle.RENEWAL_WINDOW_S} s or more" in entries["L3"]
    rules = DOC.read_text().split("## S: storage")[0]
    assert f"within {view.UI_TIMEOUT_MS / 1000:g} s" in rules
    assert f"within {driver.SETTLE_TIMEOUT_MS / 1000:g} s" in rules


def test_shipped_docs_cite_only_what_the_repository_holds() -> None:
    docs = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    for doc in docs:
        text = doc.read_text()
        for name in ("DESIGN.md", "CONFORMANCE.md", "SECURITY-CHECKS.md", "STYLE.md"):
            assert name not in text, f"{doc.name} cites {name}, which users do not get"
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if not re.match(r"[a-z]+:", target):
                assert (doc.parent / target).exists(), f"{doc.name} links to {target}"


def test_every_entry_names_the_group_its_check_runs_in() -> None:
    entries = _entries()
    for check, text in entries.items():
        assert text.split("\n")[1] == f"- Group: {groups.group_of(check)}.", \
            f"docs/checks.md {check}: its first line must be '- Group: " \
            f"{groups.group_of(check)}.'"
    table = DOC.read_text().split("## Check groups")[1].split("\n## ")[0]
    for group in groups.GROUPS:
        row = next(line for line in table.splitlines() if line.startswith(f"| {group} |"))
        assert groups.WHY[group] in row, row
        listed = row.rsplit("|", 2)[1].split(",")
        assert {c.strip() for c in listed} == {c for c in entries
                                               if groups.group_of(c) == group}, row
