"""The recipe apps as the harness serves them: the libraries installed from the npm registry
at the exact versions `package-lock.json` pins, and each app bundled by esbuild into a folder
of its own (`index.html` and `app.js`) for `--spa-dir`: one esbuild run for all of them, and the
page of `examples/fetch/index.html` (the markup `apps/page.js` renders into) under a title of
their own.

`install()` runs `npm ci --ignore-scripts` into `tests/libraries/node_modules` once (no
package's install script runs; esbuild's binary comes as a package of its own): a stamp there
holds the hash of the lockfile, so a changed lockfile installs afresh. Processes that ask at once
(pytest-xdist workers) take a file lock, so one installs and the others wait.

`python -m tests.libraries.bundle [OUT]` does both and prints each app's folder, to run the
checks against one app by hand (docs/libraries.md).
"""

from __future__ import annotations

import fcntl
import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
APPS = HERE / "apps"
PAGE = HERE.parents[1] / "examples" / "fetch" / "index.html"
TITLE = "<title>A library's refresh recipe · JWT refresh</title>"
LOCKFILE = HERE / "package-lock.json"
NODE_MODULES = HERE / "node_modules"
STAMP = NODE_MODULES / ".package-lock.sha256"
ESBUILD = NODE_MODULES / ".bin" / "esbuild"
INSTALL_TIMEOUT = 600.0


# Each app's folder under `apps/`, its entry module `main.js`.
RECIPE_APPS = ("axios-auth-refresh", "axios-auth-refresh-no-dedupe", "ky", "ofetch", "rtk-query")


class LibrariesUnavailable(RuntimeError):
    """The libraries cannot be installed or bundled here; the message is one line saying why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def lock_hash() -> str:
    return hashlib.sha256(LOCKFILE.read_bytes()).hexdigest()


def install() -> None:
    """`npm ci` into node_modules, unless the stamp says it already holds this lockfile."""
    npm = shutil.which("npm")
    if npm is None:
        raise LibrariesUnavailable("npm is not installed (Node.js 20 or later with npm)")
    wanted = lock_hash()
    with open(HERE / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        if STAMP.is_file() and STAMP.read_text().strip() == wanted and ESBUILD.exists():
            return
        try:
            done = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
                                  cwd=HERE, capture_output=True, text=True,
                                  timeout=INSTALL_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise LibrariesUnavailable(f"npm ci took longer than {INSTALL_TIMEOUT:.0f} s") from None
        if done.returncode != 0:
            raise LibrariesUnavailable(f"npm ci failed: {_npm_error(done.stderr + done.stdout)}")
        STAMP.write_text(wanted + "\n")


def _npm_error(output: str) -> str:
    """The line of npm's output that says what went wrong (its `code` lines come first)."""
    errors = [line.removeprefix("npm error").strip() for line in output.splitlines()
              if line.startswith("npm error")]
    said = [e for e in errors if e and not re.match(r"(code|syscall|errno) ", e)]
    return (said or errors or ["no output"])[0]


def bundle(out: Path) -> dict[str, Path]:
    """Each app bundled into `out/<name>/`: the app's folder for `--spa-dir`, by name."""
    page = re.sub(r"<title>[^<]*</title>", lambda _: TITLE,
                  PAGE.read_text(encoding="utf-8"), count=1)
    # One run for every app, each entry written to `<name>/app.js`. A production build, as a
    # team ships it (Redux checks process.env.NODE_ENV).
    done = subprocess.run(
        [str(ESBUILD), *(f"{name}/app={APPS / name / 'main.js'}" for name in RECIPE_APPS),
         "--bundle", "--format=esm", "--platform=browser", "--target=es2022",
         "--log-level=warning", "--define:process.env.NODE_ENV=\"production\"",
         f"--outdir={out}"],
        cwd=HERE, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or ["no output"])[0]
        raise LibrariesUnavailable(f"esbuild could not bundle the apps: {first}")
    folders = {name: out / name for name in RECIPE_APPS}
    for folder in folders.values():
        (folder / "index.html").write_text(page, encoding="utf-8")
    return folders


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else Path(tempfile.mkdtemp(prefix="library-recipes-"))
    try:
        install()
        folders = bundle(out.resolve())
    except LibrariesUnavailable as exc:
        print(exc.reason, file=sys.stderr)
        return 1
    for name, folder in folders.items():
        print(f"{name}\t{folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
