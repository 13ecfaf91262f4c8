"""What the harness knows about its backend, read from the backend itself (`/__harness/facts`).

Paths, the refresh cookie, the CSRF header, lifetimes and seed data are the backend's
facts, so the checks and the harness's clients read them here instead of repeating them,
and a backend in another process (`--backend-url`) is described the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class FactsError(ValueError):
    """The backend's `/__harness/facts` answer lacks a fact the harness needs."""

    def __init__(self, key: str, detail: str = "missing") -> None:
        super().__init__(f"/__harness/facts: {key}: {detail}")
        self.key = key


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class RefreshCookie:
    """The refresh cookie as the backend sets it."""

    name: str
    path: str
    http_only: bool
    secure: bool
    same_site: str
    host_only: bool


@dataclass(frozen=True)
class SeedUser:
    """A demo user and what the backend holds for it after every reset."""

    username: str
    password: str
    email: str
    name: str
    role: str
    jobs: int


@dataclass(frozen=True)
class ApiSpelling:
    """How the backend's API profile spells requests and answers (`--api-profile`)."""

    name: str
    login_body: str  # json | form
    username_field: str
    password_field: str
    login_access_token: str
    login_expires_in: str  # "" when left out
    login_user: str  # "" when left out
    refresh_transport: str  # cookie | body | header
    refresh_field: str  # the body field or header of transport body/header
    refresh_body: str  # json | form
    refresh_extra: tuple[tuple[str, str], ...]
    refresh_access_token: str
    refresh_expires_in: str
    refresh_refresh_token: str  # the answer's field of a handed-out refresh token

    @property
    def hands_refresh_token_to_scripts(self) -> bool:
        return self.refresh_transport != "cookie"


REFERENCE_SPELLING = ApiSpelling("reference", "json", "username", "password", "accessToken",
                                 "expiresIn", "user", "cookie", "refreshToken", "json", (),
                                 "accessToken", "expiresIn", "")


@dataclass(frozen=True)
class BackendFacts:
    login: Endpoint
    refresh: Endpoint
    logout: Endpoint
    current_user: Endpoint
    list: Endpoint
    create: Endpoint
    admin: Endpoint
    api_prefix: str
    list_field: str
    cookie: RefreshCookie
    csrf_header: str
    csrf_value: str
    refresh_failure_status: int
    access_ttl: float
    refresh_ttl: float
    reuse_grace: float
    race_window: float
    alg: str
    allow_origins: tuple[str, ...]
    serves_spa: bool
    users: tuple[SeedUser, ...]
    api: ApiSpelling = REFERENCE_SPELLING

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BackendFacts:
        read = _Reader(data)
        api = {name: Endpoint(read.text(f"api.{name}.method"), read.text(f"api.{name}.path"))
               for name in ("login", "refresh", "logout", "current_user", "list", "create",
                            "admin")}
        cookie = RefreshCookie(read.text("cookie.name"), read.text("cookie.path"),
                               read.flag("cookie.http_only"), read.flag("cookie.secure"),
                               read.text("cookie.same_site"), read.flag("cookie.host_only"))
        users = tuple(SeedUser(**{k: _Reader(u).get(k, f"users[{i}].{k}", t)
                                  for k, t in (("username", str), ("password", str),
                                               ("email", str), ("name", str), ("role", str),
                                               ("jobs", int))})
                      for i, u in enumerate(read.get("users", "users", list)))
        return cls(**api, api_prefix=read.text("api_prefix"), list_field=read.text("list_field"),
                   cookie=cookie, csrf_header=read.text("csrf_header.name"),
                   csrf_value=read.text("csrf_header.value"),
                   refresh_failure_status=read.get("refresh_failure_status",
                                                   "refresh_failure_status", int),
                   access_ttl=read.number("lifetimes.access"),
                   refresh_ttl=read.number("lifetimes.refresh"),
                   reuse_grace=read.number("lifetimes.reuse_grace"),
                   race_window=read.number("lifetimes.race_window"),
                   alg=read.text("alg"),
                   allow_origins=tuple(read.get("allow_origins", "allow_origins", list)),
                   serves_spa=read.flag("serves_spa"), users=users,
                   api=_spelling(read) if "profile" in data else REFERENCE_SPELLING)

    def user(self, username: str) -> SeedUser:
        for user in self.users:
            if user.username == username:
                return user
        known = ", ".join(u.username for u in self.users)
        raise KeyError(f"the backend has no demo user {username!r} (it has {known})")

    @property
    def csrf_headers(self) -> dict[str, str]:
        """The custom header the cookie-authenticated endpoints require (none for an API
        profile without one)."""
        return {self.csrf_header: self.csrf_value} if self.csrf_header else {}

    def is_api(self, path: str) -> bool:
        """An API request, as the timeline and the report show them (not the app's files)."""
        return path.startswith(self.api_prefix) or path in {
            e.path for e in (self.login, self.refresh, self.logout, self.current_user,
                             self.list, self.create, self.admin)}


def _spelling(read: _Reader) -> ApiSpelling:
    extra = read.get("profile.refresh.extra", "profile.refresh.extra", dict)
    return ApiSpelling(
        read.text("profile.name"), read.text("profile.login.body"),
        read.text("profile.login.username_field"), read.text("profile.login.password_field"),
        read.text("profile.login.response.access_token"),
        read.text("profile.login.response.expires_in"),
        read.text("profile.login.response.user"), read.text("profile.refresh.transport"),
        read.text("profile.refresh.field"), read.text("profile.refresh.body"),
        tuple(sorted((str(k), str(v)) for k, v in extra.items())),
        read.text("profile.refresh.response.access_token"),
        read.text("profile.refresh.response.expires_in"),
        read.text("profile.refresh.response.refresh_token"))


class _Reader:
    """Reads dotted keys of a JSON object, naming the key that is missing or of a wrong type."""

    def __init__(self, data: Any) -> None:
        self._data = data

    def get(self, dotted: str, name: str, kind: type) -> Any:
        value = self._data
        for part in dotted.split("."):
            if not isinstance(value, dict) or part not in value:
                raise FactsError(name)
            value = value[part]
        if kind is int and isinstance(value, bool) or not isinstance(value, kind):
            raise FactsError(name, f"expected {kind.__name__}, got {value!r}")
        return value

    def text(self, dotted: str) -> str:
        return str(self.get(dotted, dotted, str))

    def flag(self, dotted: str) -> bool:
        return bool(self.get(dotted, dotted, bool))

    def number(self, dotted: str) -> float:
        value = self.get(dotted, dotted, object)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise FactsError(dotted, f"expected a number, got {value!r}")
        return float(value)
