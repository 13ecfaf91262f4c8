"""A browser served for remote use, for `connect_options` (pytest-playwright).

`playwright run-server` launches Playwright's own browsers and ignores an executable path
sent by the client, so on a machine with only system browsers it cannot serve one. This
starts Playwright's `launchServer` through the Node.js driver bundled with the Python
package, on the browser `harness.browser.launch` resolves, and prints its endpoint:

    python -m harness.browser.server chromium --host 0.0.0.0 --port 9323

Then, in the conftest of the machine running the checks:

    @pytest.fixture(scope="session")
    def connect_options():
        return {"endpoint": "ws://that-machine:9323/harness"}
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright._impl._driver import compute_driver_executable

from harness.browser.launch import (
    ENGINES,
    NoBrowserError,
    camel_case_options,
    resolve,
)
from harness.browser.nodelay import after_launch

WS_PATH = "/harness"

# Runs in the bundled Node.js: launch, print the endpoint, close when stdin closes.
_SCRIPT = """
const [pkg, engine, options] = process.argv.slice(1);
require(pkg)[engine].launchServer(JSON.parse(options)).then((server) => {
  console.log(server.wsEndpoint());
  process.stdin.on("end", () => server.close().then(() => process.exit(0)));
  process.stdin.resume();
}, (error) => { console.error(error.message); process.exit(1); });
"""


def _options(launch: dict[str, object], host: str, port: int,
             headless: bool) -> dict[str, object]:
    return {**camel_case_options(launch), "host": host, "port": port, "wsPath": WS_PATH,
            "headless": headless}


@contextmanager
def serve(engine: str, host: str = "127.0.0.1", port: int = 0,
          headless: bool = True) -> Iterator[str]:
    """Serve `engine` until the block ends; yields its WebSocket endpoint."""
    node, cli = compute_driver_executable()
    package = str(Path(cli).parent)
    launch = resolve(engine, headless).launch_args
    proc = subprocess.Popen([node, "-e", _SCRIPT, package, engine,
                             json.dumps(_options(launch, host, port, headless))],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        endpoint = proc.stdout.readline().strip()  # waits for the server, not a sleep
        if not endpoint.startswith("ws"):
            error = proc.stderr.read() if proc.stderr else ""
            raise RuntimeError(f"browser server for {engine} did not start: {error.strip()}")
        after_launch(launch, proc.pid)  # launchServer has launched it: browser/nodelay.py
        yield endpoint
    finally:
        if proc.stdin:
            proc.stdin.close()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.browser.server",
                                     description="serve a browser for connect_options")
    parser.add_argument("engine", choices=ENGINES)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--headed", action="store_true")
    args = parser.parse_args(argv)
    try:
        with serve(args.engine, args.host, args.port, headless=not args.headed) as endpoint:
            print(endpoint, flush=True)
            print("serving until stdin closes (Ctrl-D) or Ctrl-C", file=sys.stderr)
            sys.stdin.read()
    except (NoBrowserError, RuntimeError) as exc:
        print(f"python -m harness.browser.server: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
