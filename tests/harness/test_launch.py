"""Which binary drives each engine (harness.browser.launch), without launching one."""

from __future__ import annotations

import subprocess

import pytest

from harness.browser import launch

SYSTEM = {"chromium": "/usr/bin/chromium",
          "chromium-headless-shell": "/usr/bin/chromium-headless-shell",
          "firefox-esr": "/usr/bin/firefox-esr"}


@pytest.fixture
def system(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The system's binaries (edit the dict); no Playwright browser installed; not root."""
    found = dict(SYSTEM)
    monkeypatch.setattr(launch.shutil, "which", lambda name: found.get(name))
    monkeypatch.setattr(launch, "playwright_browser", lambda engine: None)
    monkeypatch.setattr(launch, "_is_root", lambda: False)
    return found


def test_headless_chromium_runs_the_headless_shell_and_headed_the_full_browser(system):
    shell = SYSTEM["chromium-headless-shell"]
    assert launch.resolve("chromium").launch_args["executable_path"] == shell
    headed = launch.resolve("chromium", headless=False)
    assert headed.launch_args["executable_path"] == SYSTEM["chromium"]


def test_without_the_headless_shell_the_full_browser_runs_headless(system):
    del system["chromium-headless-shell"]
    assert launch.resolve("chromium").launch_args["executable_path"] == SYSTEM["chromium"]


def test_playwrights_own_browser_wins(system, monkeypatch):
    monkeypatch.setattr(launch, "playwright_browser", lambda engine: "/pw/chrome")
    assert launch.resolve("chromium") == launch.BrowserChoice("chromium", "playwright")


def _apt(system: dict[str, str], monkeypatch: pytest.MonkeyPatch,
         installs: dict[str, str]) -> list[list[str]]:
    """Root with apt-get; an `apt-get install` adds `installs` to the system. Returns the
    commands run."""
    system["apt-get"] = "/usr/bin/apt-get"
    monkeypatch.setattr(launch, "_is_root", lambda: True)
    ran: list[list[str]] = []

    def run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        ran.append(cmd)
        if cmd[1] == "install":
            system.update(installs)
        return subprocess.CompletedProcess(cmd, 0)

    monkeypatch.setattr(launch.subprocess, "run", run)
    return ran


def test_ensure_adds_the_headless_shell_beside_an_installed_chromium_as_root(system, monkeypatch):
    del system["chromium-headless-shell"]
    ran = _apt(system, monkeypatch, {"chromium-headless-shell": SYSTEM["chromium-headless-shell"]})
    assert launch.ensure(["chromium", "firefox"]) == 0
    assert ran == [["/usr/bin/apt-get", "install", "-y", "-qq", "chromium-headless-shell"]]


def test_ensure_installs_both_chromium_packages_when_no_browser_is_there(system, monkeypatch):
    for name in ("chromium", "chromium-headless-shell"):
        del system[name]
    ran = _apt(system, monkeypatch, {k: v for k, v in SYSTEM.items() if k.startswith("chromium")})
    assert launch.ensure(["chromium"]) == 0
    assert ran[-1] == ["/usr/bin/apt-get", "install", "-y", "-qq", "chromium",
                       "chromium-headless-shell"]


def test_ensure_without_root_leaves_the_full_browser_to_run_headless(system, monkeypatch):
    del system["chromium-headless-shell"]
    monkeypatch.setattr(launch.subprocess, "run", lambda *a, **k: pytest.fail(f"ran {a}"))
    assert launch.ensure(["chromium"]) == 0


def test_system_firefox_runs_over_bidi_with_playwrights_preferences(system):
    args = launch.resolve("firefox").launch_args
    assert args["channel"] == "moz-firefox" and launch.is_bidi_firefox(args)
    assert args["firefox_user_prefs"] == launch.FIREFOX_PREFS
    assert not launch.is_bidi_firefox(launch.resolve("chromium").launch_args)


def test_a_runs_own_options_go_over_the_chosen_ones():
    chosen = {"executable_path": "/usr/bin/firefox-esr", "args": ["--a"],
              "firefox_user_prefs": {"x": 1, "y": 2}}
    given = {"args": ["--b"], "firefox_user_prefs": {"y": 3}, "headless": False}
    assert launch.merge_launch_options(chosen, given) == {
        "executable_path": "/usr/bin/firefox-esr", "args": ["--a", "--b"],
        "firefox_user_prefs": {"x": 1, "y": 3}, "headless": False}
    assert launch.merge_launch_options(chosen, {}) == chosen
