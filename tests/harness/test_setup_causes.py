"""A set-up step that fails names its likely cause from the journal: what a newcomer's set-up
got wrong (another API, a refused CORS preflight, a login body the API does not take, a
login token the app never used, no request at all), not a flaw of the app's refresh logic.
"""

from __future__ import annotations

from itertools import count
from typing import Any

import pytest

from harness.seam.facts import BackendFacts
from harness.seam.journal import Entry, Journal
from harness.verdicts.check import setup_cause
from mock_backend.app import create_app
from mock_backend.config import Settings
from mock_backend.facts import facts_payload

_SEQ = count(1)


@pytest.fixture(scope="module")
def facts() -> BackendFacts:
    app = create_app(Settings(secret=b"s" * 32, password_cost=1))
    return BackendFacts.from_json(facts_payload(app.state.backend))


def _entry(method: str, path: str, status: int | None, **more: Any) -> Entry:
    fields = {"access_jti": None, "refresh_family": None, "refresh_generation": None,
              "origin": None, **more}
    return Entry(seq=next(_SEQ), start=0.0, end=0.1, method=method, path=path, query="",
                 status=status, **fields)


def _cause(facts: BackendFacts, *entries: Entry, logging_in: bool = True) -> str | None:
    return setup_cause(Journal(list(entries), facts), facts, logging_in=logging_in)


def test_a_path_the_backend_does_not_serve_points_at_api_profiles(facts: BackendFacts) -> None:
    said = _cause(facts, _entry("GET", "/app.js", 200),
                  _entry("POST", "/api/auth/login", 404))
    assert said == ("the app called POST /api/auth/login, which this backend does not serve "
                    "(404); is it written for another API? see --api-profile "
                    "(docs/profiles.md)")
    # The app's own files and pages missing are not the API's business.
    assert _cause(facts, _entry("GET", "/favicon.ico", 404), logging_in=False) is None


def test_a_refused_cors_preflight_names_the_origin(facts: BackendFacts) -> None:
    said = _cause(facts, _entry("OPTIONS", "/api/login", 400, origin="http://localhost:4300"))
    assert said is not None and said.startswith(
        "the browser's CORS preflight for /api/login from http://localhost:4300 was refused "
        "(400): the app's origin is not one the backend allows"), said


@pytest.mark.parametrize("status", [415, 422])
def test_a_login_body_the_api_does_not_take_names_what_it_reads(facts: BackendFacts,
                                                                  status: int) -> None:
    said = _cause(facts, _entry("POST", "/api/login", status))
    assert said == (f"the login answered {status}: the app sent a body the backend's API does "
                    "not take (it reads json with the fields 'username' and 'password'); see "
                    "--api-profile (docs/profiles.md)")


def test_a_login_token_the_app_never_sent_asks_which_field_it_reads(
        facts: BackendFacts) -> None:
    login = _entry("POST", "/api/login", 200, issued_access_jti="j1")
    said = _cause(facts, login, _entry("GET", "/api/current-user", 401))
    assert said == ("the login was answered 200 with the access token in 'accessToken', and "
                    "the app never sent it: does it read another field? see --api-profile "
                    "(docs/profiles.md)")
    used = _entry("GET", "/api/current-user", 200, access_jti="j1")
    assert _cause(facts, login, used) is None
    # Only where the step logs in.
    assert _cause(facts, login, logging_in=False) is None


def test_no_request_at_all_asks_where_the_app_calls_the_api(facts: BackendFacts) -> None:
    assert _cause(facts) == ("no request of the app reached the backend: does the app call "
                             "the API at window.authHarnessConfig.apiBaseUrl? "
                             "(docs/contract.md)")
    assert _cause(facts, logging_in=False) is None
