"""API profiles: the auth API a team's backend speaks, so the reference backend can speak it.

A profile is a TOML file (or a built-in name, `mock_backend/profiles/NAME.toml`). Every key
has the reference API's value as its default, so an empty file is the reference API. What
the backend *does* (rotation, reuse detection, CSRF, CORS, the journal) never changes; a
profile changes only where each endpoint lives and how its requests and answers are spelled.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

PROFILES_DIR = Path(__file__).resolve().parent / "profiles"


class ProfileError(ValueError):
    """A profile the backend refuses: one line naming the file and the key."""

    def __init__(self, source: str, key: str, problem: str) -> None:
        super().__init__(f"{source}: {key}: {problem}")
        self.key = key


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str

    def describe(self) -> dict[str, str]:
        return {"method": self.method, "path": self.path}


@dataclass(frozen=True)
class LoginApi:
    endpoint: Endpoint = Endpoint("POST", "/api/login")
    body: str = "json"
    username_field: str = "username"
    password_field: str = "password"
    access_token: str = "accessToken"
    expires_in: str = "expiresIn"
    user: str = "user"


@dataclass(frozen=True)
class RefreshApi:
    endpoint: Endpoint = Endpoint("POST", "/api/refresh-token")
    transport: str = "cookie"
    field: str = "refreshToken"
    body: str = "json"
    extra: dict[str, str] = dataclass_field(default_factory=dict)
    csrf_header: str = "X-Requested-With"
    failure_status: int = 401
    access_token: str = "accessToken"
    expires_in: str = "expiresIn"
    refresh_token: str = ""

    @property
    def in_cookie(self) -> bool:
        return self.transport == "cookie"


@dataclass(frozen=True)
class Resources:
    current_user: Endpoint = Endpoint("GET", "/api/current-user")
    list: Endpoint = Endpoint("GET", "/api/job-list")
    list_field: str = "jobs"
    create: Endpoint = Endpoint("POST", "/api/jobs")
    admin: Endpoint = Endpoint("GET", "/api/admin/stats")


@dataclass(frozen=True)
class ApiProfile:
    name: str = "reference"
    login: LoginApi = LoginApi()
    refresh: RefreshApi = RefreshApi()
    logout: Endpoint = Endpoint("POST", "/api/logout")
    cookie_name: str = "refresh_token"
    cookie_path: str = "/api"
    resources: Resources = Resources()

    @property
    def endpoints(self) -> dict[str, Endpoint]:
        r = self.resources
        return {"login": self.login.endpoint, "refresh": self.refresh.endpoint,
                "logout": self.logout, "current_user": r.current_user, "list": r.list,
                "create": r.create, "admin": r.admin}

    @property
    def token_paths(self) -> frozenset[str]:
        """Paths whose answers hand out tokens."""
        return frozenset({self.login.endpoint.path, self.refresh.endpoint.path})

    @property
    def form_paths(self) -> frozenset[str]:
        """Paths that take an application/x-www-form-urlencoded body."""
        refresh = self.refresh
        in_body = refresh.transport == "body"
        return frozenset(p for p, body in ((self.login.endpoint.path, self.login.body),
                                            (refresh.endpoint.path, refresh.body),
                                            (self.logout.path, refresh.body if in_body else ""))
                         if body == "form")

    def describe(self) -> dict[str, Any]:
        """The profile as `/__harness/facts` gives it (clients speak the API from it)."""
        login, refresh = self.login, self.refresh
        return {
            "name": self.name,
            "login": {"body": login.body, "username_field": login.username_field,
                      "password_field": login.password_field,
                      "response": {"access_token": login.access_token,
                                   "expires_in": login.expires_in, "user": login.user}},
            "refresh": {"transport": refresh.transport, "field": refresh.field,
                        "body": refresh.body, "extra": dict(refresh.extra),
                        "response": {"access_token": refresh.access_token,
                                     "expires_in": refresh.expires_in,
                                     "refresh_token": refresh.refresh_token}},
            "list_field": self.resources.list_field,
        }


def builtin_names() -> list[str]:
    return sorted(p.stem for p in PROFILES_DIR.glob("*.toml"))


def load_profile(spec: str | Path) -> ApiProfile:
    """A built-in name (`simplejwt`) or a path to a TOML file."""
    text = str(spec)
    path = Path(text).expanduser()
    if text in builtin_names():
        path = PROFILES_DIR / f"{text}.toml"
    elif not path.is_file():
        known = ", ".join(builtin_names())
        raise ProfileError(text, "api-profile", f"no such file, and not a built-in profile "
                                                f"({known})")
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(text, "api-profile", f"cannot be read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(text, "api-profile", f"not valid TOML: {exc}") from None
    return profile_from_dict(data, source=text, name=path.stem)


# The format: table -> key -> (kind, allowed values or None). Kinds: path, field, optional
# field ("" leaves it out), header, choice, status, table of strings.
_SCHEMA: dict[str, dict[str, tuple[str, tuple[Any, ...] | None]]] = {
    "login": {"path": ("path", None), "method": ("choice", ("POST",)),
              "body": ("choice", ("json", "form")), "username_field": ("field", None),
              "password_field": ("field", None)},
    "login.response": {"access_token": ("field", None), "expires_in": ("optional", None),
                       "user": ("optional", None)},
    "refresh": {"path": ("path", None), "method": ("choice", ("POST", "GET")),
                "transport": ("choice", ("cookie", "body", "header")),
                "field": ("field", None), "body": ("choice", ("json", "form")),
                "extra": ("strings", None), "csrf_header": ("header", None),
                "failure_status": ("status", (400, 401, 403))},
    "refresh.response": {"access_token": ("field", None), "expires_in": ("optional", None),
                         "refresh_token": ("optional", None)},
    "logout": {"path": ("path", None), "method": ("choice", ("POST", "DELETE"))},
    "cookie": {"name": ("cookie", None), "path": ("path", None)},
    "resources": {"current_user": ("path", None), "list": ("path", None),
                  "list_field": ("optional", None), "create": ("path", None),
                  "admin": ("path", None)},
}
_TOP = ("login", "refresh", "logout", "cookie", "resources")
_SUB = {"login": ("response",), "refresh": ("response",)}


def _check_value(source: str, key: str, kind: str, allowed: tuple[Any, ...] | None,
                 value: Any) -> Any:
    import re

    def bad(problem: str) -> ProfileError:
        return ProfileError(source, key, problem)

    if kind == "strings":
        if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise bad(f"{value!r} is not a table of strings, e.g. {{ grant_type = "
                      f"\"refresh_token\" }}")
        return dict(value)
    if kind == "status":
        if isinstance(value, bool) or value not in allowed:  # type: ignore[operator]
            raise bad(f"{value!r} is not one of {', '.join(map(str, allowed or ()))}")
        return value
    if not isinstance(value, str):
        raise bad(f"{value!r} is not a string")
    if kind == "choice" and value not in (allowed or ()):
        raise bad(f"{value!r} is not one of {', '.join(allowed or ())}")
    if kind == "path" and not re.fullmatch(r"/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*", value):
        raise bad(f"{value!r} is not a path starting with /")
    if kind in ("field", "optional") and not re.fullmatch(
            r"[A-Za-z_][A-Za-z0-9_.-]*" + ("|" if kind == "optional" else ""), value):
        raise bad(f"{value!r} is not a field name" + (" (\"\" leaves it out)"
                                                      if kind == "optional" else ""))
    if kind == "header" and not re.fullmatch(r"([A-Za-z0-9-]+)?", value):
        raise bad(f"{value!r} is not a header name (\"\" for none)")
    if kind == "cookie" and not re.fullmatch(r"[A-Za-z0-9_\-]+", value):
        raise bad(f"{value!r} is not a cookie name")
    return value


def _flatten(source: str, data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Checks every table and key against the format; returns table -> key -> value."""
    found: dict[str, dict[str, Any]] = {}
    for top, table in data.items():
        if top not in _TOP:
            raise ProfileError(source, top, f"unknown table (known: {', '.join(_TOP)})")
        if not isinstance(table, dict):
            raise ProfileError(source, top, "must be a table ([" + top + "])")
        for key, value in table.items():
            if key in _SUB.get(top, ()):
                if not isinstance(value, dict):
                    raise ProfileError(source, f"{top}.{key}", "must be a table")
                for sub_key, sub_value in value.items():
                    _take(source, found, f"{top}.{key}", sub_key, sub_value)
            else:
                _take(source, found, top, key, value)
    return found


