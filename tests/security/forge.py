"""Forged access tokens: claims edited, re-encoded, re-signed; signatures cut or bit-flipped.

Nothing here checks anything: it builds the bytes an attacker would send. Signing is done
by hand (HMAC) or by PyJWT's algorithm objects, never by `jwt.encode`, which refuses some
of the keys an attacker would try (an empty secret, a public key as an HMAC secret).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from functools import cache
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

_HMAC = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def json_bytes(value: Any) -> bytes:
    """`value` as compact JSON."""
    return json.dumps(value, separators=(",", ":")).encode()


def segment(value: Any) -> str:
    """One base64url segment holding `value` as JSON (any JSON value, not only objects)."""
    return b64url(json_bytes(value))


@dataclass(frozen=True)
class Parts:
    header: dict[str, Any]
    claims: dict[str, Any]
    signature: bytes


def parts(token: str) -> Parts:
    """The decoded pieces of a compact JWS, unverified."""
    header, claims, signature = token.split(".")
    return Parts(json.loads(unb64url(header)), json.loads(unb64url(claims)), unb64url(signature))


def compact(header: Any, claims: Any, signature: bytes = b"") -> str:
    return f"{segment(header)}.{segment(claims)}.{b64url(signature)}"


def signature_for(signing_input: bytes, key: Any, alg: str) -> bytes:
    """The signature `alg` computes over `signing_input` with `key` (bytes for HMAC)."""
    if alg in _HMAC:
        return hmac.new(key, signing_input, _HMAC[alg]).digest()
    algorithm = jwt.get_algorithm_by_name(alg)
    return algorithm.sign(signing_input, key)


def signed_segments(header_segment: str, claims_segment: str, key: Any, alg: str) -> str:
    """Two encoded segments, whatever they hold (even bytes that are not JSON), signed."""
    signing_input = f"{header_segment}.{claims_segment}"
    return f"{signing_input}.{b64url(signature_for(signing_input.encode(), key, alg))}"


def signed(header: Any, claims: Any, key: Any, alg: str | None = None) -> str:
    """`header` and `claims` signed with `key` by `alg` (default: the header's own `alg`).

    Passing another `alg` than the header names forges a token whose header lies about
    how it was signed (a case variant, a confused algorithm).
    """
    return signed_segments(segment(header), segment(claims), key, alg or header["alg"])


def with_claims(token: str, **changes: Any) -> str:
    """The token with claims changed, re-encoded under its old signature."""
    p = parts(token)
    return compact(p.header, {**p.claims, **changes}, p.signature)


def with_header(token: str, **changes: Any) -> str:
    """The token with header parameters changed, re-encoded under its old signature."""
    p = parts(token)
    return compact({**p.header, **changes}, p.claims, p.signature)


def cut_signature(token: str, keep: int) -> str:
    """The token with only the first `keep` characters of its signature segment."""
    head, _, signature = token.rpartition(".")
    return f"{head}.{signature[:keep]}"


def flip_bit(token: str, bit: int) -> str:
    """The token with one bit of its decoded signature flipped (bit 0 is the first byte's top)."""
    head, _, signature = token.rpartition(".")
    raw = bytearray(unb64url(signature))
    raw[bit // 8] ^= 0x80 >> (bit % 8)
    return f"{head}.{b64url(bytes(raw))}"


@dataclass(frozen=True)
class KeyPair:
    """An attacker's own key: `private` signs, `public_jwk` is what the attacker publishes."""

    alg: str
    private: Any
    public_jwk: dict[str, Any]


@cache
def attacker_key(alg: str) -> KeyPair:
    """A key the backend never saw, of the kind `alg` needs; made once per run."""
    if alg.startswith("HS"):
        secret = b"attacker-chosen-secret-of-32-bytes!!"
        return KeyPair(alg, secret, {"kty": "oct", "k": b64url(secret), "kid": "attacker"})
    if alg == "EdDSA":
        private_ed = ed25519.Ed25519PrivateKey.generate()
        jwk = json.loads(OKPAlgorithm.to_jwk(private_ed.public_key()))
        return KeyPair(alg, private_ed, {**jwk, "kid": "attacker"})
    if alg == "ES256":
        private_ec = ec.generate_private_key(ec.SECP256R1())
        jwk = json.loads(ECAlgorithm.to_jwk(private_ec.public_key()))
        return KeyPair(alg, private_ec, {**jwk, "kid": "attacker"})
    private_rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(RSAAlgorithm.to_jwk(private_rsa.public_key()))
    return KeyPair(alg, private_rsa, {**jwk, "kid": "attacker"})
