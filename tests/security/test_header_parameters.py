"""SECURITY-CHECKS cases 10-12: header parameters that would choose the key or change the rules.

RFC 8725 section 3.10: `jku`, `x5u` and `kid` are attacker-controlled input (SSRF, path
traversal, injection); RFC 7515 section 4.1.11: a `crit` extension not understood is invalid.
Every token here is otherwise perfect, so the header parameter alone is what is refused.
"""

from __future__ import annotations

from typing import Any

from harness.servers.third_party import ThirdParty
from tests.security import forge
from tests.security.answers import quick, unauthorized
from tests.security.conftest import Target

ME = "/api/current-user"


def test_case10_jwk_jku_x5u_headers_are_401_and_nothing_is_fetched(
        target: Target, _harness_third_party: ThirdParty) -> None:
    session = target.login()
    claims = target.claims(session)
    attacker = forge.attacker_key(target.alg)
    # The attacker's own key embedded, or published on a server the attacker runs (here one
    # that records every request reaching it).
    key_headers: dict[str, dict[str, Any]] = {
        "jwk": {"jwk": attacker.public_jwk},
        "jku": {"jku": f"{_harness_third_party.url}/jwks.json"},
        "x5u": {"x5u": f"{_harness_third_party.url}/cert.pem"},
    }
    for name, extra in key_headers.items():
        # Signed with the key the header points to, and with the backend's own key: the
        # header alone is enough to refuse the token.
        for signer, key in (("the attacker", attacker.private), ("the backend", target.key)):
            r = quick(target.get(ME, target.sign(claims, target.header(**extra), key=key)))
            assert r.status_code == 401, f"{name}, signed by {signer}: {r.text}"
            unauthorized(r, token_sent=True)
    assert _harness_third_party.received == []  # no outbound request
    assert target.get(ME, target.sign(claims)).status_code == 200


HOSTILE_KIDS: list[Any] = [
    "../../../../../../dev/null", "/etc/passwd", "..\\..\\..\\windows\\win.ini", "file:///dev/null",
    "$(touch /tmp/kid-pwned)", "`id`", "x; rm -rf /", "| cat /etc/passwd",
    "' OR '1'='1", "x' UNION SELECT 'key' --", "1; DROP TABLE families; --", "\u0000", "k" * 4000,
    0, 1, 1.5, None, True, [], {}, ["kid"], {"$ne": None},
]


def test_case11_hostile_or_non_string_kid_is_401_quickly(target: Target) -> None:
    session = target.login()
    claims = target.claims(session)
    before = target.control.sessions()
    for kid in HOSTILE_KIDS:
        # Signed with the backend's key, and with the empty key a lookup of /dev/null would
        # hand an HMAC verifier.
        forged = [target.sign(claims, target.header(kid=kid)),
                  forge.signed(target.header(alg="HS256", kid=kid), claims, b"")]
        for token in forged:
            r = quick(target.get(ME, token))
            assert r.status_code == 401, f"kid {kid!r:.60}: {r.status_code} {r.text}"
            unauthorized(r, token_sent=True)
    assert target.control.sessions() == before  # the SQL text reached no store
    assert target.get(ME, target.sign(claims)).status_code == 200


CRITICAL_EXTENSIONS: list[dict[str, Any]] = [
    {"crit": ["x-unknown"], "x-unknown": True},
    {"crit": ["exp"], "exp": 0},
    {"crit": ["b64"], "b64": True},
    {"crit": []},
    {"crit": "x-unknown", "x-unknown": 1},
    {"crit": [None]},
]


def test_case12_unknown_crit_header_is_401(target: Target) -> None:
    session = target.login()
    claims = target.claims(session)
    for extra in CRITICAL_EXTENSIONS:
        r = target.get(ME, target.sign(claims, target.header(**extra)))
        assert r.status_code == 401, f"{extra}: {r.status_code} {r.text}"
        unauthorized(r, token_sent=True)
    assert target.get(ME, target.sign(claims)).status_code == 200
