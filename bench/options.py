"""The command line of `python -m bench`, also rendered as the table in the report."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

PARTS = ("suite", "backend", "overhead", "startup", "burst")

OPTIONS: list[tuple[tuple[str, ...], dict[str, Any]]] = [
    (("--only",), {"default": ",".join(PARTS), "metavar": "PARTS",
                   "help": f"comma-separated parts to run (default all: {','.join(PARTS)})"}),
    (("--browsers",), {"default": "chromium,firefox", "metavar": "LIST",
                       "help": "browsers to measure (default chromium,firefox)"}),
    (("--repeats",), {"type": int, "default": 3, "metavar": "K",
                      "help": "runs per figure for start-up, burst and backend (default 3; "
                              "fewer when the time budget runs short)"}),
    (("--iterations",), {"type": int, "default": 8, "metavar": "K",
                         "help": "counted iterations per side of the overhead measurement "
                                 "(default 8; fewer when the time budget runs short)"}),
    (("--suite-repeats",), {"type": int, "default": 1, "metavar": "K",
                            "help": "runs of each whole-suite configuration (default 1)"}),
    (("--budget",), {"type": float, "default": 540, "metavar": "SECONDS",
                     "help": "time budget of the whole run (default 540): the parts after the "
                             "suite shorten their repeats to fit"}),
    (("--quick",), {"action": "store_true",
                    "help": "one run each, small loads, the suite reduced to -k test_R1_ "
                            "(for development)"}),
    (("--out",), {"type": Path, "default": None, "metavar": "PATH",
                  "help": "results JSON (default bench/results.json; a partial or quick run: "
                          "bench/results.partial.json)"}),
    (("--doc",), {"type": Path, "default": None, "metavar": "PATH",
                  "help": "Markdown page (default docs/performance.md; a partial or quick "
                          "run: bench/performance.partial.md)"}),
]


def build_parser(description: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=description)
    for flags, kwargs in OPTIONS:
        parser.add_argument(*flags, **kwargs)
    return parser


def markdown_table() -> list[str]:
    rows = ["| option | meaning |", "|---|---|"]
    for flags, kwargs in OPTIONS:
        metavar = f" {kwargs['metavar']}" if "metavar" in kwargs else ""
        rows.append(f"| `{', '.join(flags)}{metavar}` | {kwargs['help']} |")
    return rows
