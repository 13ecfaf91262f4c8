"""The package as an index would get it: an sdist and a wheel, built once per test run."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

REPO = Path(__file__).resolve().parents[2]


class BuiltDist(NamedTuple):
    sdist: Path
    wheel: Path
    log: str  # what the build printed


def _build(out: Path) -> BuiltDist:
    if not list(out.glob("*.whl")):
        result = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(REPO)],
                                capture_output=True, text=True, timeout=600, check=False)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        (out / "build.log").write_text(result.stdout + result.stderr)
    sdists, wheels = list(out.glob("*.tar.gz")), list(out.glob("*.whl"))
    assert len(sdists) == len(wheels) == 1, f"expected one sdist and one wheel in {out}: " \
                                            f"{sorted(p.name for p in out.iterdir())}"
    return BuiltDist(sdists[0], wheels[0], (out / "build.log").read_text())


@pytest.fixture(scope="session")
def built_dist(tmp_path_factory: pytest.TempPathFactory) -> BuiltDist:
    """`python -m build` of this checkout (needs the dev extra's `build`). Under
    pytest-xdist the workers share one build, so no two builds write into the checkout at
    once."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return _build(tmp_path_factory.mktemp("dist"))
    shared = tmp_path_factory.getbasetemp().parent / "dist"
    shared.mkdir(exist_ok=True)
    with open(shared.parent / "dist.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _build(shared)
