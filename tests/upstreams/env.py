"""The venv of the real backends: Django, Django REST framework, SimpleJWT, dj-rest-auth and
django-cors-headers at the versions requirements.txt pins, installed from the package index
into `<repo>/.upstreams/venv`, apart from the project's own environment.

`ensure()` makes it once and returns its python. A stamp file in the venv holds the hash of
requirements.txt: when the file changes, the venv is made again from nothing. Processes that
ask at once (pytest-xdist workers) take a file lock, so one installs and the others wait.

`python -m tests.upstreams.env` does the same and prints the python's path.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
REQUIREMENTS = HERE / "requirements.txt"
ROOT = REPO / ".upstreams"
VENV = ROOT / "venv"
STAMP_NAME = "requirements.sha256"
INSTALL_TIMEOUT = 900.0


class UpstreamUnavailable(RuntimeError):
    """The real backends cannot run here; the message is one line saying why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def venv_python(where: Path = VENV) -> Path:
    return where / "bin" / "python"


def requirements_hash(requirements: Path = REQUIREMENTS) -> str:
    """The stamp: the requirements, and the interpreter the venv is made from."""
    digest = hashlib.sha256(requirements.read_bytes())
    digest.update(f"\n{sys.version_info[:2]}".encode())
    return digest.hexdigest()


# This process's answer, once known: a failed install is not tried again by every test.
_ready: Path | UpstreamUnavailable | None = None


def ensure() -> Path:
    """The python of the upstream venv, made and installed first when it is not up to date.
    Raises UpstreamUnavailable (one line) when it cannot be."""
    global _ready
    if _ready is None:
        try:
            _ready = _ensure(REQUIREMENTS, VENV)
        except UpstreamUnavailable as exc:
            _ready = exc
    if isinstance(_ready, UpstreamUnavailable):
        raise UpstreamUnavailable(_ready.reason)
    return _ready


def _ensure(requirements: Path, where: Path) -> Path:
    if not requirements.is_file():
        raise UpstreamUnavailable(f"{requirements} is missing")
    wanted = requirements_hash(requirements)
    where.parent.mkdir(parents=True, exist_ok=True)
    with open(where.parent / f".{where.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        if _stamp(where) == wanted and venv_python(where).exists():
            return venv_python(where)
        _install(requirements, where)
        (where / STAMP_NAME).write_text(wanted + "\n")
    return venv_python(where)


def _stamp(where: Path) -> str | None:
    try:
        return (where / STAMP_NAME).read_text().strip()
    except OSError:
        return None


def _install(requirements: Path, where: Path) -> None:
    """A new venv at `where` (an old one is removed first), with the requirements in it."""
    shutil.rmtree(where, ignore_errors=True)
    _run([sys.executable, "-m", "venv", str(where)], "cannot create the upstream venv")
    _run([str(venv_python(where)), "-m", "pip", "install", "-q", "--disable-pip-version-check",
          "--no-input", "-r", str(requirements)], "pip cannot install " + requirements.name)


def _run(command: list[str], failure: str) -> None:
    env = {**os.environ, "PIP_NO_INPUT": "1", "PYTHONWARNINGS": "ignore"}
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env,
                              timeout=INSTALL_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise UpstreamUnavailable(f"{failure}: no answer in {INSTALL_TIMEOUT:.0f} s") from None
    except OSError as exc:
        raise UpstreamUnavailable(f"{failure}: {exc}") from None
    if done.returncode != 0:
        raise UpstreamUnavailable(f"{failure}: {_last_error(done.stderr + done.stdout)}")


def _last_error(output: str) -> str:
    """The line of a tool's output that says what went wrong: pip's last `ERROR:` line, or
    else its last line."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("ERROR:")]
    return (errors or lines or ["(no output)"])[-1]


def main() -> int:
    try:
        print(ensure())
    except UpstreamUnavailable as exc:
        print(f"upstream venv unavailable: {exc.reason}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
