"""What the harness knows about its backend, read from the backend itself (`/__harness/facts`).

Paths, the refresh cookie, the CSRF header, lifetimes and seed data are the backend's
facts, so the checks and the harness's clients read them here instead of repeating them,
and a backend in another process (`--backend-url`) is described the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass
from typing import Any, TypeVar, get_type_hints

# The version of the facts' schema this harness reads (`version` in the answer).
FACTS_VERSION = 1


class FactsError(ValueError):
    """The backend's `/__harness/facts` answer lacks a fact the harness needs, or is of a
    version (`version`) this harness does not read."""

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
class LoginAnswer:
    """The login answer's field names ("" when the API leaves one out)."""

    access_token: str
    expires_in: str
    user: str


@dataclass(frozen=True)
class LoginSpelling:
    body: str  # json | form
    username_field: str
    password_field: str
    response: LoginAnswer


@dataclass(frozen=True)
class RefreshAnswer:
    """The refresh answer's field names ("" when the API leaves one out)."""

    access_token: str
    expires_in: str
    refresh_token: str  # the field of a handed-out refresh token


@dataclass(frozen=True)
class RefreshSpelling:
    transport: str  # cookie | body | header
    field: str  # the body field or header of transport body/header
    body: str  # json | form
    extra: tuple[tuple[str, str], ...]  # fixed fields sent with a refresh
    response: RefreshAnswer


@dataclass(frozen=True)
class ApiSpelling:
    """How the backend's API profile spells requests and answers (`--api-profile`).

    The fields carry the names of the facts' `profile` part (the profile file's tables and
    keys), and are read by those names; the flat properties are the names the checks use.
    """

    name: str
    login: LoginSpelling
    refresh: RefreshSpelling

    @property
    def hands_refresh_token_to_scripts(self) -> bool:
        return self.refresh.transport != "cookie"

    @property
    def login_body(self) -> str:
        return self.login.body

    @property
    def username_field(self) -> str:
        return self.login.username_field

    @property
    def password_field(self) -> str:
        return self.login.password_field

    @property
    def login_access_token(self) -> str:
        return self.login.response.access_token

    @property
    def login_expires_in(self) -> str:
        return self.login.response.expires_in

    @property
    def login_user(self) -> str:
        return self.login.response.user

    @property
    def refresh_transport(self) -> str:
        return self.refresh.transport

    @property
    def refresh_field(self) -> str:
        return self.refresh.field

    @property
    def refresh_body(self) -> str:
        return self.refresh.body

    @property
    def refresh_extra(self) -> tuple[tuple[str, str], ...]:
        return self.refresh.extra

    @property
    def refresh_access_token(self) -> str:
        return self.refresh.response.access_token

    @property
    def refresh_refresh_token(self) -> str:
        return self.refresh.response.refresh_token


@dataclass(frozen=True)
class BackendFacts:
    login: Endpoint
    refresh: Endpoint
    logout: Endpoint
    current_user: Endpoint
    list: Endpoint
    create: Endpoint | None  # None: the API has no create (its profile leaves it out)
    admin: Endpoint | None  # None: the API has no admin resource
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
    api: ApiSpelling
    # The team's backend behind the harness's edge (`--upstream`); None for the harness's
    # own backend.
    upstream: str | None = None
    # Whether lifetimes.refresh is the backend's own (always, but behind an edge: declared
    # in the accounts file, or read from JWT refresh values).
    refresh_ttl_known: bool = True
    # How many sessions a user may have: the profile's (the harness's own backend), or as
    # the accounts file declares (behind an edge); None when there is no limit or none is
    # declared.
    session_limit: int | None = None
    # The behaviour the backend's profile asks for where it is not the reference's, by dotted
    # key (`behaviour.reuse`): the harness's own backend then stands in for another backend.
    stands_in: tuple[tuple[str, Any], ...] = ()
    # The CSRF defence of the cookie-authenticated endpoints (the profile's `behaviour.csrf`):
    # origin (Origin checks and the custom header), none, or double-submit (a `csrftoken`
    # cookie echoed in X-CSRFToken).
    csrf_defence: str = "origin"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BackendFacts:
        _check_version(data)
        read = _Reader(data)
        api = {name: Endpoint(read.text(f"api.{name}.method"), read.text(f"api.{name}.path"))
               for name in ("login", "refresh", "logout", "current_user", "list")}
        # An API may have neither of these.
        create, admin = (Endpoint(read.text(f"api.{name}.method"), read.text(f"api.{name}.path"))
                         if isinstance(data.get("api"), dict) and name in data["api"] else None
                         for name in ("create", "admin"))
        cookie = RefreshCookie(read.text("cookie.name"), read.text("cookie.path"),
                               read.flag("cookie.http_only"), read.flag("cookie.secure"),
                               read.text("cookie.same_site"), read.flag("cookie.host_only"))
        users = tuple(SeedUser(**{k: _Reader(u).get(k, f"users[{i}].{k}", t)
                                  for k, t in (("username", str), ("password", str),
                                               ("email", str), ("name", str), ("role", str),
                                               ("jobs", int))})
                      for i, u in enumerate(read.get("users", "users", list)))
        return cls(**api, create=create, admin=admin, api_prefix=read.text("api_prefix"),
                   list_field=read.text("list_field"),
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
                   api=_read_fields(ApiSpelling, read, "profile"),
                   upstream=_upstream(data),
                   refresh_ttl_known=bool((data.get("edge") or {}).get(
                       "refresh_lifetime_known", True)),
                   session_limit=_session_limit(data),
                   stands_in=_stands_in(data),
                   csrf_defence=_csrf_defence(data))

    @property
    def backend_is_theirs(self) -> bool:
        """Whether what the backend does is a team's backend's, not the reference's: a
        team's backend behind the edge, or the harness's own standing in for another one
        (a profile that asks for its behaviour). A miss in a check's backend part is then a
        backend finding, not the app's failure."""
        return self.upstream is not None or bool(self.stands_in)

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
                             self.list, self.create, self.admin) if e is not None}


