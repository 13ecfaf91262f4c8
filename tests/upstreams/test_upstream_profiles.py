"""The API profiles of the upstream backends parse with the project's own loader, and say
what the backends were seen to do (test_real_backends.py checks them on the wire)."""

from __future__ import annotations

from mock_backend.profile import load_profile
from tests.upstreams.launcher import HERE


def test_the_simplejwt_profile() -> None:
    profile = load_profile(HERE / "simplejwt.toml")
    assert profile.name == "simplejwt"
    assert (profile.login.path, profile.login.access_token, profile.login.expires_in,
            profile.login.user) == ("/api/token/", "access", "", "")
    refresh = profile.refresh
    assert (refresh.path, refresh.transport, refresh.field, refresh.refresh_token,
            refresh.access_token, refresh.csrf_header, refresh.failure_status) == (
        "/api/token/refresh/", "body", "refresh", "refresh", "access", "", 401)
    assert profile.logout.path == "/api/token/blacklist/"
    assert profile.token_paths == {"/api/token/", "/api/token/refresh/"}


def test_the_dj_rest_auth_profile() -> None:
    profile = load_profile(HERE / "dj-rest-auth.toml")
    assert profile.name == "dj-rest-auth"
    assert (profile.login.path, profile.login.access_token, profile.login.expires_in,
            profile.login.user) == ("/api/auth/login/", "access", "", "user")
    refresh = profile.refresh
    assert (refresh.path, refresh.transport, refresh.csrf_header, refresh.access_token,
            refresh.expires_in, refresh.failure_status) == (
        "/api/auth/token/refresh/", "cookie", "", "access", "", 401)
    assert (profile.cookie_name, profile.cookie_path) == ("app-refresh", "/")
    assert profile.logout.path == "/api/auth/logout/"


def test_both_profiles_name_the_same_resources() -> None:
    for name in ("simplejwt", "dj-rest-auth"):
        resources = load_profile(HERE / f"{name}.toml").resources
        assert (resources.current_user.path, resources.list.path, resources.list_field,
                resources.create_path, resources.admin_path) == (
            "/api/current-user", "/api/job-list", "jobs", "/api/jobs", "/api/admin/stats")
