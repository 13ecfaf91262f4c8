"""One settings object for the backend; unsafe values fail fast at construction."""

from __future__ import annotations

import logging
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from mock_backend.patterns import is_cookie_name, is_header_name
from mock_backend.profile import (
    FAILURE_STATUSES,
    ApiProfile,
    ProfileError,
    check_cookie_covers,
)
from mock_backend.security import PASSWORD_COST, password_cost_problem
from mock_backend.store import REDIS_SCHEMES, redis_url_problem, redis_url_shown

log = logging.getLogger("mock_backend")

SECRET_ENV = "MOCK_BACKEND_SECRET"
MIN_SECRET_BYTES = 32
ALGORITHMS = ("HS256", "RS256", "EdDSA")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
# The settings the API profile gives unless they are set explicitly.
FROM_PROFILE = "(from the API profile)"


class ConfigError(ValueError):
    """A setting has a value the backend refuses to run with."""


def parse_duration(text: str) -> float:
    """Parse `30s`, `15m`, `7d`, `2h` or plain seconds into seconds."""
    match = _DURATION.match(str(text))
    if not match:
        raise ConfigError(f"invalid duration {text!r}: use e.g. 30s, 15m, 7d or plain seconds")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def normalize_origin(url: str) -> str:
    """Reduce `scheme://host[:port]` to its exact origin; reject anything with a path or query."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"invalid origin {url!r}: expected scheme://host[:port]")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ConfigError(f"invalid origin {url!r}: an origin has no path, query or user")
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


def default_spa_dir() -> Path:
    import spa_static

    return Path(spa_static.__file__).resolve().parent


@dataclass
class Settings:
    """Everything the app factory needs. Durations are seconds."""

    access_ttl: float = 15 * 60
    refresh_ttl: float = 7 * 86400
    alg: str = "HS256"
    store: str = "memory"
    allow_origins: list[str] = field(default_factory=list)
    test_control: bool = False
    reuse_grace: float = 0.0
    race_window: float = 2.0
    api_profile: ApiProfile = field(default_factory=ApiProfile)
    cookie_name: str = FROM_PROFILE
    cookie_path: str = FROM_PROFILE
    refresh_failure_status: int = 0  # 0: the API profile's
    spa_dir: Path | None = None
    secret: bytes | None = None
    # RS256/EdDSA: the private key (PEM) and the key id, when several processes must sign
    # and verify with one key (`--workers`); None: a new key pair and id per process.
    private_key_pem: bytes | None = None
    key_id: str | None = None
    issuer: str = "mock-backend"
    audience: str = "spa"
    csrf_header: str = FROM_PROFILE
    # None: the API profile's `behaviour.session_limit` (0: no limit). Set, it changes what
    # the backend does and not what its facts promise: a backend that breaks its promise.
    max_families_per_user: int | None = None
    max_body_bytes: int = 64 * 1024
    # log2 of scrypt's n for the demo users' password hashes (MIN_PASSWORD_COST to
    # MAX_PASSWORD_COST in mock_backend.security). Lower only where the passwords are public
    # test data anyway, as a test suite's backend may (the CLI keeps the default).
    password_cost: int = PASSWORD_COST

    def __post_init__(self) -> None:
        self._settle_profile()
        if self.access_ttl <= 0 or self.refresh_ttl <= 0:
            raise ConfigError("token lifetimes must be positive")
        if self.reuse_grace < 0:
            raise ConfigError("reuse grace must not be negative")
        if self.race_window < 0:
            raise ConfigError(f"race window must not be negative: {self.race_window:g}s")
        if self.alg not in ALGORITHMS:
            raise ConfigError(
                f"unknown algorithm {self.alg!r}: choose one of {', '.join(ALGORITHMS)}")
        if self.refresh_failure_status not in FAILURE_STATUSES:
            raise ConfigError("refresh failure status must be 400, 401 or 403")
        if not is_cookie_name(self.cookie_name):
            raise ConfigError(f"invalid cookie name {self.cookie_name!r}")
        if not self.cookie_path.startswith("/") or any(c in self.cookie_path for c in ";, "):
            raise ConfigError(f"invalid cookie path {self.cookie_path!r}: must start with /")
        if self.cookie_name == self.api_profile.cookie.access_name:
            raise ConfigError(f"cookie name {self.cookie_name!r} is the API profile's "
                              "cookie.access_name: the access cookie would replace the "
                              "refresh cookie")
        if self.cookie_name.startswith("__Host-") and self.cookie_path != "/":
            raise ConfigError("a __Host- cookie requires --cookie-path /")
        try:
            check_cookie_covers(self.api_profile, f"--cookie-path {self.cookie_path}")
        except ProfileError as exc:
            raise ConfigError(str(exc)) from None
        if self.csrf_header and not is_header_name(self.csrf_header):
            raise ConfigError(f"invalid CSRF header name {self.csrf_header!r}")
        if problem := password_cost_problem(self.password_cost):
            raise ConfigError(f"invalid password cost: {problem}")
        if self.store != "memory" and not self.store.startswith(("sqlite:", *REDIS_SCHEMES)):
            raise ConfigError(f"invalid store {self.store!r}: use memory, sqlite:PATH or "
                              "redis://HOST:PORT/DB")
        if self.store == "sqlite:":
            raise ConfigError("sqlite store needs a path: sqlite:PATH")
        if self.store.startswith(REDIS_SCHEMES) and (problem := redis_url_problem(self.store)):
            raise ConfigError(f"invalid store {redis_url_shown(self.store)!r}: {problem}")
        self.allow_origins = [normalize_origin(o) for o in self.allow_origins]
        if self.spa_dir is not None:
            self.spa_dir = Path(self.spa_dir)
            if not (self.spa_dir / "index.html").is_file():
                raise ConfigError(f"--spa-dir {self.spa_dir}: no index.html there")
        if self.secret is None and self.alg == "HS256":
            self.secret = secret_from_environment()
        if self.secret is not None and len(self.secret) < MIN_SECRET_BYTES:
            # RFC 7518 section 3.2: an HS256 key must be at least as long as the hash output.
            raise ConfigError(
                f"secret is {len(self.secret)} bytes; at least {MIN_SECRET_BYTES} required")


    def _settle_profile(self) -> None:
        """Explicit cookie, CSRF and failure settings win over the profile's, and the
        profile is rewritten with them: one source for every reader."""
        p = self.api_profile
        if self.cookie_name == FROM_PROFILE:
            self.cookie_name = p.cookie_name
        if self.cookie_path == FROM_PROFILE:
            self.cookie_path = p.cookie_path
        if self.csrf_header == FROM_PROFILE:
            self.csrf_header = p.refresh.csrf_header
        if not self.refresh_failure_status:
            self.refresh_failure_status = p.refresh.failure_status
        # A copy, not a new validation: these values are checked as settings, with the
        # settings' messages (__post_init__).
        self.api_profile = p.model_copy(update={
            "cookie": p.cookie.model_copy(update={"name": self.cookie_name,
                                                  "path": self.cookie_path}),
            "refresh": p.refresh.model_copy(update={
                "csrf_header": self.csrf_header,
                "failure_status": self.refresh_failure_status})})


def secret_from_environment() -> bytes:
    value = os.environ.get(SECRET_ENV)
    if value:
        return value.encode()
    log.warning(
        "%s is not set: using a random per-process secret; access tokens will not survive "
        "a restart and other processes cannot verify them",
        SECRET_ENV,
    )
    return secrets.token_bytes(32)