def _take(source: str, found: dict[str, dict[str, Any]], table: str, key: str,
          value: Any) -> None:
    schema = _SCHEMA[table]
    if key not in schema:
        raise ProfileError(source, f"{table}.{key}",
                           f"unknown key (known: {', '.join(schema)})")
    kind, allowed = schema[key]
    found.setdefault(table, {})[key] = _check_value(source, f"{table}.{key}", kind, allowed,
                                                    value)


def profile_from_dict(data: dict[str, Any], source: str = "profile",
                      name: str = "custom") -> ApiProfile:
    f = _flatten(source, data)
    ref = ApiProfile()

    def get(table: str, key: str, default: Any) -> Any:
        return f.get(table, {}).get(key, default)

    login = LoginApi(
        Endpoint(get("login", "method", "POST"), get("login", "path", "/api/login")),
        body=get("login", "body", ref.login.body),
        username_field=get("login", "username_field", ref.login.username_field),
        password_field=get("login", "password_field", ref.login.password_field),
        access_token=get("login.response", "access_token", ref.login.access_token),
        expires_in=get("login.response", "expires_in", ref.login.expires_in),
        user=get("login.response", "user", ref.login.user))
    r = ref.refresh
    refresh = RefreshApi(
        Endpoint(get("refresh", "method", "POST"), get("refresh", "path", r.endpoint.path)),
        transport=get("refresh", "transport", r.transport), field=get("refresh", "field", r.field),
        body=get("refresh", "body", r.body), extra=get("refresh", "extra", {}),
        csrf_header=get("refresh", "csrf_header", r.csrf_header),
        failure_status=get("refresh", "failure_status", r.failure_status),
        access_token=get("refresh.response", "access_token", r.access_token),
        expires_in=get("refresh.response", "expires_in", r.expires_in),
        refresh_token=get("refresh.response", "refresh_token", r.refresh_token))
    res = ref.resources
    resources = Resources(
        Endpoint("GET", get("resources", "current_user", res.current_user.path)),
        Endpoint("GET", get("resources", "list", res.list.path)),
        get("resources", "list_field", res.list_field),
        Endpoint("POST", get("resources", "create", res.create.path)),
        Endpoint("GET", get("resources", "admin", res.admin.path)))
    profile = ApiProfile(name=name, login=login, refresh=refresh,
                         logout=Endpoint(get("logout", "method", "POST"),
                                         get("logout", "path", ref.logout.path)),
                         cookie_name=get("cookie", "name", ref.cookie_name),
                         cookie_path=get("cookie", "path", ref.cookie_path),
                         resources=resources)
    _check_whole(source, profile, f)
    return profile


