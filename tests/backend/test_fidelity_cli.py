"""`python -m mock_backend.fidelity`: bad input is exit 2 and one line naming it; what it
observes and compares, without a real backend."""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.servers.live_server import LiveServer, free_port
from mock_backend import Settings, create_app, load_profile
from mock_backend.fidelity import (
    PROG,
    Observation,
    Observations,
    differences,
    main,
    parse_set_cookie,
)
from mock_backend.profile import PROFILES_DIR
from mock_backend.security import MIN_PASSWORD_COST

ACCOUNTS = """\
[[account]]
username = "admin"
password = "admin-pass"
name = "Ada Admin"
role = "admin"

[[account]]
username = "alice"
password = "alice-pass"
name = "Alice Anders"
"""


@pytest.fixture
def accounts(tmp_path: Path) -> Path:
    path = tmp_path / "accounts.toml"
    path.write_text(ACCOUNTS)
    return path


def _bad(tmp_path: Path, case: str, accounts: Path) -> tuple[list[str], str]:
    """The arguments of a bad-input case, and what its line must say."""
    unreachable = f"http://127.0.0.1:{free_port()}"
    broken = tmp_path / "broken.toml"
    broken.write_text("[login\n")
    unknown_key = tmp_path / "unknown.toml"
    unknown_key.write_text("[login]\nroute = \"/x\"\n")
    no_role = tmp_path / "role.toml"
    no_role.write_text(ACCOUNTS.replace('role = "admin"', 'role = "root"'))
    args = {"upstream": "http://127.0.0.1:9", "api-profile": "simplejwt",
            "accounts": str(accounts)}
    extra: list[str] = []
    said = {
        "url": ("upstream", "ftp://example.test", "--upstream ftp://example.test: expected "
                                                  "http(s)://host:port"),
        "unreachable": ("upstream", unreachable, f"--upstream {unreachable}: no answer ("),
        "profile name": ("api-profile", "no-such-profile",
                         "no-such-profile: api-profile: no such file, and not a built-in"),
        "profile toml": ("api-profile", str(broken), f"{broken}: api-profile: not valid TOML"),
        "profile key": ("api-profile", str(unknown_key), f"{unknown_key}: login.route: "
                                                         "unknown key"),
        "accounts file": ("accounts", str(tmp_path / "none.toml"),
                          f"{tmp_path / 'none.toml'}: no such file"),
        "accounts key": ("accounts", str(no_role), f"{no_role}: account[1].role: "),
        "account": ("accounts", str(accounts), "--account carol: not in the accounts file "
                                               "(known: admin, alice)"),
    }
    key, value, line = said[case]
    args[key] = value
    if case == "account":
        extra = ["--account", "carol"]
    return [*(x for k, v in args.items() for x in (f"--{k}", v)), *extra], line


@pytest.mark.parametrize("case", ["url", "unreachable", "profile name", "profile toml",
                                  "profile key", "accounts file", "accounts key", "account"])
