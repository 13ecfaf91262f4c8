"""SECURITY-CHECKS cases 4, 8 and 9: the verifier's algorithm is pinned, never read from the token.

RFC 8725 section 3.1: "none", a public key used as an HMAC secret and any algorithm other
than the configured one are all refused, whatever the token's header says.
"""

from __future__ import annotations

import json
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.security import forge
from tests.security.answers import unauthorized
from tests.security.conftest import Target

ME = "/api/current-user"


def test_case04_alg_none_variants_and_an_empty_signature_are_401(target: Target) -> None:
    session = target.login()
    p = forge.parts(session.access)
    before = target.control.sessions()
    for alg in ("none", "None", "NONE", "nOnE"):
        # Unsigned, and unsigned but keeping the old signature; with the real claims and with
        # an elevated role (the attack "none" is for).
        for claims in (p.claims, {**p.claims, "role": "admin"}):
            for signature in (b"", p.signature):
                token = forge.compact({**p.header, "alg": alg}, claims, signature)
                r = target.get("/api/admin/stats" if claims["role"] == "admin" else ME, token)
                assert r.status_code == 401, f"alg {alg}: {r.status_code} {r.text}"
                unauthorized(r, token_sent=True)
    # The configured algorithm with its signature left empty.
    unauthorized(target.get(ME, forge.cut_signature(session.access, 0)), token_sent=True)
    assert target.control.sessions() == before
    assert target.get(ME, session.access).status_code == 200


def _public_key_as_secret(jwk: dict[str, Any]) -> dict[str, bytes]:
    """Every spelling of the published public key an attacker would try as an HMAC secret."""
    public = jwt.PyJWK(jwk).key
    spki = PublicFormat.SubjectPublicKeyInfo
    spellings = {"PEM": public.public_bytes(Encoding.PEM, spki),
                 "DER": public.public_bytes(Encoding.DER, spki),
                 "JWK JSON": json.dumps(jwk).encode()}
    spellings["PEM without its last newline"] = spellings["PEM"].rstrip(b"\n")
    if jwk["kty"] == "RSA":
        spellings["PKCS#1 PEM"] = public.public_bytes(Encoding.PEM, PublicFormat.PKCS1)
    else:
        spellings["raw"] = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return spellings


@pytest.mark.parametrize("target", ["RS256", "EdDSA"], indirect=True)
def test_case08_hmac_token_signed_with_the_public_key_is_401_not_500(target: Target) -> None:
    session = target.login()
    claims = target.claims(session)
    [jwk] = target.http.get("/.well-known/jwks.json").json()["keys"]
    for spelling, secret in _public_key_as_secret(jwk).items():
        for alg in ("HS256", "HS384", "HS512"):
            token = forge.signed(target.header(alg=alg), claims, secret)
            r = target.get(ME, token)
            assert r.status_code == 401, f"{alg} with the {spelling}: {r.status_code} {r.text}"
            unauthorized(r, token_sent=True)
    assert target.get(ME, target.sign(claims)).status_code == 200


# Algorithms an attacker can sign with the backend's own key, without knowing more.
_SAME_KEY = {"HS256": ["HS384", "HS512"], "RS256": ["RS384", "RS512", "PS256", "PS384"],
             "EdDSA": []}
_FOREIGN = ["HS256", "RS256", "PS256", "ES256", "EdDSA"]


def _other_algorithms(target: Target) -> dict[str, tuple[Any, Any, str]]:
    """name -> (header alg, signing key, algorithm actually computed)."""
    own = target.alg
    variants: dict[str, tuple[Any, Any, str]] = {}
    for alg in _SAME_KEY[own]:
        variants[f"{alg} with the backend's key"] = (alg, target.key, alg)
    spellings = {own.lower(), own.upper(), own.swapcase(), own.capitalize(), f"{own} ", f" {own}"}
    if own == "EdDSA":
        spellings.add("Ed25519")  # RFC 9864's fully-specified name: still not the pinned one
    for spelling in sorted(spellings - {own}):
        variants[f"{spelling!r} correctly signed"] = (spelling, target.key, own)
    for alg in _FOREIGN:
        if alg != own:
            variants[f"{alg} with an attacker's key"] = (alg, forge.attacker_key(alg).private, alg)
    for value in (None, [own], {own: True}, 256):
        variants[f"alg {json.dumps(value)}"] = (value, target.key, own)
    return variants


def test_case09_any_other_algorithm_or_spelling_is_401(target: Target) -> None:
    session = target.login()
    claims = target.claims(session)
    for name, (header_alg, key, computed) in _other_algorithms(target).items():
        token = forge.signed(target.header(alg=header_alg), claims, key, computed)
        r = target.get(ME, token)
        assert r.status_code == 401, f"{name}: {r.status_code} {r.text}"
        unauthorized(r, token_sent=True)
    assert target.get(ME, target.sign(claims)).status_code == 200
