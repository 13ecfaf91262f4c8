"""The recipe apps as the harness serves them: the libraries installed from the npm registry
at the exact versions `package-lock.json` pins, and each app bundled by esbuild into a folder
of its own (`index.html` and `app.js`) for `--spa-dir`.

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
from typing import NamedTuple

HERE = Path(__file__).resolve().parent
APPS = HERE / "apps"
LOCKFILE = HERE / "package-lock.json"
NODE_MODULES = HERE / "node_modules"
STAMP = NODE_MODULES / ".package-lock.sha256"
ESBUILD = NODE_MODULES / ".bin" / "esbuild"
INSTALL_TIMEOUT = 600.0


class RecipeApp(NamedTuple):
    """One app: its folder name, and its entry module under `apps/`."""

    name: str
    entry: str


RECIPE_APPS = (
    RecipeApp("axios-auth-refresh", "axios-auth-refresh/main.js"),
    RecipeApp("axios-auth-refresh-no-dedupe", "axios-auth-refresh-no-dedupe/main.js"),
    RecipeApp("ky", "ky/main.js"),
    RecipeApp("ofetch", "ofetch/main.js"),
    RecipeApp("rtk-query", "rtk-query/main.js"),
)


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
    folders = {}
    for app in RECIPE_APPS:
        folder = out / app.name
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(APPS / "index.html", folder / "index.html")
        # A production build, as a team ships it (Redux checks process.env.NODE_ENV).
        done = subprocess.run(
            [str(ESBUILD), str(APPS / app.entry), "--bundle", "--format=esm",
             "--platform=browser", "--target=es2022", "--log-level=warning",
             "--define:process.env.NODE_ENV=\"production\"", f"--outfile={folder / 'app.js'}"],
            cwd=HERE, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            first = (done.stderr.strip().splitlines() or ["no output"])[0]
            raise LibrariesUnavailable(f"esbuild could not bundle {app.entry}: {first}")
        folders[app.name] = folder
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
