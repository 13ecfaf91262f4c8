"""The built-in profiles of the real upstream backends, proved against them: the same wire
sequences to the real backend (through an edge) and to the harness's backend run with the
profile (`mock_backend.fidelity`), and no difference between their answers but those each
test keeps on purpose, with its reason.

A kept difference is named `step: field`, as `mock_backend.fidelity` prints it before the
two values.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mock_backend.fidelity import Difference, compare
from mock_backend.profile import PROFILES_DIR, load_profile
from tests.upstreams.launcher import ACCOUNTS, Upstream

pytestmark = pytest.mark.usefixtures("upstream_env")

# SimpleJWT's JWTAuthentication lists, beside `detail` and `code`, each token class it tried
# and why it refused the token (`messages`); the drf error body is `{detail, code}`.
MESSAGES = ("SimpleJWT adds `messages` (each token class it tried) to an invalid access "
            "token's answer; the drf error body is {detail, code}")
EMPTY_REFRESH = ("dj-rest-auth's login answer in cookie mode keeps a `refresh` field, emptied "
                 "(JWT_AUTH_HTTPONLY): an app reads nothing from it")
SESSION_LOGIN = ("dj-rest-auth logs in to Django's session as well (REST_SESSION_LOGIN): "
                 "`sessionid`, and the `csrftoken` Django's login rotates; nothing on these "
                 "endpoints reads either, and the harness's backend has no session besides "
                 "the refresh family")


def _lines(differences: list[Difference]) -> list[str]:
    return [str(d) for d in differences]


def test_the_simplejwt_profile_behaves_like_simplejwt(simplejwt_upstream: Upstream) -> None:
    KEPT = {  # the differences kept on purpose, with their reasons
        "current_user.garbage: body": MESSAGES,
        "current_user.expired: body": MESSAGES,
    }
    report = compare(simplejwt_upstream.url, "simplejwt", ACCOUNTS)
    assert _lines(report.unexpected(KEPT)) == []


def test_the_dj_rest_auth_cookie_profile_behaves_like_dj_rest_auth(
        dj_rest_auth_upstream: Upstream) -> None:
    KEPT = {  # the differences kept on purpose, with their reasons
        "current_user.garbage: body": MESSAGES,
        "current_user.expired: body": MESSAGES,
        **{f"{step}: set-cookie {name}": SESSION_LOGIN
           for step in ("login", "login.form", "login.no_trailing_slash")
           for name in ("sessionid", "csrftoken")},
        **{f"{step}: set-cookie sessionid": SESSION_LOGIN
           for step in ("logout", "logout.foreign_origin")},
        **{f"{step}: body": EMPTY_REFRESH
           for step in ("login", "login.form", "login.no_trailing_slash")},
    }
    report = compare(dj_rest_auth_upstream.url, "dj-rest-auth-cookie", ACCOUNTS)
    assert _lines(report.unexpected(KEPT)) == []


def test_a_profile_that_says_otherwise_is_caught(simplejwt_upstream: Upstream,
                                                tmp_path: Path) -> None:
    """SimpleJWT's blacklist refuses a replayed token and nothing else; a simplejwt profile
    whose backend revokes the family on a replay differs where the successor is used."""
    changed = tmp_path / "simplejwt.toml"
    changed.write_text(re.sub(r"^reuse\s*=.*$", 'reuse = "revoke-family"',
                              (PROFILES_DIR / "simplejwt.toml").read_text(), flags=re.MULTILINE))
    assert load_profile(changed).behaviour.reuse == "revoke-family"

    report = compare(simplejwt_upstream.url, changed, ACCOUNTS)
    found = {d.key: (d.real, d.harness) for d in report.differences}
    # The replay itself is refused on both sides; what it did shows when the successor is used.
    assert found["refresh.successor_after_replay: status"] == ("200", "401")
    assert "refresh.replay_later: status" not in found
    assert report.real.steps["refresh.replay_later"].fields["status"] == "401"
