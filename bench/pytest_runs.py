"""Running pytest in a child process the way `make test` does, timed from the parent."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.servers import REPO

# pytest's last line: "53 passed, 1 failed in 81.91s (0:01:21)".
_OUTCOMES = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed|deselected)")


@dataclass(frozen=True)
class PytestRun:
    args: list[str]
    wall_s: float
    exit_code: int
    outcomes: dict[str, int]
    probe: dict[str, Any] | None
    tail: str

    def as_dict(self) -> dict[str, Any]:
        return {"command": "python -m pytest " + " ".join(self.args), "wall_s": self.wall_s,
                "exit_code": self.exit_code, "outcomes": self.outcomes}


def run_pytest(args: list[str], tmp: Path, *, probe: bool = False,
               env: dict[str, str] | None = None, timeout: float = 600) -> PytestRun:
    """`python -m pytest ARGS` from the repository root; artifacts go under `tmp`."""
    tmp.mkdir(parents=True, exist_ok=True)
    # Artifacts of failed checks go to a folder of ours, not the repository's test-results/
    # (pytest-playwright empties its output folder when a run starts).
    full = [*args, "--output", str(tmp / "test-results")]
    child_env = {**os.environ, **(env or {})}
    probe_file = tmp / "probe.json"
    if probe:
        full += ["-p", "bench.probe"]
        child_env["BENCH_PROBE_OUT"] = str(probe_file)
    started = time.monotonic()
    child_env["BENCH_T0"] = repr(started)
    done = subprocess.run([sys.executable, "-m", "pytest", *full], cwd=REPO, env=child_env,
                          capture_output=True, text=True, timeout=timeout, check=False)
    wall = time.monotonic() - started
    lines = done.stdout.strip().splitlines()
    last = lines[-1] if lines else ""
    outcomes = {kind.rstrip("s") if kind.startswith("error") else kind: int(n)
                for n, kind in _OUTCOMES.findall(last)}
    data = json.loads(probe_file.read_text()) if probe and probe_file.exists() else None
    return PytestRun(args, wall, done.returncode, outcomes, data,
                     "\n".join(lines[-15:]) + done.stderr[-2000:])
