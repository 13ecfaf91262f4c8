"""Signing modes, the JWKS, and the limit of five live families per user."""

from __future__ import annotations

import httpx
import jwt
import pytest

from harness.fixtures.servers import ServeBackend
from harness.seam.client import BackendClient
from mock_backend.security import TokenSigner
from tests.backend.wire import bearer, login, refresh


@pytest.mark.parametrize(("alg", "kty"), [("RS256", "RSA"), ("EdDSA", "OKP")])
def test_asymmetric_tokens_verify_with_the_published_jwks(serve_backend: ServeBackend, alg: str,
                                                          kty: str) -> None:
    server = serve_backend(alg=alg, secret=None)
    with httpx.Client(base_url=server.url) as http:
        token = login(http).access
        [key] = http.get("/.well-known/jwks.json").json()["keys"]
        assert (key["kty"], key["alg"], key["use"]) == (kty, alg, "sig")
        assert "d" not in key  # public half only
        assert jwt.get_unverified_header(token)["kid"] == key["kid"]
        public = jwt.PyJWK(key).key
        claims = jwt.decode(token, public, algorithms=[alg], audience="spa")
        assert claims["sub"] == "u1"
        assert http.get("/api/current-user", headers=bearer(token)).status_code == 200


def test_hs256_publishes_no_key(http: httpx.Client) -> None:
    assert http.get("/.well-known/jwks.json").json() == {"keys": []}


def test_sixth_login_evicts_the_least_recently_used_family(http: httpx.Client,
                                                           backend: BackendClient) -> None:
    sessions = [login(http) for _ in range(5)]
    backend.advance_clock(60)
    refresh(http, sessions[0].refresh)  # the oldest login is now the most recently used
    login(http)
    families = backend.sessions()
    assert [f.state for f in families] == ["live", "revoked", "live", "live", "live", "live"]
    assert families[1].reason == "evicted"
    assert http.get("/api/current-user", headers=bearer(sessions[1].access)).status_code == 401
    assert http.get("/api/current-user", headers=bearer(sessions[2].access)).status_code == 200


def test_other_users_do_not_count_towards_the_limit(http: httpx.Client,
                                                    backend: BackendClient) -> None:
    for _ in range(5):
        login(http, "alice")
    login(http, "bob")
    assert all(f.state == "live" for f in backend.sessions())


@pytest.mark.parametrize("alg", ["HS256", "RS256", "EdDSA"])
def test_the_signer_writes_exactly_what_pyjwt_writes(alg: str) -> None:
    """The signer assembles its tokens itself (its header and key prepared once); each is
    byte for byte the token jwt.encode makes of the same claims, and verifies."""
    signer = TokenSigner(alg, b"k" * 32 if alg == "HS256" else None, "mock-backend", "spa")
    token, jti = signer.issue(sub="u1", sid="family", role="user", now=2_000_000_000.5, ttl=900)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["jti"], claims["iat"], claims["exp"]) == (jti, 2_000_000_000, 2_000_000_900)
    signing_key = b"k" * 32 if alg == "HS256" else signer._signing_key
    assert token == jwt.encode(claims, signing_key, algorithm=alg,
                               headers={"typ": "at+jwt", "kid": signer.kid})
    fresh = TokenSigner(alg, b"k" * 32, "mock-backend", "spa")
    fresh._verify_key, fresh.kid = signer.verify_key, signer.kid  # a signer that never saw it
    assert fresh.verify(token, 2_000_000_000).jti == jti
