"""The API profile's format is declared once, by the models in mock_backend/profile.py: the
loader, the docs' table of keys, `reference.toml` and the facts' `profile` part all
follow them, and the settings spell cookie and header names by the same rules."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from harness.fixtures.servers import TEST_SECRET, ServeBackend
from mock_backend.config import ConfigError, Settings
from mock_backend.profile import (
    PROFILES_DIR,
    ApiProfile,
    ProfileError,
    builtin_names,
    load_profile,
    profile_from_dict,
    profile_keys,
    profile_keys_table,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

PROFILES_DOC = Path(__file__).resolve().parents[2] / "docs" / "profiles.md"
SECTION = re.compile(r"<!-- profile-keys:.*?-->\n(.*?)<!-- /profile-keys -->", re.S)


def test_the_readme_table_of_keys_is_the_one_the_model_writes() -> None:
    found = SECTION.search(PROFILES_DOC.read_text())
    assert found, "docs/profiles.md has no <!-- profile-keys: ... --> section"
    assert found.group(1) == profile_keys_table(), (
        "docs/profiles.md's table of API profile keys differs from the model's; replace it with "
        "the output of: python -c 'from mock_backend.profile import profile_keys_table as t; "
        "print(t(), end=\"\")'")


def _leaves(table: dict[str, Any], keys: set[str], prefix: str = "") -> dict[str, Any]:
    """A TOML document's keys, dotted, down to the format's keys (`extra` is a key whose
    value is a table)."""
    found: dict[str, Any] = {}
    for name, value in table.items():
        key = prefix + name
        if key not in keys and isinstance(value, dict):
            found.update(_leaves(value, keys, key + "."))
        else:
            found[key] = value
    return found


def test_reference_toml_lists_every_key_of_the_format_at_its_default() -> None:
    # docs/profiles.md tells teams to start from it: it must show the whole format, as it is.
    keys = {k.key: k.default for k in profile_keys()}
    written = _leaves(tomllib.loads((PROFILES_DIR / "reference.toml").read_text()), set(keys))
    assert written == keys


def test_every_key_has_a_meaning_for_the_docs() -> None:
    assert [k.key for k in profile_keys() if not k.meaning or not k.value] == []


@pytest.mark.parametrize("name", builtin_names())
def test_a_profile_reads_back_from_its_description(name: str) -> None:
    # The facts' `profile` part is the file format itself: a client could write it back.
    profile = load_profile(name)
    described = profile.describe()
    assert described["name"] == name
    tables = {k: v for k, v in described.items() if k != "name"}
    assert profile_from_dict(tables, name=name) == profile
    assert ApiProfile.model_validate(described) == profile


def test_a_profile_is_frozen_and_refuses_keys_it_does_not_declare() -> None:
    profile = load_profile("simplejwt")
    with pytest.raises(ValidationError):
        profile.refresh.transport = "cookie"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        ApiProfile.model_validate({"refresh": {"trasnport": "body"}})


UNKNOWN_OR_MISPLACED = [
    # The known keys are the file's names (the resources' paths), not Python's.
    ({"resources": {"lists": "/x"}}, "resources.lists: unknown key (known: current_user, "
                                     "list, list_field, create, admin)"),
    ({"login": {"response": {"token": "t"}}}, "login.response.token: unknown key (known: "
                                              "access_token, token_type, expires_in, user)"),
    ({"login": {"response": "accessToken"}}, "login.response: must be a table"),
    ({"cookie": ["x"]}, "cookie: must be a table"),
    ({"name": "mine"}, "name: unknown table (known: login, refresh, logout, cookie, "
                       "resources, behaviour)"),
    ({"refresh": {"method": "GET", "extra": {"a": "b"}}},
     "refresh.extra: fixed fields need a body (method POST)"),
    ({"refresh": {"extra": {"grant_type": 1}}}, "refresh.extra: {'grant_type': 1} is not a "
                                                "table of strings"),
    ({"refresh": {"failure_status": "401"}}, "refresh.failure_status: '401' is not one of "
                                             "400, 401, 403"),
    ({"resources": {"admin": "/__harness/x"}}, "resources.admin: '/__harness/x' is reserved"),
    ({"resources": {"create": "/api/login"}}, "resources.create: POST /api/login is also "
                                              "login.path"),
    ({"login": {"username_field": "password"}}, "login.password_field: is the same as "
                                                "username_field"),
]


@pytest.mark.parametrize(("data", "says"), UNKNOWN_OR_MISPLACED)
def test_a_bad_key_is_one_line_naming_it(data: dict[str, Any], says: str) -> None:
    with pytest.raises(ProfileError) as caught:
        profile_from_dict(data, source="my-api.toml")
    message = str(caught.value)
    assert message.startswith("my-api.toml: ") and says in message, message
    assert "\n" not in message, message


def test_an_empty_extra_table_is_no_fixed_field_even_with_get() -> None:
    profile = profile_from_dict({"refresh": {"method": "GET", "extra": {}}})
    assert profile.refresh.extra == {} and profile.refresh.method == "GET"


@pytest.mark.parametrize("name", ["refresh_token", "__Host-rt", "a;b", "a b", "é", ""])
def test_settings_and_profiles_accept_the_same_cookie_names(name: str) -> None:
    try:
        profile_from_dict({"cookie": {"name": name}})
        in_profile = True
    except ProfileError:
        in_profile = False
    try:
        Settings(secret=TEST_SECRET, cookie_name=name, cookie_path="/")
        in_settings = True
    except ConfigError:
        in_settings = False
    assert in_profile == in_settings == bool(re.fullmatch(r"[A-Za-z0-9_-]+", name))


@pytest.mark.parametrize("name", ["X-CSRF", "X_CSRF", "X CSRF", "X:Y", ""])
def test_settings_and_profiles_accept_the_same_csrf_header_names(name: str) -> None:
    try:
        profile_from_dict({"refresh": {"csrf_header": name}})
        in_profile = True
    except ProfileError:
        in_profile = False
    try:
        Settings(secret=TEST_SECRET, csrf_header=name)
        in_settings = True
    except ConfigError:
        in_settings = False
    assert in_profile == in_settings == bool(re.fullmatch(r"([A-Za-z0-9-]+)?", name))


@pytest.mark.parametrize("name", ["reference", "oauth-token-endpoint", "seed-cookie-get"])
def test_the_facts_carry_version_1_and_the_profile_as_the_model_describes_it(
        serve_backend: ServeBackend, name: str) -> None:
    server = serve_backend(api_profile=load_profile(name))
    facts = httpx.get(server.url + "/__harness/facts").json()
    assert facts["version"] == 1
    assert facts["profile"] == load_profile(name).describe()


def test_the_facts_profile_has_the_settings_given_beside_it(serve_backend: ServeBackend) -> None:
    server = serve_backend(api_profile=load_profile("nestjs-cookie"), cookie_name="rt",
                           csrf_header="X-CSRF", refresh_failure_status=403)
    profile = httpx.get(server.url + "/__harness/facts").json()["profile"]
    assert profile["cookie"] == {"name": "rt", "path": "/auth", "same_site": "Lax",
                                 "secure": False, "access_name": ""}
    assert (profile["refresh"]["csrf_header"], profile["refresh"]["failure_status"]) == (
        "X-CSRF", 403)
