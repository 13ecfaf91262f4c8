"""Which browser binary drives each engine: Playwright's own, else the system's.

Playwright's downloaded browsers win when present. Otherwise system Chromium is driven
through `executable_path`, and system Firefox (ESR) through WebDriver BiDi
(`channel="moz-firefox"` + `executable_path`). Headless runs take `chromium-headless-shell`
when it is installed, as Playwright takes its own headless shell: about a third of full
Chromium's cost per page. `python -m harness.browser.launch ensure` installs what is missing:
Debian packages when running as root with apt-get, else `playwright install`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

ENGINES = ("chromium", "firefox", "webkit")
SYSTEM_BINARIES = {
    "chromium": ("chromium", "chromium-browser"),
    "firefox": ("firefox-esr", "firefox"),
    "webkit": (),
}
# Headless Chromium without the full browser's UI layers, for headless runs.
HEADLESS_SHELL = "chromium-headless-shell"
DEBIAN_PACKAGES = {"chromium": ("chromium", HEADLESS_SHELL), "firefox": ("firefox-esr",)}
# As root (CI containers) Chromium's sandbox cannot start; Playwright adds the same flag.
_CHROMIUM_ROOT_ARGS = ["--no-sandbox"]
# System Firefox with the preferences Playwright's own Firefox build sets for speed
# (browser_patches/firefox/preferences/playwright.cfg): no cross-process iframes, no
# process prelaunch, and none of the password manager, form autofill, translations, spell
# check, animations or speculative connections that work on every page load. None changes
# what a page can observe. With the socket fix of harness/browser/nodelay.py, the bare
# check cycle took 0.57 s instead of 0.64 s and 10% less CPU.
# A run's own `firefox_user_prefs` are added over these.
FIREFOX_PREFS: dict[str, object] = {
    "fission.webContentIsolationStrategy": 0,
    "fission.bfcacheInParent": False,
    "dom.ipc.processPrelaunch.enabled": False,
    "signon.rememberSignons": False,
    "signon.autofillForms": False,
    "extensions.formautofill.creditCards.supported": "off",
    "extensions.formautofill.addresses.supported": "off",
    "browser.translations.enable": False,
    "layout.spellcheckDefault": 0,
    "toolkit.cosmeticAnimations.enabled": False,
    "network.http.speculative-parallel-limit": 0,
}


class NoBrowserError(RuntimeError):
    """Neither Playwright's browser nor a system browser exists for an engine."""


@dataclass(frozen=True)
class BrowserChoice:
    engine: str
    source: str  # "playwright" or "system"
    launch_args: dict[str, Any] = field(default_factory=dict)


@cache
def _playwright_executables() -> dict[str, str]:
    """Where Playwright expects its own browsers (asks a child process: no event loop here)."""
    code = ("import json; from playwright.sync_api import sync_playwright\n"
            "with sync_playwright() as p:\n"
            "    print(json.dumps({n: getattr(p, n).executable_path for n in "
            f"{list(ENGINES)!r}}}))")
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             timeout=60, check=True).stdout
        paths: dict[str, str] = json.loads(out)
        return paths
    except (subprocess.SubprocessError, ValueError):
        return {}


def playwright_browser(engine: str) -> str | None:
    path = _playwright_executables().get(engine)
    return path if path and Path(path).exists() else None


def system_browser(engine: str, headless: bool = False) -> str | None:
    names = SYSTEM_BINARIES.get(engine, ())
    if headless and engine == "chromium":
        names = (HEADLESS_SHELL, *names)
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


def resolve(engine: str, headless: bool = True) -> BrowserChoice:
    """The binary for `engine`; for a headless run, system Chromium's headless shell first."""
    if engine not in ENGINES:
        raise NoBrowserError(f"unknown browser {engine!r}: choose one of {', '.join(ENGINES)}")
    if playwright_browser(engine):
        return BrowserChoice(engine, "playwright")
    system = system_browser(engine, headless)
    if system and engine == "chromium":
        args: list[str] = list(_CHROMIUM_ROOT_ARGS) if _is_root() else []
        return BrowserChoice(engine, "system", {"executable_path": system, "args": args})
    if system and engine == "firefox":
        return BrowserChoice(engine, "system",
                             {"executable_path": system, "channel": "moz-firefox",
                              "firefox_user_prefs": dict(FIREFOX_PREFS)})
    raise NoBrowserError(how_to_get(engine))


