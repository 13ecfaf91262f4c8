"""Access tokens (JWT), refresh-token values and password hashes. Pure: no web imports.

Rules (RFC 8725): the verifier pins one algorithm and never takes it from the token;
every claim the design relies on is required and type-checked; keys referenced by the
token header (jwk, jku, x5u) are never used.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import warnings
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from jwt.algorithms import OKPAlgorithm, RSAAlgorithm, get_default_algorithms
from jwt.utils import base64url_encode
from jwt.warnings import InsecureKeyLengthWarning

ACCESS_TOKEN_TYPE = "at+jwt"
REQUIRED_CLAIMS = ("iss", "aud", "sub", "jti", "iat", "exp", "sid", "role")
_FORBIDDEN_HEADERS = ("jwk", "jku", "x5u", "x5c", "crit")
# Tokens whose signature and time-independent claims already passed, by their exact text.
# An SPA sends one access token with every call until it expires, and the journal reads
# the token the route verifies: decoding it (PyJWT checks each base64 character in Python)
# cost more than the rest of such a request. Tokens that fail are never kept.
VERIFIED_CACHE_SIZE = 4096


def new_private_key_pem(alg: str) -> bytes | None:
    """A new private key for RS256 or EdDSA as unencrypted PKCS #8 PEM; None for HS256."""
    if alg == "HS256":
        return None
    key = (rsa.generate_private_key(public_exponent=65537, key_size=2048) if alg == "RS256"
           else ed25519.Ed25519PrivateKey.generate())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _loaded(pem: bytes | None, kind: type) -> Any:
    if pem is None:
        return None
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, kind):
        raise ValueError(f"the private key is not a {kind.__name__}")
    return key


class InvalidAccessToken(Exception):
    """The bearer token is not an access token this backend issued and still honours."""


@dataclass(frozen=True)
class AccessClaims:
    sub: str
    sid: str
    role: str
    jti: str
    iat: int
    exp: int


