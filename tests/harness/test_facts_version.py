"""The harness reads `/__harness/facts` only at the version it knows, and the API profile
in it by the names the profile's format gives its keys."""

from __future__ import annotations

import copy
from dataclasses import fields, is_dataclass
from typing import Any

import httpx
import pytest

from harness.fixtures.servers import ServeBackend
from harness.seam.facts import BackendFacts, FactsError
from mock_backend import load_profile


def _raw_facts(serve_backend: ServeBackend, profile: str = "reference") -> dict[str, Any]:
    server = serve_backend(api_profile=load_profile(profile))
    answer: dict[str, Any] = httpx.get(server.url + "/__harness/facts").json()
    return answer


def _as_json(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _as_json(getattr(value, f.name)) for f in fields(value)}
    return dict(value) if isinstance(value, tuple) else value


def _same_keys(whole: dict[str, Any], shape: dict[str, Any]) -> dict[str, Any]:
    """`whole` cut down to the keys of `shape` (a table of strings is a value, whole)."""
    return {k: _same_keys(whole[k], v) if isinstance(v, dict) and k != "extra" else whole[k]
            for k, v in shape.items()}


@pytest.mark.parametrize("profile", ["reference", "oauth-token-endpoint"])
def test_the_spelling_is_the_profile_part_read_by_its_own_names(
        serve_backend: ServeBackend, profile: str) -> None:
    raw = _raw_facts(serve_backend, profile)
    api = BackendFacts.from_json(raw).api
    spelled = _as_json(api)
    assert spelled == _same_keys(raw["profile"], spelled)
    assert api.name == profile
    # The names the checks use stay what they were.
    assert api.hands_refresh_token_to_scripts == (profile != "reference")
    assert api.refresh_extra == tuple(sorted(raw["profile"]["refresh"]["extra"].items()))
    assert (api.login_access_token, api.refresh_refresh_token) == (
        raw["profile"]["login"]["response"]["access_token"],
        raw["profile"]["refresh"]["response"]["refresh_token"])


@pytest.mark.parametrize(("version", "says"), [
    (None, "upgrade the backend"),
    (2, "upgrade the harness"),
    (0, "upgrade the backend"),
    ("1", "expected an integer"),
    (True, "expected an integer"),
])
def test_facts_of_another_version_are_refused_naming_the_version(
        serve_backend: ServeBackend, version: Any, says: str) -> None:
    raw = _raw_facts(serve_backend)
    if version is None:
        del raw["version"]
    else:
        raw["version"] = version
    with pytest.raises(FactsError) as caught:
        BackendFacts.from_json(raw)
    assert caught.value.key == "version", caught.value
    assert str(caught.value).startswith("/__harness/facts: version: ") and says in str(
        caught.value), caught.value


@pytest.mark.parametrize("dotted", ["profile", "profile.refresh.transport",
                                    "profile.login.response.access_token",
                                    "profile.refresh.extra"])
def test_a_missing_part_of_the_profile_is_named(serve_backend: ServeBackend,
                                                dotted: str) -> None:
    raw = copy.deepcopy(_raw_facts(serve_backend))
    *parents, last = dotted.split(".")
    table = raw
    for part in parents:
        table = table[part]
    del table[last]
    with pytest.raises(FactsError) as caught:
        BackendFacts.from_json(raw)
    assert caught.value.key.startswith(dotted), caught.value