def how_to_get(engine: str) -> str:
    ways = f"`python -m playwright install {engine}`"
    if engine in DEBIAN_PACKAGES:
        ways += f" or `apt-get install {DEBIAN_PACKAGES[engine][0]}` (Debian/Ubuntu, as root)"
    return f"no {engine} browser found: install one with {ways}"


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def ensure(engines: list[str]) -> int:
    """Install what is missing; return 0 when every engine then resolves."""
    missing = [e for e in engines if not playwright_browser(e) and not system_browser(e)]
    apt = shutil.which("apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if missing and apt and _is_root() and all(e in DEBIAN_PACKAGES for e in missing):
        packages = [p for e in missing for p in DEBIAN_PACKAGES[e]]
        print(f"installing system browsers: {' '.join(packages)}", flush=True)
        subprocess.run([apt, "update", "-qq"], check=True, env=env)
        subprocess.run([apt, "install", "-y", "-qq", *packages], check=True, env=env)
    elif missing:
        print(f"installing Playwright browsers: {' '.join(missing)}", flush=True)
        subprocess.run([sys.executable, "-m", "playwright", "install", *missing], check=False)
    elif ("chromium" in engines and apt and _is_root() and not playwright_browser("chromium")
          and not shutil.which(HEADLESS_SHELL)):
        # System Chromium without its headless shell (installed before the harness used it):
        # add the shell for faster headless runs. Without it the full browser runs headless.
        print(f"installing {HEADLESS_SHELL} (headless Chromium runs)", flush=True)
        if subprocess.run([apt, "install", "-y", "-qq", HEADLESS_SHELL], env=env).returncode:
            subprocess.run([apt, "update", "-qq"], env=env)
            subprocess.run([apt, "install", "-y", "-qq", HEADLESS_SHELL], env=env)
    _playwright_executables.cache_clear()
    failed = []
    for engine in engines:
        try:
            print(f"browser {engine}: {resolve(engine).source}")
        except NoBrowserError as exc:
            failed.append(str(exc))
    for message in failed:
        print(message, file=sys.stderr)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.browser.launch",
                                     description="Find or install the browsers the harness drives.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (("ensure", "install the missing browsers"),
                       ("show", "print which binary drives each browser")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("engines", nargs="*", default=["chromium", "firefox"], metavar="ENGINE",
                         help=f"one or more of {', '.join(ENGINES)} (default chromium firefox)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.engines) - set(ENGINES))
    if unknown:
        parser.error(f"unknown browser {', '.join(unknown)}: choose from {', '.join(ENGINES)}")
    if args.command == "ensure":
        return ensure(args.engines)
    status = 0
    for engine in args.engines:
        try:
            for mode, headless in (("headless", True), ("headed", False)):
                choice = resolve(engine, headless)
                print(f"{engine} ({mode}): {choice.source} {choice.launch_args or ''}".rstrip())
        except NoBrowserError as exc:
            print(exc)
            status = 1
    return status


def merge_launch_options(chosen: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """The resolved browser's launch options with a run's own on top: its `args` after the
    chosen ones, its `firefox_user_prefs` over the chosen preferences, the rest replaced."""
    merged = {**chosen, **given}
    if "args" in chosen and "args" in given:
        merged["args"] = [*chosen["args"], *given["args"]]
    if "firefox_user_prefs" in chosen and "firefox_user_prefs" in given:
        merged["firefox_user_prefs"] = {**chosen["firefox_user_prefs"],
                                        **given["firefox_user_prefs"]}
    return merged


def is_bidi_firefox(options: dict[str, Any]) -> bool:
    """Launch options that drive system Firefox over WebDriver BiDi."""
    return str(options.get("channel", "")).startswith("moz-firefox")


def camel_case_options(options: dict[str, object]) -> dict[str, object]:
    """Launch options spelled as Playwright's Node.js side reads them (`executablePath`)."""
    def camel(name: str) -> str:
        head, *rest = name.split("_")
        return head + "".join(part.title() for part in rest)

    return {camel(k): v for k, v in options.items()}


if __name__ == "__main__":
    sys.exit(main())
