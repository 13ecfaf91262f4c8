"""SECURITY-CHECKS cases 13-17: the claims of a correctly signed token are checked one by one.

Each token is signed with the backend's own key, so the claim under test is the only thing
wrong with it; every test ends by showing the unedited claims get through.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from tests.security.answers import unauthorized
from tests.security.conftest import Target

ME = "/api/current-user"


def _second() -> int:
    """A whole second, a little ahead of the wall clock."""
    return int(time.time()) + 10


def _sent_at(target: Target, second: int, token: str) -> httpx.Response:
    """`token` sent right after the backend clock was set to `second`, so the server checks
    it at that second plus the few milliseconds one request takes."""
    target.control.set_clock(second)
    return target.get(ME, token)


def _refused(target: Target, what: str, claims: Any) -> None:
    r = target.get(ME, target.sign(claims))
    assert r.status_code == 401, f"{what}: {r.status_code} {r.text}"
    unauthorized(r, token_sent=True)


def test_case13_exp_boundary_is_exact_with_no_leeway(target: Target) -> None:
    session = target.login()
    claims = target.claims(session)
    # RFC 7519 section 4.1.4: not accepted on or after exp; this backend allows no leeway.
    for offset, status in ((0, 401), (-1, 401), (1, 200)):
        now = _second()
        token = target.sign({**claims, "iat": now - 60, "exp": now + offset})
        r = _sent_at(target, now, token)
        assert r.status_code == status, f"exp = now {offset:+d}: {r.status_code} {r.text}"
        if status == 401:
            unauthorized(r, token_sent=True)
    # The token the backend issued keeps the same boundary on the backend clock.
    target.control.set_clock(claims["exp"] - 1)
    assert target.get(ME, session.access).status_code == 200
    target.control.set_clock(claims["exp"])
    unauthorized(target.get(ME, session.access), token_sent=True)


def test_case14_missing_claim_is_401(target: Target) -> None:
    claims = target.claims(target.login())
    for name in ("exp", "iat", "sub", "jti", "iss", "aud", "sid", "role"):
        _refused(target, f"without {name}", {k: v for k, v in claims.items() if k != name})
    assert target.get(ME, target.sign(claims)).status_code == 200


_NOT_STRINGS: list[Any] = [None, True, False, 0, 1, 1.5, [], {}, {"$ne": None}]
# A list holding the right audience is a valid `aud` (RFC 7519 section 4.1.3); these are not.
_NOT_AUDIENCES: list[Any] = [None, True, 0, 1.5, {}, [], [None], [1], [["spa"]], {"spa": 1}]
_NOT_NUMBERS: list[Any] = [None, True, False, "now", "1700000000", [], [1700000000], {}]


def test_case15_claims_of_the_wrong_type_are_401_never_500(target: Target) -> None:
    claims = target.claims(target.login())
    wrong: dict[str, list[Any]] = {name: [*_NOT_STRINGS, [claims[name]]]
                                   for name in ("iss", "sub", "jti", "sid", "role")}
    wrong["aud"] = _NOT_AUDIENCES
    for name in ("iat", "exp", "nbf"):
        wrong[name] = [*_NOT_NUMBERS, [claims["iat"]]]
    for name, values in wrong.items():
        for value in values:
            _refused(target, f"{name} = {value!r}", {**claims, name: value})
    assert target.get(ME, target.sign(claims)).status_code == 200


def test_case16_nbf_or_iat_in_the_future_is_401(target: Target) -> None:
    claims = target.claims(target.login())
    for name in ("nbf", "iat"):
        for ahead in (1, 60, 86400):
            now = _second()
            token = target.sign({**claims, name: now + ahead, "exp": now + 900})
            r = _sent_at(target, now, token)
            assert r.status_code == 401, f"{name} = now + {ahead}: {r.status_code} {r.text}"
            unauthorized(r, token_sent=True)
    now = _second()  # exactly now is not the future
    r = _sent_at(target, now, target.sign({**claims, "nbf": now, "iat": now, "exp": now + 900}))
    assert r.status_code == 200, r.text


def test_case17_wrong_issuer_or_audience_is_401(target: Target) -> None:
    claims = target.claims(target.login())
    iss, aud = claims["iss"], claims["aud"]
    # Prefixes and extensions of the right values too: comparison is exact, not `in`.
    for value in (iss[:-1], iss[:4], f"{iss}-evil", f"{iss} ", iss.upper(), f"https://{iss}",
                  "", "other-issuer"):
        _refused(target, f"iss {value!r}", {**claims, "iss": value})
    for value in (aud[:-1], f"{aud}2", aud.upper(), "", [f"{aud}x"], ["other"]):
        _refused(target, f"aud {value!r}", {**claims, "aud": value})
    _refused(target, "without aud", {k: v for k, v in claims.items() if k != "aud"})
    assert target.get(ME, target.sign(claims)).status_code == 200
