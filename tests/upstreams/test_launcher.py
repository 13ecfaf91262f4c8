"""The upstream venv (env.py) and the launcher (launcher.py), apart from what the backends
answer (test_real_backends.py)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.upstreams import env
from tests.upstreams.fixtures import upstream_env_or_skip, upstream_or_skip
from tests.upstreams.launcher import UpstreamExited, start


def test_the_venv_is_installed_once_and_again_when_the_requirements_change(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("Django==5.2.19\n")
    where = tmp_path / "venv"
    installs: list[str] = []

    def install(requirements: Path, where: Path) -> None:
        installs.append(requirements.read_text())
        env.venv_python(where).parent.mkdir(parents=True, exist_ok=True)
        env.venv_python(where).touch()

    monkeypatch.setattr(env, "_install", install)
    assert env._ensure(requirements, where) == env.venv_python(where)
    assert env._ensure(requirements, where) == env.venv_python(where)
    assert installs == ["Django==5.2.19\n"]
    assert (where / env.STAMP_NAME).read_text().strip() == env.requirements_hash(requirements)

    requirements.write_text("Django==5.2.18\n")
    env._ensure(requirements, where)
    assert installs == ["Django==5.2.19\n", "Django==5.2.18\n"]


def test_a_failed_install_is_one_line_naming_pips_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    output = ("Looking in indexes: ...\n"
              "ERROR: Could not find a version that satisfies the requirement Django==0.0.1\n"
              "ERROR: No matching distribution found for Django==0.0.1\n\n")
    assert env._last_error(output) == "ERROR: No matching distribution found for Django==0.0.1"
    assert env._last_error("Traceback ...\nOSError: no space\n") == "OSError: no space"

    def failing(requirements: Path, where: Path) -> None:
        raise env.UpstreamUnavailable("pip cannot install requirements.txt: ERROR: nope")

    monkeypatch.setattr(env, "_install", failing)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("Django==0.0.1\n")
    with pytest.raises(env.UpstreamUnavailable) as raised:
        env._ensure(requirements, tmp_path / "venv")
    assert "\n" not in raised.value.reason
    assert not (tmp_path / "venv" / env.STAMP_NAME).exists()


def test_the_server_is_stopped_and_its_data_removed_after_the_block() -> None:
    with upstream_or_skip("simplejwt") as upstream:
        assert upstream.url.startswith("http://127.0.0.1:")
        assert httpx.get(upstream.url + "/api/current-user").status_code == 401
    assert upstream.process.poll() is not None
    assert not upstream.data_dir.exists()


def test_a_backend_that_cannot_start_says_why(tmp_path: Path) -> None:
    upstream_env_or_skip()
    accounts = tmp_path / "accounts.toml"
    accounts.write_text('[[account]]\nusername = "carol"\npassword = "p"\nname = "Carol"\n'
                        'role = "owner"\n')
    with pytest.raises(UpstreamExited, match=r"role: 'owner' is not one of user, admin"), \
            start("dj-rest-auth", accounts=accounts):
        pass


def test_unknown_modes_are_refused_before_anything_starts() -> None:
    with pytest.raises(ValueError, match="not one of"), start("flask"):
        pass
    with pytest.raises(ValueError, match="not one of"), start("simplejwt", auth_order="x"):
        pass


def test_an_environment_that_cannot_be_made_skips_and_fails_under_ci(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def unavailable() -> Path:
        raise env.UpstreamUnavailable("pip cannot install requirements.txt: ERROR: offline")

    monkeypatch.setattr(env, "ensure", unavailable)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="ERROR: offline"):
        upstream_env_or_skip()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="under CI=true they must be"):
        upstream_env_or_skip()