def test_bad_input_is_exit_2_and_one_line_naming_it(case: str, tmp_path: Path, accounts: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    args, line = _bad(tmp_path, case, accounts)
    assert main(args) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1, err
    assert err.startswith(f"{PROG}: error: {line}"), err


def test_the_module_runs_as_a_command(tmp_path: Path, accounts: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "mock_backend.fidelity", "--upstream",
                           "ftp://example.test", "--api-profile", "simplejwt", "--accounts",
                           str(accounts)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr.splitlines() == [f"{PROG}: error: --upstream ftp://example.test: "
                                        f"expected http(s)://host:port"]


# --- What it compares -----------------------------------------------------------------------

def _side(side: str, **steps: dict[str, str]) -> Observations:
    return Observations(side, "http://127.0.0.1:1", "alice",
                        {name: Observation(name, fields) for name, fields in steps.items()})


def test_differences_are_field_by_field_and_kept_ones_are_left_out() -> None:
    real = _side("real", refresh={"status": "200", "body": "{access, refresh}"},
                 logout={"status": "200", "body": "{}", "set-cookie sessionid": "cleared"})
    ours = _side("harness", refresh={"status": "200", "body": "{access, refresh}"},
                 logout={"status": "204", "body": "empty"})
    found = [str(d) for d in differences(real, ours)]
    assert found == ["logout: status: real=200 harness=204",
                     "logout: body: real={} harness=empty",
                     "logout: set-cookie sessionid: real=cleared harness=absent"]
    assert [str(d) for d in differences(real, ours, allowed={
        "logout: body": "why", "logout: set-cookie sessionid": "why"})] == [found[0]]


def test_a_step_one_side_could_not_run_is_one_difference() -> None:
    real = _side("real", logout={"status": "200"})
    ours = Observations("harness", "http://127.0.0.1:2", "alice",
                        {"logout": Observation("logout", skipped="its login answered 401 "
                                                                 "{detail}")})
    assert [str(d) for d in differences(real, ours)] == [
        "logout: run: real=run harness=not run (its login answered 401 {detail})"]


def test_a_step_that_stopped_alike_on_both_sides_is_still_a_difference() -> None:
    # Two sides that both failed to observe a step have not agreed on it.
    stopped = Observation("refresh.concurrent", skipped="the gate did not hold the 20 "
                                                        "refreshes within 30 s")
    real = Observations("real", "http://127.0.0.1:1", "alice", {"refresh.concurrent": stopped})
    ours = Observations("harness", "http://127.0.0.1:2", "alice",
                        {"refresh.concurrent": stopped})
    assert [d.key for d in differences(real, ours)] == ["refresh.concurrent: run"]


@pytest.mark.parametrize(("header", "shown"), [
    ("app-refresh=eyJ; expires=Fri, 01 Jan 2100 00:00:00 GMT; HttpOnly; Max-Age=86400; "
     "Path=/; SameSite=Lax", "persistent; HttpOnly; Path=/; SameSite=Lax"),
    ("refresh_token=abc; HttpOnly; Max-Age=60; Path=/api; SameSite=strict; Secure",
     "persistent; HttpOnly; Path=/api; SameSite=Strict; Secure"),
    ('app-auth=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax',
     "cleared; Path=/"),
    ("csrftoken=x; Path=/", "session; Path=/"),
])
def test_a_set_cookie_is_its_lifetime_and_attributes_not_its_value(header: str,
                                                                    shown: str) -> None:
    assert parse_set_cookie(header).shown() == shown


# --- A backend agrees with itself ---------------------------------------------------------------

@pytest.fixture
def one_wins(tmp_path: Path) -> Path:
    """The simplejwt profile with one winner of concurrent refreshes: what the harness's
    backend answers then does not hang on its race window, which the check moves on one
    side only (the edge cannot move its upstream's clock)."""
    path = tmp_path / "simplejwt-one-wins.toml"
    text = (PROFILES_DIR / "simplejwt.toml").read_text()
    path.write_text(re.sub(r"^concurrent_refresh\s*=.*$", 'concurrent_refresh = "one-wins"',
                           text, flags=re.MULTILINE))
    assert load_profile(path).behaviour.concurrent_refresh == "one-wins"
    return path


@pytest.fixture
def upstream(one_wins: Path) -> Iterator[str]:
    """The harness's backend with that profile, without its test-control API: a backend the
    fidelity check reaches only through an edge, as it reaches a real one."""
    settings = Settings(api_profile=load_profile(one_wins), spa_dir=None,
                        password_cost=MIN_PASSWORD_COST, secret=secrets.token_bytes(32))
    with LiveServer(create_app(settings), url_host="127.0.0.1") as server:
        assert httpx.get(server.url + "/__harness/facts").status_code == 404
        yield server.url


def test_the_harness_backend_as_its_own_upstream_agrees(upstream: str, one_wins: Path,
                                                        accounts: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    code = main(["--upstream", upstream, "--api-profile", str(one_wins), "--accounts",
                 str(accounts)])
    out, err = capsys.readouterr()
    assert (code, out) == (0, ""), out
    assert re.fullmatch(r"simplejwt-one-wins: the sides agree on all \d+ steps\n", err), err
