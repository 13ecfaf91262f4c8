"""`-p bench.pytest_cpu`: the CPU time of the pytest process itself, measured inside it.

Writes `$BENCH_CPU_OUT` (JSON) at `pytest_unconfigure`:

- `self_user_s`, `self_sys_s`: `resource.getrusage(RUSAGE_SELF)`, every thread of the
  process (the harness, the Playwright client, the in-process backend's uvicorn thread);
  `self_at_first_test_s`: their sum when the first test started (start-up, collection);
- `threads`: CPU seconds per Python thread name (`/proc/self/task/<tid>/stat`), read before
  each test's teardown and at the end, so a thread that stopped (the backend's, at session
  teardown) keeps the CPU it had at its last reading;
- `control`: the harness's own HTTP requests (every `httpx.Client` of this process), by
  method and path with ids folded (`/__harness/faults/{id}/release`), and the journal
  downloads (`/__harness/journal`, and its waits, which answer with entries) with their
  bytes. Counted in a thin wrapper of `httpx.Client.send`: an increment per request.
"""

from __future__ import annotations

import json
import os
import re
import resource
import threading
from collections import Counter
from collections.abc import Generator
from pathlib import Path
from typing import Any

import httpx
import pytest

_TICK = os.sysconf("SC_CLK_TCK")
_ID = re.compile(r"(?<=/__harness/faults/)[^/]+(?=/)")


def thread_cpu(native_id: int | None) -> float | None:
    """user + system seconds of one thread of this process, or None once it is gone."""
    if native_id is None:
        return None
    try:
        stat = Path(f"/proc/self/task/{native_id}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime (fields 14, 15)


class Cpu:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.threads: dict[tuple[str, int], float] = {}
        self.requests: Counter[str] = Counter()
        self.journal_bytes = 0
        self.at_first_test: float | None = None
        self._send = httpx.Client.send
        cpu = self

        def send(client: httpx.Client, request: httpx.Request, *args: Any,
                 **kwargs: Any) -> httpx.Response:
            response = cpu._send(client, request, *args, **kwargs)
            path = request.url.path
            cpu.requests[f"{request.method} {_ID.sub('{id}', path)}"] += 1
            if "/__harness/journal" in path:  # a download, or a wait answered with entries
                cpu.journal_bytes += len(response.content)
            return response

        httpx.Client.send = send  # type: ignore[method-assign, assignment]

    def sample(self) -> None:
        for thread in threading.enumerate():
            seconds = thread_cpu(thread.native_id)
            if seconds is not None:
                self.threads[(thread.name, thread.native_id or 0)] = seconds

    def pytest_runtest_logstart(self) -> None:
        if self.at_first_test is None:
            usage = resource.getrusage(resource.RUSAGE_SELF)
            self.at_first_test = usage.ru_utime + usage.ru_stime

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_teardown(self) -> Generator[None, Any, Any]:
        self.sample()
        return (yield)

    def pytest_unconfigure(self) -> None:
        self.sample()
        httpx.Client.send = self._send  # type: ignore[method-assign]
        usage = resource.getrusage(resource.RUSAGE_SELF)
        by_name: dict[str, float] = {}
        for (name, _), seconds in self.threads.items():
            # One figure per kind of thread: "live-server-43117" and its like count together.
            kind = re.sub(r"[-_ ]?\d+$", "", name)
            by_name[kind] = by_name.get(kind, 0.0) + seconds
        control = {k: v for k, v in self.requests.most_common()}
        self.out.write_text(json.dumps({
            "self_user_s": usage.ru_utime, "self_sys_s": usage.ru_stime,
            "self_at_first_test_s": self.at_first_test,
            "threads": dict(sorted(by_name.items(), key=lambda kv: -kv[1])),
            "control": {"requests": control,
                        "harness_requests": sum(v for k, v in control.items()
                                                if "/__harness/" in k),
                        "journal_downloads": sum(v for k, v in control.items()
                                                 if "/__harness/journal" in k),
                        "journal_bytes": self.journal_bytes}}))


def pytest_configure(config: pytest.Config) -> None:
    out = os.environ.get("BENCH_CPU_OUT")
    if out:
        config.pluginmanager.register(Cpu(Path(out)), "bench_cpu")
