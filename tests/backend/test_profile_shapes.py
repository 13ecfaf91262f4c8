"""CSRF, lost races, the race window and reuse, over every shape a profile can give the
refresh: each method and each transport the format allows (`mock_backend.profile.choices`),
with and without a CSRF header. Generated from the format, so a shape the built-in profiles
happen not to use is covered all the same.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator

import httpx
import pytest

from harness.fixtures.servers import ServeBackend
from harness.seam.client import BackendClient
from harness.seam.outsider import Outsider
from mock_backend.profile import ApiProfile, ProfileError, RefreshApi, choices, profile_from_dict

FOREIGN = "https://evil.example"
FEW_MS = 0.005
CSRF_HEADER = "X-Requested-With"


def _shape(method: str, transport: str, csrf: bool) -> ApiProfile | None:
    """The reference profile with the refresh in this shape; None where the format refuses
    the combination (a GET has no body)."""
    refresh: dict[str, object] = {"method": method, "transport": transport,
                                  "csrf_header": CSRF_HEADER if csrf else ""}
    if transport == "header":
        refresh["field"] = "X-Refresh-Token"
    if transport != "cookie":
        refresh["response"] = {"refresh_token": "refreshToken"}
    name = f"{method}-{transport}-{'csrf' if csrf else 'no-csrf'}"
    try:
        return profile_from_dict({"refresh": refresh}, source=name, name=name)
    except ProfileError:
        return None


SHAPES = [p for p in (_shape(m, t, c) for m, t, c in itertools.product(
    choices(RefreshApi, "method"), choices(RefreshApi, "transport"), (True, False)))
    if p is not None]
WITH_CSRF = [p for p in SHAPES if p.refresh.csrf_header]


def test_every_shape_the_format_allows_is_covered() -> None:
    # 2 methods x 3 transports x with/without a CSRF header, less GET with a body.
    assert len(SHAPES) == 10 and len(WITH_CSRF) == 5, [p.name for p in SHAPES]


@pytest.fixture
def speak(serve_backend: ServeBackend,
          request: pytest.FixtureRequest) -> Iterator[tuple[BackendClient, Outsider]]:
    profile: ApiProfile = request.param
    server = serve_backend(api_profile=profile)
    with BackendClient(server.url) as control, \
            Outsider(server.url, control.facts(), server.url) as client:
        yield control, client


def _logged_in(client: Outsider) -> str:
    answer = client.login("alice")
    assert answer.status_code == 200, answer.text
    value = client.refresh_value(answer)
    assert value, answer.text
    return value


def _rotate(client: Outsider, value: str) -> str:
    answer = client.refresh(value)
    assert answer.status_code == 200, answer.text
    successor = client.refresh_value(answer)
    assert successor and successor != value, answer.text
    return successor


def _states(control: BackendClient) -> list[tuple[int, str, str | None]]:
    return [(f.generation, f.state, f.reason) for f in control.sessions()]


def _refused_and_nothing_rotates(speak: tuple[BackendClient, Outsider],
                                 **flaw: object) -> None:
    """A refresh sent with `flaw` (an Outsider.refresh keyword) is refused with 403 and
    rotates nothing; the same refresh without it goes through."""
    control, client = speak
    value = _logged_in(client)
    answer = client.refresh(value, **flaw)  # type: ignore[arg-type]
    assert answer.status_code == 403, answer.text
    assert "set-cookie" not in answer.headers and "accessToken" not in answer.text
    assert _states(control) == [(0, "live", None)]
    _rotate(client, value)


@pytest.mark.parametrize("speak", WITH_CSRF, ids=[p.name for p in WITH_CSRF], indirect=True)
def test_a_refresh_without_the_profiles_csrf_header_is_refused_and_rotates_nothing(
        speak: tuple[BackendClient, Outsider]) -> None:
    # A sibling site's <img> (a GET) or form (a POST) sends no custom header.
    _refused_and_nothing_rotates(speak, csrf_header=False)


@pytest.mark.parametrize("speak", SHAPES, ids=[p.name for p in SHAPES], indirect=True)
def test_a_refresh_from_a_foreign_origin_is_refused_and_rotates_nothing(
        speak: tuple[BackendClient, Outsider]) -> None:
    _refused_and_nothing_rotates(speak, origin=FOREIGN)


@pytest.mark.parametrize("speak", SHAPES, ids=[p.name for p in SHAPES], indirect=True)
def test_a_refresh_that_loses_a_race_is_superseded_and_the_family_lives(
        speak: tuple[BackendClient, Outsider]) -> None:
    control, client = speak
    value = _logged_in(client)
    facts = control.facts()
    # The first refresh is held inside the backend once its token is checked; the second of
    # the same value arrives meanwhile and lines up behind it.
    gate = control.fault(facts.refresh.path, times=1, gate=True, at="checked")
    answers: dict[str, httpx.Response] = {}
    first = threading.Thread(target=lambda: answers.update(first=client.refresh(value)))
    first.start()
    assert gate.wait_held(1)
    second = threading.Thread(target=lambda: answers.update(second=client.refresh(value)))
    second.start()
    assert control.wait_journal(0, count=2, path=facts.refresh.path, answered=False)[0]
    gate.release()
    first.join(10)
    second.join(10)
    assert answers["first"].status_code == 200, answers["first"].text
    lost = answers["second"]
    assert lost.status_code == facts.refresh_failure_status, lost.text
    assert "superseded" in lost.text, lost.text
    assert _states(control) == [(1, "live", None)], "a lost race is not reuse"
    successor = client.refresh_value(answers["first"])
    assert successor is not None
    _rotate(client, successor)


@pytest.mark.parametrize("speak", SHAPES, ids=[p.name for p in SHAPES], indirect=True)
def test_the_previous_value_just_after_the_commit_is_superseded_and_later_revokes(
        speak: tuple[BackendClient, Outsider]) -> None:
    control, client = speak
    parent = _logged_in(client)
    successor = _rotate(client, parent)
    control.advance_clock(FEW_MS)  # another tab's refresh lands a few ms after the commit
    answer = client.refresh(parent)
    assert "superseded" in answer.text, answer.text
    assert _states(control) == [(1, "live", None)]
    control.advance_clock(control.facts().race_window + 1)  # a replay, long after
    client.refresh(parent)
    assert _states(control) == [(1, "revoked", "reuse")]
    refused = client.refresh(successor)
    assert refused.status_code == control.facts().refresh_failure_status, refused.text
