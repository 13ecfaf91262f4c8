"""`python -m tests.soak`: the conformance suite run again and again, failures per check.

Each run is a pytest process of its own (`--browser B --tracing off`, one process, no
xdist) against one app: the reference SPA, `examples/fetch`, the Angular example's test
build. A check that fails in any run is a flake to fix, never one to retry: the table says
which checks failed how often, and where each failure's first line is. The screenshots and
journal timelines of a failed run's checks are kept (`--artifacts`, one folder per soak);
a run that passed leaves nothing.

`make soak` runs it with the defaults (30 runs per browser and app), `SOAK_JOBS` at once.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
APPS = {"reference": None, "fetch": REPO / "examples" / "fetch",
        "angular": REPO / "examples" / "angular" / "dist" / "harness"}


def run_once(app: str, browser: str, output: Path, extra: list[str]) -> dict[str, str]:
    """One whole-suite run; the first line of every failure or error, by test id. What
    the run leaves of its failed checks goes to `output` (pytest-playwright's --output),
    its JUnit report beside it."""
    spa = APPS[app]
    junit = output.with_suffix(".xml")
    args = [sys.executable, "-m", "pytest", "--pyargs", "harness.conformance",
            "--browser", browser, "--tracing", "off", "-q", "-p", "no:cacheprovider",
            f"--junitxml={junit}", *(["--spa-dir", str(spa)] if spa else []),
            "--output", str(output), *extra]
    done = subprocess.run(args, cwd=REPO, capture_output=True, text=True, check=False)
    if not junit.exists():
        raise SystemExit(f"{app}/{browser}: pytest wrote no report (exit {done.returncode}):\n"
                         f"{done.stdout[-2000:]}{done.stderr[-2000:]}")
    failures: dict[str, str] = {}
    for case in ET.parse(junit).iter("testcase"):
        for bad in [*case.iter("failure"), *case.iter("error")]:
            text = (bad.get("message") or bad.text or "").strip().splitlines()
            failures[f"{case.get('name')}"] = text[0][:160] if text else "(no message)"
    if done.returncode not in (0, 1):
        failures["(session)"] = f"pytest exited with {done.returncode}"
    return failures


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.soak", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=30, help="runs per browser and app (30)")
    p.add_argument("--browsers", default="chromium,firefox", help="chromium,firefox")
    p.add_argument("--apps", default=",".join(APPS), help=f"from {','.join(APPS)} (all)")
    p.add_argument("--jobs", type=int, default=1,
                   help="runs at once, each a pytest process (1); more load makes a flake "
                        "likelier to show, as in CI")
    p.add_argument("--minutes", type=float, default=0,
                   help="start no run after this many minutes; the runs under way finish "
                        "and the table counts the runs done (0: no limit)")
    p.add_argument("--artifacts", type=Path, default=REPO / "soak-results",
                   help="where the screenshots and journal timelines of failed runs go, in "
                        "a folder per soak named by its start (soak-results)")
    p.add_argument("pytest_args", nargs="*", help="passed on to pytest (after --)")
    args = p.parse_args(argv)
    browsers = [b for b in args.browsers.split(",") if b]
    apps = [a for a in args.apps.split(",") if a]
    if args.runs < 1 or args.jobs < 1 or args.minutes < 0 or set(apps) - set(APPS):
        p.error(f"--runs and --jobs must be at least 1, --minutes not negative, and --apps "
                f"from {', '.join(APPS)}")
    missing = [a for a in apps if (d := APPS[a]) is not None and not (d / "index.html").is_file()]
    if missing:
        p.error(f"no build of {', '.join(missing)}: run `make angular-example` first")
    failed: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    first_lines: dict[str, str] = {}
    started = time.monotonic()
    queue = iter([(n, app, browser) for n in range(1, args.runs + 1) for app in apps
                  for browser in browsers])
    deadline = started + args.minutes * 60 if args.minutes else None
    done: Counter[tuple[str, str]] = Counter()
    lock = threading.Lock()
    kept = args.artifacts.resolve() / time.strftime("%Y%m%d-%H%M%S")

    def worker(tmp: str) -> None:
        """Takes the next run until none is left or the time is up."""
        while True:
            with lock:
                if deadline is not None and time.monotonic() >= deadline:
                    return
                n, app, browser = next(queue, (0, "", ""))
            if not n:
                return
            output = Path(tmp) / f"{n}-{app}-{browser}"
            found = run_once(app, browser, output, args.pytest_args)
            if found and output.is_dir():
                kept.mkdir(parents=True, exist_ok=True)
                shutil.move(output, kept / output.name)
            with lock:
                done[(app, browser)] += 1
                for test, line in found.items():
                    failed[(app, browser)][test] += 1
                    first_lines.setdefault(test, line)
                print(f"run {n}/{args.runs} {app} {browser}: {len(found)} failed "
                      f"({time.monotonic() - started:.0f} s)", flush=True)

    with tempfile.TemporaryDirectory(prefix="soak-") as tmp, \
            ThreadPoolExecutor(args.jobs) as pool:
        for future in [pool.submit(worker, tmp) for _ in range(args.jobs)]:
            future.result()
    stopped = " (stopped by --minutes)" if sum(done.values()) < args.runs * len(apps) * \
        len(browsers) else ""
    print(f"\n{sum(done.values())} runs in {time.monotonic() - started:.0f} s{stopped}\n")
    print("| app | browser | runs | failures | check (failed runs) |\n|---|---|---|---|---|")
    for app in apps:
        for browser in browsers:
            tests = failed[(app, browser)]
            listed = "; ".join(f"{t} ({k})" for t, k in tests.most_common()) or "none"
            print(f"| {app} | {browser} | {done[(app, browser)]} | {sum(tests.values())} "
                  f"| {listed} |")
    if first_lines:
        print("\nFirst line of each failing test's first failure:")
        for test, line in sorted(first_lines.items()):
            print(f"- {test}: {line}")
        if kept.is_dir():
            print(f"\nScreenshots and journal timelines of the failed runs: {kept}")
    return 1 if first_lines else 0


if __name__ == "__main__":
    sys.exit(main())
