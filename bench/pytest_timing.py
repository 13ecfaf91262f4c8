"""`-p bench.pytest_timing`: how long each test takes, from pytest's public hooks only.

Writes `$BENCH_TIMING_OUT` (JSON) when the session ends: per test, the wall time of its
`pytest_runtest_protocol` (set-up, call, teardown) and its outcome; and the moment of the
first test's call, in seconds after `$BENCH_T0` (the parent's `time.monotonic()` when it
started pytest; the monotonic clock is system-wide on Linux).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest


class Timing:
    def __init__(self, out: Path, t0: float) -> None:
        self.out, self.t0 = out, t0
        self.tests: list[dict[str, Any]] = []
        self.first_call: float | None = None

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, Any, Any]:
        self.tests.append({"nodeid": item.nodeid, "outcome": "passed"})
        start = time.perf_counter()
        try:
            return (yield)
        finally:
            self.tests[-1]["s"] = time.perf_counter() - start

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_call(self) -> None:
        if self.first_call is None:
            self.first_call = time.monotonic() - self.t0

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self.tests and report.outcome != "passed":
            self.tests[-1]["outcome"] = report.outcome

    def pytest_unconfigure(self) -> None:
        self.out.write_text(json.dumps({"first_call_s": self.first_call, "tests": self.tests}))


def pytest_configure(config: pytest.Config) -> None:
    out = os.environ.get("BENCH_TIMING_OUT")
    if out:
        t0 = float(os.environ.get("BENCH_T0", time.monotonic()))
        config.pluginmanager.register(Timing(Path(out), t0), "bench_timing")
