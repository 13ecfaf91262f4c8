"""Start-up: from starting `pytest` to the first check's body, and where that time goes.

One conformance check (A1, same origin) is selected out of the whole collected suite, so
the figure includes importing, collecting, launching the browser and starting the servers.
The probe plugin (`bench/probe.py`) marks the moments and times each fixture's set-up.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bench.pytest_runs import run_pytest
from bench.stats import Figure

CHECK = "test_A1_api_requests_carry_the_current_access_token_as_bearer"
BROWSER_FIXTURES = ("playwright", "browser_type", "launch_browser", "browser")
# The session's servers: the backend app and its live server, the SPA's own origin.
SERVER_FIXTURES = ("_harness_live_backend", "_harness_spa_server", "harness_backend_app",
                   "harness_backend_settings")


def _stages(probe: dict[str, Any]) -> dict[str, float]:
    marks, fixtures = probe["marks_s"], probe["first_test_fixtures_s"]
    browser = sum(fixtures.get(f, 0.0) for f in BROWSER_FIXTURES)
    servers = sum(fixtures.get(f, 0.0) for f in SERVER_FIXTURES)
    setup = marks["first_call"] - marks["first_test_start"]
    return {"to_first_check_s": marks["first_call"],
            "python_and_plugins_s": marks["configure"],
            "collection_s": marks["collection_finish"] - marks["configure"],
            "browser_launch_s": browser,
            "servers_s": servers,
            "other_setup_s": setup - browser - servers}


def measure(engines: list[str], tmp: Path, rounds: Iterable[int]) -> dict[str, Any]:
    stages: dict[str, list[dict[str, float]]] = {e: [] for e in engines}
    for r in rounds:
        for engine in engines:
            run = run_pytest(["harness/conformance", "-q", "-k", CHECK, "--topology",
                              "same-origin", "--browser", engine, "--tracing", "off"],
                             tmp / f"startup-{engine}-{r}", probe=True, timeout=300)
            if run.probe is None or "first_call" not in run.probe["marks_s"]:
                raise RuntimeError(f"start-up run in {engine} did not reach a check:\n"
                                   f"{run.tail}")
            stages[engine].append(_stages(run.probe))
    return {"check": CHECK,
            "browsers": {e: {k: Figure.of([s[k] for s in runs]).as_dict() for k in runs[0]}
                         for e, runs in stages.items()}}
