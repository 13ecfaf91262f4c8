"""Harness overhead: the simplest check under the harness against bare Playwright.

The harness side runs `bench/simplest_check.py` through pytest with the plugin, as a user
would, `--tracing off` as `make test` runs it, the probe timing every phase. Its first
iteration (browser launch, servers) and its last (session teardown) are not counted. The
baseline side is `bench/bare_playwright.py` with the same browser launch and backend.
Both sides count the same number of iterations.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

from bench import bare_playwright
from bench.budget import rounds
from bench.pytest_runs import run_pytest
from bench.stats import Figure, ratio

CHECK_FILE = "bench/simplest_check.py"
BASELINE_SHARE = 0.35
MIN_ITERATIONS = 3


def harness_iterations(engine: str, iterations: int, tmp: Path) -> list[dict[str, Any]]:
    run = run_pytest([CHECK_FILE, "-q", "--browser", engine, "--tracing", "off"],
                     tmp / f"overhead-{engine}", probe=True, timeout=300,
                     env={"BENCH_PHASES": "1", "BENCH_ITERATIONS": str(iterations + 2)})
    if run.exit_code != 0 or run.probe is None:
        raise RuntimeError(f"the simplest check failed in {engine}:\n{run.tail}")
    tests: list[dict[str, Any]] = run.probe["tests"]
    return tests[1:-1]


def _phase_medians(runs: list[dict[str, Any]]) -> dict[str, float]:
    names = {name for run in runs for name in run["phases_s"]}
    return {name: statistics.median(run["phases_s"].get(name, 0.0) for run in runs)
            for name in names}


def compare(harness: list[dict[str, Any]], baseline: list[dict[str, Any]]) -> dict[str, Any]:
    h, b = Figure.of([r["wall_s"] for r in harness]), Figure.of([r["wall_s"] for r in baseline])
    h_phases, b_phases = _phase_medians(harness), _phase_medians(baseline)
    phases: list[dict[str, Any]] = [{"phase": name, "harness_ms": h_phases.get(name, 0.0) * 1000,
                                     "baseline_ms": b_phases[name] * 1000
                                     if name in b_phases else None,
                                     "extra_ms": (h_phases.get(name, 0.0)
                                                  - b_phases.get(name, 0.0)) * 1000}
                                    for name in sorted(set(h_phases) | set(b_phases))]
    phases.sort(key=lambda p: -p["extra_ms"])
    return {"harness_s": h.as_dict(), "baseline_s": b.as_dict(),
            "ratio": ratio(h.median, b.median), "phases": phases}


def measure(engines: list[str], tmp: Path, iterations: int, deadline: float) -> dict[str, Any]:
    """Up to `iterations` counted iterations a side, fewer when the deadline is near: the
    baseline goes first and the harness then runs as many as the baseline managed."""
    result: dict[str, Any] = {"check": CHECK_FILE, "browsers": {}}
    for i, engine in enumerate(engines):
        slot = (deadline - time.monotonic()) / (len(engines) - i)
        # The baseline's share: a pytest run also starts a browser and its iterations are
        # slower, so the harness side gets the larger part.
        baseline, mechanics = bare_playwright.measure(engine, rounds(
            iterations, time.monotonic() + slot * BASELINE_SHARE,
            minimum=min(MIN_ITERATIONS, iterations)))
        harness = harness_iterations(engine, len(baseline), tmp)
        result["browsers"][engine] = c = compare(harness, baseline)
        c["driver_mechanics_ms"] = mechanics
        print(f"  overhead {engine}: harness {c['harness_s']['median'] * 1000:.0f} ms, "
              f"bare {c['baseline_s']['median'] * 1000:.0f} ms, ratio {c['ratio']:.2f} "
              f"({len(baseline)} iterations)", flush=True)
    return result