class TokenSigner:
    """Issues and verifies access tokens with one pinned algorithm and one key."""

    def __init__(self, alg: str, secret: bytes | None, issuer: str, audience: str,
                 private_key_pem: bytes | None = None, kid: str | None = None) -> None:
        """RS256 and EdDSA make a new key pair unless `private_key_pem` gives one; the key id
        is random unless given (processes that verify each other's tokens share both)."""
        self.alg = alg
        self.issuer = issuer
        self.audience = audience
        self.kid = kid or secrets.token_hex(8)
        self._public_jwk: dict[str, Any] | None = None
        self._verified: dict[str, dict[str, Any]] = {}
        self._verified_lock = threading.Lock()
        if alg == "HS256":
            if not secret:
                raise ValueError("HS256 needs a secret")
            self._signing_key: Any = secret
            self._verify_key: Any = secret
        elif alg == "RS256":
            private = _loaded(private_key_pem, rsa.RSAPrivateKey) or \
                rsa.generate_private_key(public_exponent=65537, key_size=2048)
            self._signing_key, self._verify_key = private, private.public_key()
            self._public_jwk = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
        elif alg == "EdDSA":
            private_ed = _loaded(private_key_pem, ed25519.Ed25519PrivateKey) or \
                ed25519.Ed25519PrivateKey.generate()
            self._signing_key, self._verify_key = private_ed, private_ed.public_key()
            self._public_jwk = json.loads(OKPAlgorithm.to_jwk(private_ed.public_key()))
        else:
            raise ValueError(f"unsupported algorithm {alg!r}")
        # What jwt.encode does for every token, done once: the key's checks (PyJWT tries
        # to read an HMAC secret as a PEM, SSH or DER key each time) and the header, which
        # is the same for every token.
        self._algorithm = get_default_algorithms()[alg]
        self._prepared_key = self._algorithm.prepare_key(self._signing_key)
        self._key_length_warning = self._algorithm.check_key_length(self._prepared_key)
        header = {"typ": ACCESS_TOKEN_TYPE, "alg": alg, "kid": self.kid}
        self._header_segment = base64url_encode(
            json.dumps(header, separators=(",", ":"), sort_keys=True).encode())

    @property
    def verify_key(self) -> Any:
        return self._verify_key

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        """The public keys (RFC 7517); empty for HS256, whose key is secret."""
        if self._public_jwk is None:
            return {"keys": []}
        return {"keys": [{**self._public_jwk, "kid": self.kid, "alg": self.alg, "use": "sig"}]}

    def issue(self, *, sub: str, sid: str, role: str, now: float, ttl: float) -> tuple[str, str]:
        """Return (token, jti)."""
        jti = secrets.token_urlsafe(16)
        iat = int(now)
        payload = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": sub,
            "jti": jti,
            "iat": iat,
            "exp": iat + int(ttl),
            "sid": sid,
            "role": role,
        }
        token = self._encode(payload)
        # Exactly what verifying it would give: our header, our signature, every claim.
        self._remember(token, payload)
        return token, jti

    def _encode(self, payload: dict[str, Any]) -> str:
        """Byte for byte `jwt.encode(payload, key, algorithm=alg, headers={"typ": "at+jwt",
        "kid": kid})`."""
        if self._key_length_warning:
            warnings.warn(self._key_length_warning, InsecureKeyLengthWarning, stacklevel=3)
        signing_input = self._header_segment + b"." + base64url_encode(
            json.dumps(payload, separators=(",", ":")).encode("utf-8"))
        signature = self._algorithm.sign(signing_input, self._prepared_key)
        return (signing_input + b"." + base64url_encode(signature)).decode("utf-8")

    def verify(self, token: str, now: float) -> AccessClaims:
        """Verify signature and claims against the backend clock's `now`.

        Never pass `algorithms` taken from the token: it is pinned to the configured one.
        """
        return _check_claims(self._verified_payload(token), now)

    def _verified_payload(self, token: str) -> dict[str, Any]:
        """Everything but the time: header, signature, issuer, audience, required claims.
        Raises InvalidAccessToken."""
        payload = self._verified.get(token)
        if payload is not None:
            return payload
        try:
            header = jwt.get_unverified_header(token)
            _check_header(header, self.kid)
            payload = jwt.decode(
                token,
                self._verify_key,
                algorithms=[self.alg],
                audience=self.audience,
                issuer=self.issuer,
                # exp/iat/nbf are checked against the backend clock, not the wall clock.
                options={"require": list(REQUIRED_CLAIMS), "verify_exp": False,
                         "verify_iat": False, "verify_nbf": False},
            )
        except jwt.PyJWTError as exc:  # InvalidKeyError is not an InvalidTokenError
            raise InvalidAccessToken(type(exc).__name__) from None
        self._remember(token, payload)
        return payload

    def _remember(self, token: str, payload: dict[str, Any]) -> None:
        with self._verified_lock:
            if len(self._verified) >= VERIFIED_CACHE_SIZE:
                del self._verified[next(iter(self._verified))]  # the oldest
            self._verified[token] = payload

    def unverified_jti(self, token: str) -> str | None:
        """The jti of a token whose signature is ours, ignoring expiry; for the journal."""
        payload = self._verified.get(token)
        if payload is None:
            try:
                payload = jwt.decode(token, self._verify_key, algorithms=[self.alg],
                                     options={"verify_exp": False, "verify_aud": False,
                                              "verify_iat": False, "verify_nbf": False})
            except jwt.PyJWTError:
                return None
        jti = payload.get("jti")
        return jti if isinstance(jti, str) else None


def _check_header(header: dict[str, Any], kid: str) -> None:
    if header.get("typ") != ACCESS_TOKEN_TYPE:
        raise InvalidAccessToken("wrong typ")
    if any(name in header for name in _FORBIDDEN_HEADERS):
        raise InvalidAccessToken("header references a key or unknown extension")
    if "kid" in header and header["kid"] != kid:
        raise InvalidAccessToken("unknown kid")


def _int_claim(payload: dict[str, Any], name: str) -> int:
    value = payload.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidAccessToken(f"{name} must be an integer")
    return value


