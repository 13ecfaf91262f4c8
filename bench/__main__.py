"""`python -m bench`: speed and scale of the harness, the reference SPA and the backend.

Every figure is a ratio or a target verdict measured within this one run on this machine;
the parts run one after another, never at once. Writes bench/results.json and
docs/performance.md; a --quick, --only or --browsers run writes bench/results.partial.json
and bench/performance.partial.md instead.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench import backend_load, bare, edge_load
from harness import BackendClient

REPO = Path(__file__).resolve().parents[1]
PARTS = ("check", "suite", "burst", "backend", "edge")
ENGINES = ("chromium", "firefox")
# The whole conformance suite in one process against bare Playwright doing the same number
# of checks' cycles (context, page, login, one request), and the harness's own CPU share.
SUITE_RATIO_TARGET = 1.2
SUITE_OWN_CPU_TARGET_PCT = 10.0
QUICK_SUITE = "test_A1_ or test_R1_"
SIGNS = {"<=": "≤", "<": "<", ">=": "≥", "==": "exactly"}

EXPLAINED = {
    "check": "**per check**: the simplest check (`bench/simplest_check.py`: open the SPA, log "
             "in through the app, one authenticated request) run by pytest with the plugin "
             "(`--tracing off`), many iterations in one process, each timed by "
             "`pytest_runtest_protocol` (`bench/pytest_timing.py`); each run's first and last "
             "are left out (browser launch, servers, session teardown). Against bare Playwright "
             "doing the same work (new context, init script, navigate, wait for "
             "`authHarness.ready`, log in, one request, close) with the same browser and an "
             "in-process backend set up as the harness's (its password cost too: the CLI's "
             "default hash costs about 30 ms of CPU per login, which no check pays). The two "
             "sides take turns (bare, harness, bare, harness, bare), each bare turn after a "
             "warm-up cycle left out.",
    "suite": "**suite**: `python -m pytest harness/conformance --browser B --tracing off` in "
             "one process, wall time from start to exit, and the moment the first check's "
             "body started. *Bare-Playwright cycles*: as many cycles of the per-check baseline "
             "as the suite ran checks (n × its median cycle, cycles taken before and after "
             "the suite); the suite's wall time over them. *Harness own CPU*: user + system "
             "time of the pytest process, every thread of it (the harness, the Playwright "
             "client, the in-process servers), from `getrusage(RUSAGE_SELF)` inside it at "
             "`pytest_unconfigure` (`bench/pytest_cpu.py`), over the suite's wall time; the "
             "note splits it by thread. Per check: after the first check started, against "
             "the bare-Playwright process's CPU per cycle (its backend thread included). "
             "*Bare Playwright own CPU / cycle wall time*: the same share for the baseline, "
             "the floor under the harness's in that browser: a cheaper browser (Chromium's "
             "headless shell) shortens the wall time, not the driving process's CPU. The "
             "suite's checks do more than the baseline's cycle (several pages, reloads, "
             "bursts, waits for a held refresh), so its ratio measures the checks' work as "
             "well as the harness's overhead; the per-check ratio above measures the "
             "overhead alone. "
             "*Browser and driver CPU*: the whole process tree's CPU (pytest run under "
             "`bench/tree_cpu.py`, a child subreaper that reaps the browser's orphaned helpers "
             "too) less the pytest process's own; in % of one core over the wall time. "
             "*Test-control requests*: the harness's HTTP requests to `/__harness/*`, counted "
             "in the pytest process (`bench/pytest_cpu.py`).",
    "burst": "**burst**: N concurrent requests with an expired access token through the "
             "reference SPA (`SpaDriver.burst` after `BackendClient.expire_access_token`), a "
             "reset backend, fresh context and login per run. *Settle*: until every promise "
             "settled, as the driver sees it; *span*: first request in to last answer out in "
             "the backend journal; *refreshes*: `Journal.refreshes()`, every run's count.",
    "backend": "**backend**: `python -m mock_backend --test-control` (memory or SQLite store) "
               "and a bare FastAPI endpoint (`bench/bare_app.py`), each in its own process "
               "with the same uvicorn settings; 8 clients with a keep-alive connection each "
               "(`bench/backend_load.py`). *GET*: `/api/current-user` with a Bearer token; "
               "*refresh*: each client chains its own family's rotations. The ratios are "
               "per round, the scenarios taking turns window by window.",
    "edge": "**edge**: the reference backend as the upstream (`python -m mock_backend "
            "--no-spa`) and the edge in front of it (`python -m mock_backend --upstream URL "
            "--accounts FILE`, the demo user alice in the file), each in its own process with "
            "the same uvicorn settings (`bench/edge_load.py`). *Overhead*: one keep-alive "
            "httpx client, one request at a time: a login straight at the upstream, then "
            "`GET /api/current-user` with its Bearer token, after a warm-up of 50 on each "
            "side, in windows of 100 taking turns (straight, edge, edge, straight, ...), "
            "10 windows a side; each request timed from send to its whole answer read. The "
            "overhead is the edge's median less the upstream's (its p99 less the upstream's "
            "likewise); the note gives each process's CPU per request (`/proc`). *Burst*: "
            "the edge also serving the bundled SPA (`--no-spa` left out); as the burst part, "
            "through the edge's own test-control API: a reset edge, a fresh context, login "
            "through the app, `BackendClient.expire_access_token` (the edge's clock), 500 "
            "concurrent requests with the expired token through the SPA (`SpaDriver.burst`). "
            "*Settle*: until every promise settled; *refreshes*: `Journal.refreshes()` in "
            "the edge's journal, every run's count.",
}


class Run:
    def __init__(self, args: argparse.Namespace, tmp: Path) -> None:
        self.quick, self.engines, self.tmp = args.quick, args.browsers, tmp
        self.figures: list[dict[str, Any]] = []
        self.raw: dict[str, Any] = {}
        self.versions: dict[str, str] = {}
        self._bare: dict[str, dict[str, Any]] = {}
        self._cycle_cpu: dict[str, list[float]] = {}

    def add(self, part: str, label: str, values: list[float], unit: str,
            target: tuple[str, float] | None = None, note: str = "") -> None:
        median = statistics.median(values)
        verdict = None
        if target:
            op, limit = target
            verdict = {"<=": median <= limit, "<": median < limit, ">=": median >= limit,
                       "==": all(v == limit for v in values)}[op]
        self.figures.append({"part": part, "label": label, "unit": unit, "median": median,
                             "min": min(values), "max": max(values), "n": len(values),
                             "note": note, "target": target and [*target], "pass": verdict})

    def bare_cycles(self, engine: str, k: int) -> dict[str, Any]:
        """`k` more cycles of the per-check baseline in a newly launched browser, after one
        warm-up cycle; returns all of this browser's so far and its first launch time."""
        with bare.backend() as url, bare.browser(engine) as (browser, launch_s):
            self.versions[engine] = browser.version
            bare.cycle(browser, url)
            cycles = []
            for _ in range(k):
                cpu = time.process_time()  # this process: the Playwright client, the backend
                cycles.append(bare.cycle(browser, url))
                self._cycle_cpu.setdefault(engine, []).append(time.process_time() - cpu)
        got = self._bare.setdefault(engine, {"launch_s": launch_s, "cycle_s": []})
        got["cycle_s"] += cycles
        return got

    def pytest(self, name: str, args: list[str], env: dict[str, str] | None = None,
               cpu: bool = False) -> dict[str, Any]:
        """`python -m pytest ARGS` with the timing plugin; its artifacts go under tmp. With
        `cpu`, also the CPU plugin, under `bench.tree_cpu` (its findings under "cpu")."""
        out = self.tmp / f"{name}.json"
        cpu_out, tree_out = self.tmp / f"{name}.cpu.json", self.tmp / f"{name}.tree.json"
        command = [sys.executable, "-m", "pytest", *args, "-q", "-p", "bench.pytest_timing",
                   "--output", str(self.tmp / name)]
        if cpu:
            command = [sys.executable, "-m", "bench.tree_cpu", str(tree_out), "--", *command,
                       "-p", "bench.pytest_cpu"]
        started = time.monotonic()
        env = {**os.environ, **(env or {}), "BENCH_TIMING_OUT": str(out),
               "BENCH_T0": repr(started), **({"BENCH_CPU_OUT": str(cpu_out)} if cpu else {})}
        done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True,
                              timeout=900, check=False)
        wall = time.monotonic() - started
        if not out.exists() or (cpu and not (cpu_out.exists() and tree_out.exists())):
            raise RuntimeError(f"pytest {' '.join(args)} ended without timings:\n"
                               f"{done.stdout[-3000:]}{done.stderr[-2000:]}")
        timing: dict[str, Any] = json.loads(out.read_text())
        timing.update(wall_s=wall, exit_code=done.returncode,
                      outcomes=dict(Counter(t["outcome"] for t in timing["tests"])))
        if cpu:
            tree = json.loads(tree_out.read_text())
            timing.update(wall_s=tree["wall_s"], cpu={**json.loads(cpu_out.read_text()),
                                                      "tree": tree})
        return timing

    def check(self) -> None:
        quarter = 1 if self.quick else 4
        for engine in self.engines:
            # Baseline and harness take turns (B H B H B, 1:2:2:2:1 quarters), so drift of
            # a shared machine hits both sides alike.
            self.bare_cycles(engine, quarter)
            harness: list[float] = []
            for turn in (2, 1):
                run = self.pytest(f"check-{engine}-{turn}", [
                    "bench/simplest_check.py", "--browser", engine, "--tracing", "off"],
                    {"BENCH_ITERATIONS": str(2 * quarter + 2)})
                if run["exit_code"] != 0:
                    raise RuntimeError(f"the simplest check failed in {engine}: "
                                       f"{run['outcomes']}")
                harness += [t["s"] for t in run["tests"][1:-1]]
                baseline = self.bare_cycles(engine, turn * quarter)["cycle_s"]
            self.raw[f"check-{engine}"] = {"harness_s": harness, "bare_s": baseline}
            self.add("check", f"per check, harness, {engine}", harness, "s")
            self.add("check", f"per check, bare Playwright, {engine}", baseline, "s")
            self.add("check", f"per check, harness / bare Playwright, {engine}",
                     [statistics.median(harness) / statistics.median(baseline)], "x",
                     ("<=", 1.2), "ratio of the medians above")

    def suite(self) -> None:
        extra = 2 if self.quick else 4
        for engine in self.engines:
            # Bare cycles before (unless the per-check part took some) and after the suite,
            # so that a machine busier in one than the other moves both sides.
            if engine not in self._bare:
                self.bare_cycles(engine, extra)
            args = ["harness/conformance", "--browser", engine, "--tracing", "off"]
            run = self.pytest(f"suite-{engine}", args + (["-k", QUICK_SUITE] if self.quick
                                                         else []), cpu=True)
            n = len(run["tests"])
            b = self.bare_cycles(engine, extra)
            cycle = statistics.median(b["cycle_s"])
            cycle_cpu = statistics.median(self._cycle_cpu[engine])
            wall, cpu = run["wall_s"], run["cpu"]
            own = cpu["self_user_s"] + cpu["self_sys_s"]
            tree = cpu["tree"]["user_s"] + cpu["tree"]["sys_s"]
            threads = cpu["threads"]
            servers = sum(v for name, v in threads.items()
                          if name.startswith(("live-server", "AnyIO")))
            control = cpu["control"]
            self.raw[f"suite-{engine}"] = {
                **{k: run[k] for k in ("wall_s", "exit_code", "outcomes", "first_call_s")},
                "bare_cycle_s": cycle, "bare_cycle_cpu_s": cycle_cpu, "cpu": cpu,
                "slowest": sorted(run["tests"], key=lambda t: -t["s"])[:8]}
            outcomes = ", ".join(f"{v} {k}" for k, v in sorted(run["outcomes"].items()))
            # A -k subset is mostly start-up: its ratios are shown, held to no target.
            subset = f"-k '{QUICK_SUITE}', no verdict" if self.quick else ""

            def target(op: str, limit: float) -> tuple[str, float] | None:
                return None if self.quick else (op, limit)

            self.add("suite", f"conformance suite, one process, {engine} ({outcomes})",
                     [wall], "s", note=subset)
            self.add("suite", f"bare Playwright, {n} cycles, {engine}", [n * cycle], "s",
                     note=f"n × median cycle ({cycle:.2f} s, {len(b['cycle_s'])} cycles); "
                          f"its launch took {b['launch_s']:.2f} s")
            self.add("suite", f"suite / bare-Playwright cycles, {engine}", [wall / (n * cycle)],
                     "x", target("<=", SUITE_RATIO_TARGET), subset)
            self.add("suite", f"start-up to the first check, {engine}", [run["first_call_s"]],
                     "s")
            self.add("suite", f"harness own CPU / suite wall time, {engine}",
                     [100 * own / wall], "%", target("<=", SUITE_OWN_CPU_TARGET_PCT),
                     f"{own:.1f} s of CPU: " + ", ".join(
                         f"{k} {v:.1f} s" for k, v in threads.items() if v >= 0.05)
                     + f"; {cpu['self_at_first_test_s']:.1f} s before the first check"
                     + (f"; {subset}" if subset else ""))
            self.add("suite", f"harness own CPU per check, {engine}",
                     [(own - cpu["self_at_first_test_s"]) / n], "s",
                     note=f"after start-up; bare Playwright's own process: {cycle_cpu:.3f} s "
                          f"per cycle (median); the in-process servers' threads (uvicorn, "
                          f"AnyIO workers): {servers / n:.3f} s per check")
            # The floor under the share above: bare Playwright's own process (its in-process
            # backend included) over its own cycle's wall time.
            self.add("suite", f"bare Playwright own CPU / cycle wall time, {engine}",
                     [100 * cycle_cpu / cycle], "%",
                     note=f"{cycle_cpu:.3f} s of CPU per {cycle:.2f} s cycle (medians)")
            self.add("suite", f"harness own CPU per check / bare Playwright's per cycle, {engine}",
                     [(own - cpu["self_at_first_test_s"]) / n / cycle_cpu], "x", note=subset)
            if cpu["tree"]["subreaper"] and not cpu["tree"]["left_running"]:
                self.add("suite", f"browser and driver CPU / suite wall time, {engine}",
                         [100 * (tree - own) / wall], "%",
                         note=f"{tree - own:.1f} s of CPU; whole tree {tree:.1f} s")
            self.add("suite", f"test-control requests per check, {engine}",
                     [control["harness_requests"] / n], "",
                     note=f"{control['harness_requests']} to /__harness/* in all, "
                          f"{control['journal_downloads']} journal downloads "
                          f"({control['journal_bytes'] / 1e6:.1f} MB)")

    def burst(self) -> None:
        sizes, repeats = ((10, 500), 1) if self.quick else ((10, 100, 500), 3)
        for engine in self.engines:
            runs: dict[int, list[dict[str, Any]]] = {n: [] for n in sizes}
            with bare.backend() as url, BackendClient(url) as client, \
                    bare.browser(engine) as (browser, _):
                self.versions[engine] = browser.version
                for _ in range(repeats):
                    for n in sizes:
                        runs[n].append(bare.burst(browser, url, client, n))
            self.raw[f"burst-{engine}"] = runs
            for n in sizes:
                self.add("burst", f"burst of {n}, settle, {engine}",
                         [r["settled_s"] for r in runs[n]], "s",
                         ("<=", 2.0) if n == 500 else None)
            self.add("burst", f"burst of 500, backend span, {engine}",
                     [r["journal_span_s"] for r in runs[500]], "s")
            self.add("burst", f"refreshes per burst (every N and run), {engine}",
                     [r["refreshes"] for n in sizes for r in runs[n]], "", ("==", 1))

    def backend(self) -> None:
        rounds, max_requests, max_s = (1, 500, 1.0) if self.quick else (3, 3000, 2.0)
        runs = backend_load.measure(self.tmp, rounds, max_requests, max_s)
        self.raw["backend"] = runs
        errors = {k: sum(int(r["errors"]) for r in v) for k, v in runs.items()}
        if any(errors.values()):
            print(f"  backend errors: {errors}", flush=True)

        def rps(name: str) -> list[float]:
            return [r["rps"] for r in runs[name]]

        self.add("backend", "bare FastAPI endpoint, throughput", rps("bare"), "req/s")
        for name, what in (("get-memory", "GET /api/current-user"),
                           ("refresh-memory", "refresh chain")):
            self.add("backend", f"{what}, memory store, throughput", rps(name), "req/s")
            self.add("backend", f"{what}, memory store, throughput / bare",
                     [a / b for a, b in zip(rps(name), rps("bare"), strict=True)], "x", (">=", 0.8),
                     "per round")
        for name, what in (("get-sqlite", "GET /api/current-user"),
                           ("refresh-sqlite", "refresh chain")):
            self.add("backend", f"{what}, SQLite store, p99 latency",
                     [r["p99_ms"] for r in runs[name]], "ms", ("<", 50.0))

    def edge(self) -> None:
        windows, per_window, warmup = (4, 50, 20) if self.quick else (10, 100, 50)
        repeats = 1 if self.quick else 3
        with edge_load.upstream() as (upstream, upstream_pid):
            with edge_load.edge(upstream, self.tmp, spa=False) as (url, edge_pid):
                o = edge_load.overhead(upstream, upstream_pid, url, edge_pid, windows,
                                       per_window, warmup)
            bursts: dict[str, list[dict[str, Any]]] = {}
            for engine in self.engines:
                # The browser at `localhost`, as the burst part: a host the refresh cookie
                # (Secure) is kept for over plain HTTP.
                with edge_load.edge(upstream, self.tmp, spa=True) as (url, _), \
                        BackendClient(url) as client, bare.browser(engine) as (browser, _):
                    self.versions[engine] = browser.version
                    url = url.replace("://127.0.0.1:", "://localhost:")
                    bursts[engine] = [bare.burst(browser, url, client, 500)
                                      for _ in range(repeats)]
        lat, n = o["latencies_ms"], o["requests_per_side"]
        straight, through = (statistics.median(lat["straight"]),
                             statistics.median(lat["edge"]))
        pairs = [e - s for s, e in zip(o["window_medians_ms"]["straight"],
                                       o["window_medians_ms"]["edge"], strict=True)]
        cpu = o["cpu_ms_per_request"]
        self.raw["edge"] = {**{k: v for k, v in o.items() if k != "latencies_ms"},
                            "median_ms": {"straight": straight, "edge": through},
                            **{f"burst-{e}": runs for e, runs in bursts.items()}}
        how = f"{n} requests, {windows} windows a side"
        self.add("edge", "GET /api/current-user straight to the upstream, median latency",
                 lat["straight"], "ms", note=how)
        self.add("edge", "GET /api/current-user through the edge, median latency",
                 lat["edge"], "ms", note=how)
        self.add("edge", "edge overhead, median", [through - straight], "ms", ("<=", 2.0),
                 f"difference of the medians above; per window pair {min(pairs):.2f}–"
                 f"{max(pairs):.2f} ms; CPU per request: edge {cpu['edge_edge']:.2f} ms, "
                 f"upstream {cpu['edge_upstream']:.2f} ms through the edge and "
                 f"{cpu['straight_upstream']:.2f} ms straight")
        p99 = o["p99_ms"]
        self.add("edge", "edge overhead, p99", [p99["edge"] - p99["straight"]], "ms",
                 note=f"p99 {p99['edge']:.1f} ms through the edge, {p99['straight']:.1f} ms "
                      f"straight")
        for engine, runs in bursts.items():
            self.add("edge", f"burst of 500 through the edge, settle, {engine}",
                     [r["settled_s"] for r in runs], "s",
                     note="edge journal span " + ", ".join(f"{r['journal_span_s']:.2f} s"
                                                          for r in runs))
            self.add("edge", f"refreshes per burst of 500 through the edge, {engine}",
                     [r["refreshes"] for r in runs], "", ("==", 1))


