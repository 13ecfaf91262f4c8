"""`python -m bench`: measure the suite, start-up, harness overhead, bursts and the backend.

Writes `bench/results.json`, `docs/performance.md` and the two SVG charts next to the
results. Parts run one after another, never at once, so they do not disturb each other.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import backend_load, burst, overhead, png, report, startup, suite, svg
from bench.budget import Budget, rounds
from bench.options import PARTS, build_parser
from bench.servers import REPO

HERE = Path(__file__).resolve().parent


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = build_parser(__doc__)
    args = p.parse_args(argv)
    args.parts = [x.strip() for x in args.only.split(",") if x.strip()]
    args.engines = [x.strip() for x in args.browsers.split(",") if x.strip()]
    unknown = set(args.parts) - set(PARTS)
    if unknown:
        p.error(f"unknown part(s) {', '.join(sorted(unknown))}: choose from {', '.join(PARTS)}")
    partial = args.quick or set(args.parts) != set(PARTS)
    if args.quick:
        args.repeats, args.iterations = 1, 3
    args.out = args.out or HERE / ("results.partial.json" if partial else "results.json")
    args.doc = args.doc or (HERE / "performance.partial.md" if partial
                            else REPO / "docs" / "performance.md")
    return args


# What each part gets of the time left when it starts, relative to the parts after it.
# The whole suite goes first: its runs cannot be shortened, the other parts adapt.
WEIGHTS = {"backend": 0.2, "overhead": 0.3, "startup": 0.15, "burst": 0.35}
# What the parts after the suite need at the least (one round each) on this machine.
RESERVED_AFTER_SUITE = 150.0


def _run_parts(args: argparse.Namespace, budget: Budget, tmp: Path) -> dict[str, Any]:
    quick = args.quick
    wanted = [p for p in PARTS if p in args.parts]

    def deadline(part: str) -> float:
        later = [p for p in wanted[wanted.index(part):] if p in WEIGHTS]
        return budget.share(WEIGHTS[part] / sum(WEIGHTS[p] for p in later))

    plan: dict[str, Callable[[], dict[str, Any]]] = {
        "suite": lambda: suite.measure(args.engines, tmp, args.suite_repeats,
                                       ["-k", "test_R1_"] if quick else None,
                                       budget.deadline - RESERVED_AFTER_SUITE),
        "backend": lambda: backend_load.measure(
            tmp, rounds(args.repeats, deadline("backend")),
            max_requests=500 if quick else 3000, max_seconds=1.0 if quick else 2.0),
        "overhead": lambda: overhead.measure(args.engines, tmp, args.iterations,
                                             deadline("overhead")),
        "startup": lambda: startup.measure(args.engines, tmp,
                                           rounds(args.repeats, deadline("startup"))),
        "burst": lambda: burst.measure(args.engines, rounds(args.repeats, deadline("burst")),
                                       (1, 10, 100) if quick else burst.SIZES),
    }
    parts: dict[str, Any] = {}
    for name in wanted:
        started = time.monotonic()
        print(f"{name} (at {budget.elapsed():.0f} s) ...", flush=True)
        parts[name] = plan[name]()
        parts[name]["elapsed_s"] = time.monotonic() - started
        print(f"{name}: {parts[name]['elapsed_s']:.0f} s", flush=True)
    return parts


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    budget = Budget(args.budget)
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        parts = _run_parts(args, budget, Path(tmp))
    versions = parts.get("burst", {}).get("browser_versions", {})
    results: dict[str, Any] = {
        "generated": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": "python -m bench " + " ".join(sys.argv[1:] if argv is None else argv),
        "elapsed_s": budget.elapsed(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version(),
                    "playwright": importlib.metadata.version("playwright"),
                    "browsers": versions, "load_average_start": list(load_start),
                    "load_average_end": list(os.getloadavg())},
        "parts": parts,
    }
    # Charts sit next to the results, named like them (burst.svg, burst.partial.svg).
    suffix = args.out.suffixes[0] if len(args.out.suffixes) > 1 else ""
    charts: dict[str, tuple[Path, Callable[[dict[str, Any]], str]]] = {
        "burst": (args.out.parent / f"burst{suffix}.svg", svg.burst_chart),
        "backend": (args.out.parent / f"backend{suffix}.svg", svg.backend_chart)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.doc.parent.mkdir(parents=True, exist_ok=True)
    drawn: list[Path] = []
    for part, (path, draw) in charts.items():
        if part in parts:
            path.write_text(draw(parts[part]) + "\n")
            drawn.append(path)
            results.setdefault("charts", {})[part] = os.path.relpath(path, args.doc.parent)
    png.render(drawn)  # name.png beside each name.svg
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    args.doc.write_text(report.render(results))
    print(f"wrote {args.out} and {args.doc}; elapsed {budget.elapsed():.0f} s "
          f"(budget {args.budget:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
