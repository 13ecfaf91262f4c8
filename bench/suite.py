"""Wall time of the whole conformance suite per browser, one process and `-n 2`.

The whole suite is what runs. Only when the time budget cannot hold another browser's
pair of runs (predicted from the pairs already measured) does that browser's pair run the
same-origin topology alone (about four fifths of the checks); the results say so.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bench.pytest_runs import run_pytest
from bench.stats import Figure

SUITE = "harness/conformance"
MODES = {"single process": [], "-n 2": ["-n", "2"]}
WHOLE = "whole suite"
SAME_ORIGIN_ONLY = "same-origin topology only"


def measure(engines: list[str], tmp: Path, repeats: int = 1, extra: list[str] | None = None,
            deadline: float = float("inf")) -> dict[str, Any]:
    """Each browser's two modes `repeats` times, taking turns so drift hits both alike."""
    walls: dict[str, dict[str, list[float]]] = {e: {m: [] for m in MODES} for e in engines}
    scopes: dict[str, str] = {}
    runs: list[dict[str, Any]] = []
    pair_times: list[float] = []
    for engine in engines:
        started = time.monotonic()
        predicted = max(pair_times, default=0.0)
        fits = not pair_times or started + predicted <= deadline
        scopes[engine] = WHOLE if fits else SAME_ORIGIN_ONLY
        scope_args = [] if fits else ["--topology", "same-origin"]
        for r in range(repeats):
            for mode, flags in MODES.items():
                args = [SUITE, "-q", "--browser", engine, "--tracing", "off", *flags,
                        *scope_args, *(extra or [])]
                run = run_pytest(args, tmp / f"suite-{engine}-{len(flags)}-{r}", timeout=900)
                print(f"  suite {engine} {mode} ({scopes[engine]}): {run.wall_s:.1f} s "
                      f"{run.outcomes}", flush=True)
                walls[engine][mode].append(run.wall_s)
                runs.append({"browser": engine, "mode": mode, "scope": scopes[engine],
                             **run.as_dict()})
        pair_times.append(time.monotonic() - started)
    return {"path": SUITE, "extra_args": extra or [], "scope": scopes,
            "wall_s": {e: {m: Figure.of(v).as_dict() for m, v in modes.items()}
                       for e, modes in walls.items()},
            "runs": runs}