def _str_claim(payload: dict[str, Any], name: str) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidAccessToken(f"{name} must be a non-empty string")
    return value


def _check_claims(payload: dict[str, Any], now: float) -> AccessClaims:
    exp = _int_claim(payload, "exp")
    iat = _int_claim(payload, "iat")
    if now >= exp:  # RFC 7519 4.1.4: must not be accepted on or after exp; no leeway
        raise InvalidAccessToken("expired")
    if iat > now:
        raise InvalidAccessToken("issued in the future")
    if "nbf" in payload and _int_claim(payload, "nbf") > now:
        raise InvalidAccessToken("not yet valid")
    return AccessClaims(
        sub=_str_claim(payload, "sub"),
        sid=_str_claim(payload, "sid"),
        role=_str_claim(payload, "role"),
        jti=_str_claim(payload, "jti"),
        iat=iat,
        exp=exp,
    )


def new_refresh_value() -> str:
    """An opaque refresh token: 256 random bits (RFC 9700 4.14: unguessable)."""
    return secrets.token_urlsafe(32)


def hash_refresh_value(value: str) -> str:
    """Only this digest is stored; the value itself never is."""
    return hashlib.sha256(value.encode()).hexdigest()


# Password hashes: scrypt with r=8, p=1 and a 32-byte digest of a fresh 16-byte salt. The
# cost is log2 of scrypt's n, a setting of the backend (`Settings.password_cost`), and is
# part of the hash, `scrypt$<cost>$<salt hex>$<digest hex>`: a hash is checked with the cost
# it was made with, whatever the setting is now.
PASSWORD_COST = 14  # n = 2**14: 16 MiB and about 30 ms of CPU per check
# 1 is the least scrypt takes (n = 2); 17 is what OWASP's Password Storage Cheat Sheet asks
# of scrypt (n = 2**17 with r = 8: 128 MiB per check), and more would only cost memory.
MIN_PASSWORD_COST, MAX_PASSWORD_COST = 1, 17
_SCRYPT_R, _SCRYPT_P, _SCRYPT_DKLEN = 8, 1, 32


def password_cost_problem(cost: object) -> str | None:
    """Why `cost` is not a password cost this backend takes, or None."""
    if isinstance(cost, bool) or not isinstance(cost, int):
        return f"must be an integer (log2 of scrypt's n), not {cost!r}"
    if not MIN_PASSWORD_COST <= cost <= MAX_PASSWORD_COST:
        return (f"{cost} is out of range: from {MIN_PASSWORD_COST} to {MAX_PASSWORD_COST} "
                f"(log2 of scrypt's n; {PASSWORD_COST} is the default)")
    return None


def _scrypt(password: str, salt: bytes, cost: int) -> bytes:
    n = 2**cost
    # OpenSSL refuses more than 32 MiB unless told: what it counts, 128 * r * (n + p + 2)
    # bytes, and 1 MiB of room.
    maxmem = 128 * _SCRYPT_R * (n + _SCRYPT_P + 2) + 2**20
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=_SCRYPT_R, p=_SCRYPT_P,
                          dklen=_SCRYPT_DKLEN, maxmem=maxmem)


def hash_password(password: str, salt: bytes | None = None, *, cost: int = PASSWORD_COST) -> str:
    if problem := password_cost_problem(cost):
        raise ValueError(f"password cost {problem}")
    salt = salt or secrets.token_bytes(16)
    return f"scrypt${cost}${salt.hex()}${_scrypt(password, salt, cost).hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Check `password` against a hash of `hash_password`, with the cost the hash names."""
    scheme, cost_text, salt_hex, digest_hex = stored.split("$")
    cost = int(cost_text) if cost_text.isascii() and cost_text.isdigit() else -1
    if scheme != "scrypt" or password_cost_problem(cost):
        raise ValueError(f"not a password hash of this backend: {scheme}${cost_text}$...")
    candidate = _scrypt(password, bytes.fromhex(salt_hex), cost)
    return hmac.compare_digest(candidate.hex(), digest_hex)
