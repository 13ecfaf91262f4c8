"""`python -m mock_backend`: options, defaults and refusals."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mock_backend.__main__ import build_parser, settings_from_args
from mock_backend.config import ConfigError, Settings, parse_duration

OPTIONS = ["--host", "--port", "--access-ttl", "--refresh-ttl", "--alg", "--store",
           "--allow-origin", "--test-control", "--reuse-grace", "--race-window", "--cookie-name",
           "--cookie-path", "--refresh-failure-status", "--spa-dir", "--workers"]


def test_help_explains_every_option() -> None:
    out = subprocess.run([sys.executable, "-m", "mock_backend", "--help"], capture_output=True,
                         text=True, check=True).stdout
    for option in OPTIONS:
        assert option in out
    assert "expect 403" in out and "alice/alice-pass" in out


def test_defaults_match_the_design() -> None:
    s = settings_from_args(build_parser().parse_args([]))
    assert (s.access_ttl, s.refresh_ttl, s.alg, s.store) == (900, 7 * 86400, "HS256", "memory")
    assert (s.cookie_name, s.cookie_path, s.reuse_grace, s.race_window, s.test_control) == (
        "refresh_token", "/api", 0, 2, False)
    assert s.spa_dir is not None and (s.spa_dir / "index.html").is_file()
    assert s.password_cost == 14  # scrypt's n = 2**14; only test suites take less


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("15m", 900), ("7d", 604800),
                                               ("2h", 7200), ("45", 45), ("0.5s", 0.5)])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(("text", "seconds"), [("0s", 0), ("0.25", 0.25), ("1.5s", 1.5),
                                               ("1m", 60)])
def test_race_window_option_takes_a_duration(text: str, seconds: float) -> None:
    s = settings_from_args(build_parser().parse_args(["--race-window", text]))
    assert s.race_window == seconds


def test_negative_race_window_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"^race window must not be negative: -0.5s$"):
        Settings(race_window=-0.5)
    r = subprocess.run([sys.executable, "-m", "mock_backend", "--race-window=-1s"],
                       capture_output=True, text=True)
    assert r.returncode == 2, r.stderr
    assert "argument --race-window: invalid duration '-1s'" in r.stderr, r.stderr


@pytest.mark.parametrize("args", [["--access-ttl", "soon"], ["--alg", "none"],
                                  ["--refresh-failure-status", "500"]])
def test_bad_arguments_exit_2_with_a_message(args: list[str]) -> None:
    r = subprocess.run([sys.executable, "-m", "mock_backend", *args], capture_output=True,
                       text=True)
    assert r.returncode == 2 and "error:" in r.stderr, r.stderr


@pytest.mark.parametrize(("changes", "message"), [
    ({"secret": b"short"}, "at least 32"),
    ({"store": "postgres://x"}, "invalid store"),
    ({"store": "redis://127.0.0.1:6379/zero"}, "database 'zero' is not a number"),
    ({"store": "redis://:pw@/0"}, "names no host"),
    ({"allow_origins": ["http://ok.test/path"]}, "invalid origin"),
    ({"cookie_name": "__Host-x", "cookie_path": "/api"}, "__Host-"),
    ({"access_ttl": 0}, "positive"),
])
def test_unsafe_settings_are_refused(changes: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings(**changes)


@pytest.mark.parametrize(("cost", "message"), [
    (0, "0 is out of range: from 1 to 17 (log2 of scrypt's n; 14 is the default)"),
    (18, "18 is out of range: from 1 to 17 (log2 of scrypt's n; 14 is the default)"),
    (2.5, "must be an integer (log2 of scrypt's n), not 2.5"),
    (True, "must be an integer (log2 of scrypt's n), not True"),
    ("14", "must be an integer (log2 of scrypt's n), not '14'"),
])
def test_a_bad_password_cost_is_refused(cost: object, message: str) -> None:
    with pytest.raises(ConfigError) as refused:
        Settings(password_cost=cost)  # type: ignore[arg-type]
    assert str(refused.value) == f"invalid password cost: {message}"


def test_short_secret_from_environment_refuses_to_start() -> None:
    r = subprocess.run([sys.executable, "-m", "mock_backend"], capture_output=True, text=True,
                       env={"MOCK_BACKEND_SECRET": "too-short", "PATH": ""})
    assert r.returncode == 2 and "at least 32" in r.stderr, r.stderr


def test_missing_secret_warns_and_uses_a_random_one(caplog: pytest.LogCaptureFixture,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOCK_BACKEND_SECRET", raising=False)
    s = Settings()
    assert s.secret is not None and len(s.secret) >= 32
    assert "MOCK_BACKEND_SECRET is not set" in caplog.text
