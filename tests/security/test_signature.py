"""SECURITY-CHECKS cases 5-7: a signature that does not verify with the backend's key is refused."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from harness.servers.live_server import free_port
from mock_backend.config import SECRET_ENV, ConfigError, Settings
from tests.security import forge
from tests.security.answers import not_echoed, unauthorized
from tests.security.conftest import Target

ME = "/api/current-user"


def test_case05_cut_or_bit_flipped_signature_is_401_and_the_token_still_works(
        target: Target) -> None:
    token = target.login().access
    chars = len(token.rpartition(".")[2])
    bits = len(forge.parts(token).signature) * 8
    broken = {f"cut to {keep} characters": forge.cut_signature(token, keep)
              for keep in (chars - 1, chars - 2, chars // 2, 1)}
    broken |= {f"bit {bit} flipped": forge.flip_bit(token, bit)
               for bit in (0, 7, bits // 2, bits - 1)}
    before = target.control.sessions()
    for name, forged in broken.items():
        assert forged != token
        r = target.get(ME, forged)
        assert r.status_code == 401, f"{name}: {r.status_code} {r.text}"
        unauthorized(r, token_sent=True)
    # Nothing was spent or revoked by the attempts: the untouched token still works.
    assert target.get(ME, token).status_code == 200
    assert target.control.sessions() == before


def test_case06_claim_edited_under_the_old_signature_is_401_and_not_echoed(
        target: Target) -> None:
    alice, bob = target.login("alice"), target.login("bob")
    claims = target.claims(alice)
    edits = [(ME, "sub", "u2"), ("/api/admin/stats", "role", "admin"),
             (ME, "exp", claims["exp"] + 10**6), (ME, "sid", target.claims(bob)["sid"])]
    before = target.control.sessions()
    for path, name, value in edits:
        r = target.get(path, forge.with_claims(alice.access, **{name: value}))
        assert r.status_code == 401, f"{name} edited: {r.status_code} {r.text}"
        unauthorized(r, token_sent=True)
        not_echoed(r, value)
    assert target.control.sessions() == before  # bob's session was not touched either
    assert target.get(ME, alice.access).json()["username"] == "alice"


COMMON_SECRETS = [b"", b"secret", b"password", b"changeme", b"your-256-bit-secret",
                  b"secretkey", b"jwt-secret", b"mock-backend", b"spa", b"0" * 32, b"\x00" * 32]


def test_case07_token_signed_with_an_empty_or_common_secret_is_401(target: Target) -> None:
    session = target.login()
    claims = target.claims(session)
    for secret in COMMON_SECRETS:
        token = forge.signed(target.header(alg="HS256"), claims, secret)
        r = target.get(ME, token)
        assert r.status_code == 401, f"secret {secret!r}: {r.status_code} {r.text}"
        unauthorized(r, token_sent=True)
    assert target.get(ME, target.sign(claims)).status_code == 200


def test_case07_server_refuses_to_start_with_a_secret_under_32_bytes() -> None:
    # The real start, as an operator would run it (RFC 7518 section 3.2: a key at least as
    # long as the hash output).
    env = {**os.environ, SECRET_ENV: "s" * 31}
    run = subprocess.run([sys.executable, "-m", "mock_backend", "--port", str(free_port()),
                          "--no-spa"], env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "at least 32" in run.stderr and "Uvicorn running" not in run.stdout + run.stderr
    # The same rule for a key given in code, down to the empty one; 32 bytes are enough.
    for secret in (b"", b"secret", b"s" * 31):
        with pytest.raises(ConfigError, match="at least 32"):
            Settings(secret=secret)
    assert Settings(secret=b"s" * 32).secret == b"s" * 32
