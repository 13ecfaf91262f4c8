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
                   serves_spa=read.flag("serves_spa"), users=users)

    def user(self, username: str) -> SeedUser:
        for user in self.users:
            if user.username == username:
                return user
        known = ", ".join(u.username for u in self.users)
        raise KeyError(f"the backend has no demo user {username!r} (it has {known})")

    @property
    def csrf_headers(self) -> dict[str, str]:
        """The custom header the cookie-authenticated endpoints require."""
        return {self.csrf_header: self.csrf_value}

    def is_api(self, path: str) -> bool:
        return path.startswith(self.api_prefix)


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
