"""Tokens as the edge sees them: a backend it did not write signs them with a key it does
not have, so it reads them without verifying, names them, and spoils them on expiry."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jwt


@dataclass(frozen=True)
class TokenView:
    """What the edge can tell of a token value without its backend's key."""

    id: str  # the JWT's `jti`, else a digest of the value (an opaque token, a JWT without jti)
    exp: float | None  # the JWT's `exp`, None for an opaque token
    iat: float | None
    is_jwt: bool
    alg: str | None = None  # a JWT header's `alg`


@lru_cache(maxsize=4096)  # a token is seen on every request that carries it
def view(value: str) -> TokenView:
    claims = _claims(value)
    if claims is None:
        return TokenView(digest(value), None, None, False)
    jti = claims.get("jti")
    try:
        alg = jwt.get_unverified_header(value).get("alg")
    except jwt.PyJWTError:
        alg = None
    return TokenView(jti if isinstance(jti, str) and jti else digest(value),
                     _number(claims.get("exp")), _number(claims.get("iat")), True,
                     alg if isinstance(alg, str) else None)


def digest(value: str) -> str:
    """A short name for a value that must not appear in the journal itself."""
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()[:16]


def spoil(value: str) -> str:
    """The same token with its signature spoiled (a JWT) or its last character changed (an
    opaque value): the backend refuses it as invalid, with its own answer to an invalid
    token, as it would refuse the token once expired."""
    if not value:
        return value
    head, dot, signature = value.rpartition(".")
    if dot and signature and _claims(value) is not None:
        return f"{head}.{_flip(signature[0])}{signature[1:]}"
    return value[:-1] + _flip(value[-1])


def _flip(char: str) -> str:
    # Within the base64url alphabet, so the value keeps its shape (a parser sees a token,
    # and refuses its signature).
    return "B" if char == "A" else "A"


def _claims(value: str) -> dict[str, Any] | None:
    if value.count(".") != 2:
        return None
    try:
        claims = jwt.decode(value, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    return claims if isinstance(claims, dict) else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)