def fmt(value: float, unit: str) -> str:
    if unit == "x":
        return f"{value:.2f}x"
    if unit == "req/s":
        return f"{value:.0f} req/s"
    if unit == "ms":
        return f"{value:.1f} ms"
    if unit == "%":
        return f"{value:.1f} %"
    if unit == "s":
        return f"{value:.3f} s" if value < 0.1 else f"{value:.2f} s"
    return f"{value:.1f}" if value != int(value) else f"{value:g}"


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    browsers = "".join(f", {k} {v}" for k, v in m["browsers"].items())
    lines = [
        "# Performance", "",
        f"Generated by `{results['command']}` (`make bench`) on {results['generated']} in "
        f"{results['elapsed_s']:.0f} s; do not edit by hand, run it again.", "",
        f"Machine: {m['cpus']} CPUs, {m['platform']}, Python {m['python']}, Playwright "
        f"{m['playwright']}{browsers}. Load average (1 min): {m['load_start']:.1f} at the "
        f"start, {m['load_end']:.1f} at the end; other work on the machine shows as spread.",
        "", "| figure | value | spread (min–max, n) | target | verdict |",
        "|---|---|---|---|---|"]
    for f in results["figures"]:
        spread = "n=1" if f["n"] == 1 else \
            f"{fmt(f['min'], f['unit'])}–{fmt(f['max'], f['unit'])}, n={f['n']}"
        spread += f"; {f['note']}" if f["note"] else ""
        target = f"{SIGNS[f['target'][0]]} {fmt(f['target'][1], f['unit'])}" if f["target"] \
            else ""
        verdict = {True: "pass", False: "**FAIL**", None: ""}[f["pass"]]
        lines.append(f"| {f['label']} | {fmt(f['median'], f['unit'])} | {spread} | {target} "
                     f"| {verdict} |")
    lines += ["", "Value: the median of n runs in this run; the verdict holds it against the "
              "target (for *exactly*, every run). `python -m bench --help` lists the options; "
              "`--quick` and `--only` runs write `bench/*.partial.*` instead of this page.", ""]
    lines += [f"- {EXPLAINED[p]}" for p in PARTS if p in results["parts"]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=",".join(PARTS), metavar="PARTS",
                        help=f"comma-separated parts to run (default all: {','.join(PARTS)})")
    parser.add_argument("--browsers", default=",".join(ENGINES), metavar="LIST",
                        help="browsers to measure (default chromium,firefox)")
    parser.add_argument("--quick", action="store_true",
                        help="few iterations, small loads, a subset of the suite")
    args = parser.parse_args(argv)
    parts = [p for p in args.only.split(",") if p]
    args.browsers = [b for b in args.browsers.split(",") if b]
    if set(parts) - set(PARTS) or set(args.browsers) - set(ENGINES):
        parser.error(f"parts: {', '.join(PARTS)}; browsers: {', '.join(ENGINES)}")
    partial = args.quick or set(parts) != set(PARTS) or set(args.browsers) != set(ENGINES)
    out = REPO / "bench" / ("results.partial.json" if partial else "results.json")
    doc = REPO / ("bench/performance.partial.md" if partial else "docs/performance.md")
    started, load_start = time.monotonic(), os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        run = Run(args, Path(tmp))
        for part in PARTS:
            if part in parts:
                print(f"{part} (at {time.monotonic() - started:.0f} s) ...", flush=True)
                getattr(run, part)()
    results = {
        "generated": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": " ".join(["python -m bench", *(sys.argv[1:] if argv is None else argv)]),
        "elapsed_s": time.monotonic() - started, "parts": [p for p in PARTS if p in parts],
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version(),
                    "playwright": importlib.metadata.version("playwright"),
                    "browsers": run.versions, "load_start": load_start,
                    "load_end": os.getloadavg()[0]},
        "figures": run.figures, "raw": run.raw}
    out.write_text(json.dumps(results, indent=1) + "\n")
    doc.write_text(markdown(results))
    for f in run.figures:
        print(f"  {f['label']}: {fmt(f['median'], f['unit'])}"
              + ("" if f["pass"] is None else " pass" if f["pass"] else " FAIL"))
    print(f"wrote {out.relative_to(REPO)} and {doc.relative_to(REPO)} in "
          f"{results['elapsed_s']:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
