"""Time moves by clocks and waits are on events: no sleeping in tests or the harness."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# Spelled in pieces so this file does not match itself.
FORBIDDEN = ["time." + "sleep(", "wait_for_" + "timeout(", "asyncio." + "sleep("]


@pytest.mark.parametrize("folder", ["tests", "harness"])
def test_no_sleep_calls(folder: str) -> None:
    found = [f"{path.relative_to(REPO)}:{n}: {line.strip()}"
             for path in sorted((REPO / folder).rglob("*.py"))
             for n, line in enumerate(path.read_text().splitlines(), 1)
             if any(call in line for call in FORBIDDEN)]
    assert found == []
