"""`python -m bench.tree_cpu OUT -- COMMAND...`: COMMAND's exit code, and in OUT (JSON) the
CPU time of COMMAND and of every process it started, however deep.

A browser's helper processes are not all reaped by their parents: some end as orphans,
and Linux adds an orphan's CPU time to no ancestor that `getrusage(RUSAGE_CHILDREN)`
could read. Here this process is a child subreaper (`PR_SET_CHILD_SUBREAPER`): the orphans
of the tree are handed to it, it reaps them, and `RUSAGE_CHILDREN` then holds the CPU of
the whole tree once every process of it has ended. Descendants still alive after
`--linger` seconds are left out, and counted in `left_running`. OUT also holds COMMAND's
wall time (`wall_s`), from its start to its exit, without this wrapper's own start-up.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tree_cpu")
    parser.add_argument("out", type=Path)
    parser.add_argument("--linger", type=float, default=10.0)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    libc = ctypes.CDLL(None, use_errno=True)
    subreaper = libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    if "BENCH_T0" in os.environ:  # `bench.pytest_timing`'s origin: now, not the parent's start
        os.environ["BENCH_T0"] = repr(time.monotonic())
    started = time.monotonic()
    child = subprocess.Popen(command)
    # A SIGTERM for this wrapper is meant for COMMAND; Ctrl-C reaches COMMAND by itself.
    signal.signal(signal.SIGTERM, lambda signum, _: child.send_signal(signum))
    while True:
        try:
            code = child.wait()
            break
        except KeyboardInterrupt:
            continue  # COMMAND ends as it would without this wrapper
    wall = time.monotonic() - started
    deadline = time.monotonic() + args.linger
    left = 0
    while True:  # the orphans handed over to this process, until none is left
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            if time.monotonic() > deadline:
                left = sum(1 for d in os.listdir("/proc")
                           if d.isdigit() and _parent(d) == os.getpid())
                break
            time.sleep(0.02)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    args.out.write_text(json.dumps({"wall_s": wall, "user_s": usage.ru_utime,
                                    "sys_s": usage.ru_stime, "subreaper": subreaper,
                                    "left_running": left}))
    return code


def _parent(pid: str) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


if __name__ == "__main__":
    sys.exit(main())