def _covers(cookie_path: str, path: str) -> bool:
    """RFC 6265 section 5.1.4 path-match."""
    return path == cookie_path or (path.startswith(cookie_path) and (
        cookie_path.endswith("/") or path[len(cookie_path)] == "/"))


def check_cookie_covers(p: ApiProfile, source: str) -> None:
    """With the cookie transport, the cookie's path must cover the refresh and the logout."""
    if not p.refresh.in_cookie:
        return
    for name, key in (("refresh", "refresh.path"), ("logout", "logout.path")):
        if not _covers(p.cookie_path, p.endpoints[name].path):
            raise ProfileError(source, "cookie.path",
                               f"{p.cookie_path!r} does not cover {key} "
                               f"{p.endpoints[name].path!r}: the browser would not send "
                               "the refresh cookie there")


def _check_whole(source: str, p: ApiProfile, given: dict[str, dict[str, Any]]) -> None:
    keys = {"login": "login.path", "refresh": "refresh.path", "logout": "logout.path",
            "current_user": "resources.current_user", "list": "resources.list",
            "create": "resources.create", "admin": "resources.admin"}
    seen: dict[tuple[str, str], str] = {}
    for name, endpoint in p.endpoints.items():
        where = (endpoint.method, endpoint.path)
        if where in seen:
            raise ProfileError(source, keys[name], f"{endpoint.method} {endpoint.path} is "
                                                   f"also {keys[seen[where]]}")
        seen[where] = name
        if endpoint.path.startswith(("/__harness", "/.well-known")):
            raise ProfileError(source, keys[name], f"{endpoint.path!r} is reserved for the "
                                                   "test-control API and the keys")
    r = p.refresh
    check_cookie_covers(p, source)
    if not r.in_cookie and not r.refresh_token:
        raise ProfileError(source, "refresh.response.refresh_token",
                           f"must name the field of the new refresh token when transport is "
                           f"{r.transport} (the rotated value has to reach the client)")
    if r.endpoint.method == "GET" and r.transport == "body":
        raise ProfileError(source, "refresh.transport", "a GET has no body: use cookie or "
                                                        "header with method GET")
    if "extra" in given.get("refresh", {}) and r.endpoint.method == "GET":
        raise ProfileError(source, "refresh.extra", "fixed fields need a body (method POST)")
    if r.field in r.extra:
        raise ProfileError(source, "refresh.extra", f"{r.field!r} is refresh.field itself")
    if p.login.username_field == p.login.password_field:
        raise ProfileError(source, "login.password_field", "is the same as username_field")