def _upstream(data: dict[str, Any]) -> str | None:
    edge = data.get("edge")
    if edge is None:
        return None
    if not isinstance(edge, dict) or not isinstance(edge.get("upstream"), str):
        raise FactsError("edge.upstream", "must be the URL of the backend behind the edge")
    return str(edge["upstream"])


def _session_limit(data: dict[str, Any]) -> int | None:
    if "edge" in data:
        key, limit = "edge.session_limit", (data["edge"] or {}).get("session_limit")
    else:
        key, limit = "session_limit", data.get("session_limit")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
        raise FactsError(key, "must be a whole number or null")
    return limit


def _csrf_defence(data: dict[str, Any]) -> str:
    """The profile's `behaviour.csrf` (a backend older than the key: the Origin checks)."""
    behaviour = (data.get("profile") or {}).get("behaviour", {})
    defence = behaviour.get("csrf", "origin") if isinstance(behaviour, dict) else None
    if defence not in ("origin", "none", "double-submit"):
        raise FactsError("profile.behaviour.csrf", f"expected origin, none or double-submit, "
                                                   f"got {defence!r}")
    return str(defence)


def _stands_in(data: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    found = data.get("stands_in", {})  # a backend older than this fact stands in for none
    if not isinstance(found, dict):
        raise FactsError("stands_in", f"expected a table, got {found!r}")
    return tuple(sorted(found.items()))


def _check_version(data: Any) -> None:
    """Before any other fact: a backend newer or older than this harness is named as such,
    not as a fact that is missing."""
    if not isinstance(data, dict) or "version" not in data:
        raise FactsError("version", f"missing: the backend gives no facts version (this "
                                    f"harness reads version {FACTS_VERSION}); upgrade the "
                                    f"backend")
    version = data["version"]
    if isinstance(version, bool) or not isinstance(version, int):
        raise FactsError("version", f"expected an integer, got {version!r}")
    if version > FACTS_VERSION:
        raise FactsError("version", f"the backend gives version {version}, this harness reads "
                                    f"version {FACTS_VERSION}; upgrade the harness")
    if version < FACTS_VERSION:
        raise FactsError("version", f"the backend gives version {version}, this harness reads "
                                    f"version {FACTS_VERSION}; upgrade the backend")


_Spelled = TypeVar("_Spelled")


def _read_fields(cls: type[_Spelled], read: _Reader, at: str) -> _Spelled:
    """The dataclass `cls`, each field read from the key of its own name under `at` (the
    facts' `profile` part names its tables and keys as a profile file does)."""
    hints = get_type_hints(cls)
    values: dict[str, Any] = {}
    for f in fields(cls):  # type: ignore[arg-type]
        key, kind = f"{at}.{f.name}", hints[f.name]
        if isinstance(kind, type) and is_dataclass(kind):
            values[f.name] = _read_fields(kind, read, key)
        elif kind is str:
            values[f.name] = read.text(key)
        else:  # a table of strings, kept sorted so that equal profiles compare equal
            table = read.get(key, key, dict)
            if not all(isinstance(v, str) for v in table.values()):
                raise FactsError(key, f"expected a table of strings, got {table!r}")
            values[f.name] = tuple(sorted((str(k), v) for k, v in table.items()))
    return cls(**values)


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
