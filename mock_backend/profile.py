"""API profiles: the auth API a team's backend speaks, so the reference backend can speak it.

A profile is a TOML file (or a built-in name, `mock_backend/profiles/NAME.toml`). Every key
has the reference API's value as its default, so an empty file is the reference API. What
the backend *does* (rotation, reuse detection, CSRF, CORS, the journal) never changes; a
profile changes only where each endpoint lives and how its requests and answers are spelled.

The format is declared once, by the models below: their fields are the file's tables and
keys, with defaults, what a value must be (`Kind`) and what it means (the description). The
loader validates a file against them, `profile_keys_table()` writes the documentation's
table of keys from them, and `ApiProfile.describe()` is the profile part of
`/__harness/facts`.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    ValidationError,
    model_validator,
)
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

from mock_backend.patterns import is_cookie_name, is_header_name

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
    """Where an endpoint is: derived from a profile, not a part of its format."""

    method: str
    path: str

    def describe(self) -> dict[str, str]:
        return {"method": self.method, "path": self.path}


# --- What a value must be ------------------------------------------------------------------

@dataclass(frozen=True)
class Kind:
    """What a key's value must be: the model checks it with `problem`, the documentation
    shows `shown`. The problem is the whole message after the key, so an error reads the
    same whichever key it is about."""

    shown: str
    problem: Callable[[Any], str | None]
    allowed: tuple[str, ...] = ()  # a key with a fixed set of values: those values

    def __get_pydantic_core_schema__(self, source: Any,
                                     handler: GetCoreSchemaHandler) -> CoreSchema:
        # Before pydantic's own validation, which would turn `failure_status = "401"` into
        # 401: a file that says so has a mistake worth naming, in this format's words.
        return core_schema.no_info_before_validator_function(self._check, handler(source))

    def _check(self, value: Any) -> Any:
        problem = self.problem(value)
        if problem is not None:
            raise PydanticCustomError("profile_value", "{problem}", {"problem": problem})
        return value


def _text(rule: Callable[[str], str | None]) -> Callable[[Any], str | None]:
    def problem(value: Any) -> str | None:
        return f"{value!r} is not a string" if not isinstance(value, str) else rule(value)

    return problem


def _matching(pattern: str | Callable[[str], bool], says: str) -> Callable[[Any], str | None]:
    matches = pattern if callable(pattern) else re.compile(pattern).fullmatch
    return _text(lambda value: None if matches(value) else f"{value!r} {says}")


def _one_of(*allowed: str) -> Kind:
    return Kind(" \\| ".join(f"`{a}`" for a in allowed),
                _text(lambda value: None if value in allowed
                      else f"{value!r} is not one of {', '.join(allowed)}"), allowed)


def choices(model: type[BaseModel], key: str) -> tuple[str, ...]:
    """The values a key of a fixed set may take (`RefreshApi`, "method": GET, POST), as the
    format declares them: tests that must cover every shape a profile can take read them
    here, not from a list of their own."""
    for meta in model.model_fields[key].metadata:
        if isinstance(meta, Kind) and meta.allowed:
            return meta.allowed
    raise KeyError(f"{model.__name__}.{key} is not a key with a fixed set of values")


def _strings_problem(value: Any) -> str | None:
    if isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str)
                                       for k, v in value.items()):
        return None
    return f"{value!r} is not a table of strings, e.g. {{ grant_type = \"refresh_token\" }}"


def _flag_problem(value: Any) -> str | None:
    return None if isinstance(value, bool) else f"{value!r} is not true or false"


def _limit_problem(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10_000:
        return f"{value!r} is not a whole number from 0 (no limit) to 10000"
    return None


def _statuses(*allowed: int) -> Kind:
    def problem(value: Any) -> str | None:
        if isinstance(value, bool) or value not in allowed:
            return f"{value!r} is not one of {', '.join(map(str, allowed))}"
        return None

    return Kind(" \\| ".join(f"`{s}`" for s in allowed), problem)


_FIELD = r"[A-Za-z_][A-Za-z0-9_.-]*"
FAILURE_STATUSES = (400, 401, 403)

_PATH = r"/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*"
UrlPath = Annotated[str, Kind("a path", _matching(_PATH, "is not a path starting with /"))]
FieldName = Annotated[str, Kind("a field name", _matching(_FIELD, "is not a field name"))]
OptionalField = Annotated[str, Kind("a field name, or `\"\"` to leave it out", _matching(
    f"{_FIELD}|", "is not a field name (\"\" leaves it out)"))]
HeaderName = Annotated[str, Kind("a header name, or `\"\"` for none", _matching(
    lambda value: value == "" or is_header_name(value), "is not a header name (\"\" for none)"))]
CookieName = Annotated[str, Kind("a cookie name", _matching(is_cookie_name,
                                                            "is not a cookie name"))]
OptionalCookie = Annotated[str, Kind("a cookie name, or `\"\"` for none", _matching(
    lambda value: value == "" or is_cookie_name(value), "is not a cookie name (\"\" for none)"))]
OptionalUrlPath = Annotated[str, Kind("a path, or `\"\"` when the API has none", _matching(
    f"({_PATH})?", "is not a path starting with / (\"\" for none)"))]
Status = Annotated[int, _statuses(*FAILURE_STATUSES)]
Flag = Annotated[bool, Kind("`true` \\| `false`", _flag_problem)]
Strings = Annotated[dict[str, str], Kind("a table of strings", _strings_problem)]
BodyFormat = Annotated[str, _one_of("json", "form", "any")]


def _rule(key: str, problem: str) -> PydanticCustomError:
    """A rule across keys broken; `key` (dotted, from the model that checks it) is the one
    the message names."""
    return PydanticCustomError("profile_rule", "{problem}", {"problem": problem, "key": key})


# --- The format ----------------------------------------------------------------------------

class _Table(BaseModel):
    """A table of the file: a key it does not declare is refused, a profile never changes."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class LoginResponse(_Table):
    access_token: FieldName = Field(default="accessToken",
                                    description="the field of the access token")
    token_type: OptionalField = Field(default="tokenType",
                                      description="the field saying `Bearer`")
    expires_in: OptionalField = Field(
        default="expiresIn", description="the field of the access token's lifetime in seconds")
    user: OptionalField = Field(default="user", description="the field of the signed-in user")


class LoginApi(_Table):
    path: UrlPath = Field(default="/api/login", description="where the login is")
    method: Annotated[str, _one_of("POST")] = Field(default="POST", description="its method")
    body: BodyFormat = Field(default="json", description="the format of the request's body")
    username_field: FieldName = Field(
        default="username", description="the body's field of the username (the backend also "
                                        "accepts an email address there)")
    password_field: FieldName = Field(default="password",
                                      description="the body's field of the password")
    response: LoginResponse = Field(default_factory=LoginResponse,
                                    description="the answer's field names")

    @model_validator(mode="after")
    def _two_fields(self) -> LoginApi:
        if self.username_field == self.password_field:
            raise _rule("password_field", "is the same as username_field")
        return self

    @property
    def endpoint(self) -> Endpoint:
        return Endpoint(self.method, self.path)

    @property
    def access_token(self) -> str:
        return self.response.access_token

    @property
    def expires_in(self) -> str:
        return self.response.expires_in

    @property
    def user(self) -> str:
        return self.response.user


class RefreshResponse(_Table):
    access_token: FieldName = Field(default="accessToken",
                                    description="the field of the new access token")
    expires_in: OptionalField = Field(
        default="expiresIn",
        description="the field of the new access token's lifetime in seconds")
    refresh_token: OptionalField = Field(
        default="", description="the field of the new refresh token: required when it travels "
                                "in a body or header")


class RefreshApi(_Table):
    path: UrlPath = Field(default="/api/refresh-token", description="where the refresh is")
    method: Annotated[str, _one_of("POST", "GET")] = Field(
        default="POST", description="its method (a GET has no body)")
    transport: Annotated[str, _one_of("cookie", "body", "header")] = Field(
        default="cookie", description="where the refresh token travels: an HttpOnly cookie, a "
                                      "body field or a header")
    field: FieldName = Field(
        default="refreshToken", description="the body field (transport `body`) or header "
                                            "(transport `header`) of the refresh token")
    body: BodyFormat = Field(default="json",
                             description="the format of the request's body, when it has one")
    extra: Strings = Field(default_factory=dict,
                           description="fixed fields sent with it, e.g. "
                                       "`{ grant_type = \"refresh_token\" }`")
    csrf_header: HeaderName = Field(
        default="X-Requested-With",
        description="the custom header the cookie-authenticated endpoints require")
    failure_status: Status = Field(default=401, description="the status of a refused refresh")
    response: RefreshResponse = Field(default_factory=RefreshResponse,
                                      description="the answer's field names")

    @model_validator(mode="after")
    def _consistent(self) -> RefreshApi:
        if not self.in_cookie and not self.response.refresh_token:
            raise _rule("response.refresh_token",
                        f"must name the field of the new refresh token when transport is "
                        f"{self.transport} (the rotated value has to reach the client)")
        if self.method == "GET" and self.transport == "body":
            raise _rule("transport", "a GET has no body: use cookie or header with method GET")
        # An empty table asks for nothing, so a profile's description (`extra = {}`) reads
        # back as the same profile whatever its method.
        if self.extra and self.method == "GET":
            raise _rule("extra", "fixed fields need a body (method POST)")
        if self.field in self.extra:
            raise _rule("extra", f"{self.field!r} is refresh.field itself")
        return self

    @property
    def endpoint(self) -> Endpoint:
        return Endpoint(self.method, self.path)

    @property
    def in_cookie(self) -> bool:
        return self.transport == "cookie"

    @property
    def access_token(self) -> str:
        return self.response.access_token

    @property
    def expires_in(self) -> str:
        return self.response.expires_in

    @property
    def refresh_token(self) -> str:
        return self.response.refresh_token


class LogoutApi(_Table):
    path: UrlPath = Field(default="/api/logout", description="where the logout is")
    method: Annotated[str, _one_of("POST", "DELETE")] = Field(default="POST",
                                                              description="its method")
    answer: Annotated[str, _one_of("none", "empty", "detail")] = Field(
        default="none", description="its answer: 204 with no body; 200 `{}` (SimpleJWT's "
                                    "blacklist); or 200 `{detail}` (dj-rest-auth)")
    requires_refresh: Flag = Field(
        default=False, description="whether a logout without a refresh value is refused "
                                   "(401 with the cookie transport, 400 with a body field, "
                                   "as dj-rest-auth and SimpleJWT refuse it), rather than "
                                   "ending the session its access token names")

    @property
    def endpoint(self) -> Endpoint:
        return Endpoint(self.method, self.path)


class RefreshCookie(_Table):
    name: CookieName = Field(default="refresh_token", description="the refresh cookie's name")
    path: UrlPath = Field(default="/api", description="the refresh cookie's `Path`: with "
                                                      "transport `cookie` it must cover the "
                                                      "refresh and the logout paths")
    same_site: Annotated[str, _one_of("Strict", "Lax", "None")] = Field(
        default="Strict", description="the refresh cookie's `SameSite`")
    secure: Flag = Field(
        default=True, description="whether the refresh cookie is `Secure`")
    access_name: OptionalCookie = Field(
        default="", description="an HttpOnly cookie carrying the access token beside the "
                                "refresh cookie, read as the access token when a request has "
                                "no `Authorization` header (`\"\"`: none)")


class Resources(_Table):
    """The demo API. Its methods are the reference's, so only the paths are keys; in Python
    each is an `Endpoint` (`resources.list.path`), in the file and the facts a path."""

    current_user_path: UrlPath = Field(default="/api/current-user", alias="current_user",
                                       description="`GET`: the signed-in user")
    list_path: UrlPath = Field(default="/api/job-list", alias="list",
                               description="`GET`: the user's items")
    list_field: OptionalField = Field(
        default="jobs", description="the list answer's field of the items (`\"\"`: the body is "
                                    "the list)")
    create_path: OptionalUrlPath = Field(
        default="/api/jobs", alias="create",
        description="`POST {title}`: creates an item (`\"\"`: the API has none; the parts of "
                    "checks that need it are skipped)")
    admin_path: OptionalUrlPath = Field(
        default="/api/admin/stats", alias="admin",
        description="`GET`, role admin only (403 `insufficient_scope` otherwise; `\"\"`: the "
                    "API has none)")

    @property
    def current_user(self) -> Endpoint:
        return Endpoint("GET", self.current_user_path)

    @property
    def list(self) -> Endpoint:
        return Endpoint("GET", self.list_path)

    @property
    def create(self) -> Endpoint | None:
        return Endpoint("POST", self.create_path) if self.create_path else None

    @property
    def admin(self) -> Endpoint | None:
        return Endpoint("GET", self.admin_path) if self.admin_path else None


class Behaviour(_Table):
    """What the backend does, beside how its API is spelled: each key's default is the
    reference's behaviour, and a profile that names another backend says where that backend
    differs (a built-in writes in its file where each value was measured or read)."""

    reuse: Annotated[str, _one_of("revoke-family", "refuse-value", "accept")] = Field(
        default="revoke-family",
        description="a replayed retired refresh value: refused and its whole family revoked "
                    "(RFC 9700 section 4.14.2); refused alone, the family lives on (a "
                    "blacklist); or accepted, rotating again (a fork)")
    concurrent_refresh: Annotated[str, _one_of("one-wins", "fork")] = Field(
        default="one-wins",
        description="concurrent refreshes of one value: one succeeds and the others are "
                    "refused without revoking; or each succeeds with a successor of its own, "
                    "all of them usable")
    refused_refresh: Annotated[str, _one_of("clears-cookie", "keeps-cookie")] = Field(
        default="clears-cookie",
        description="whether a refused refresh clears the refresh cookie (transport "
                    "`cookie`), or leaves it in the browser")
    logout: Annotated[str, _one_of("family", "value")] = Field(
        default="family", description="what a logout ends: the whole family, or only the "
                                      "refresh value it presented")
    access_tokens: Annotated[str, _one_of("end-with-session", "valid-until-exp")] = Field(
        default="end-with-session",
        description="whether an access token is refused once its session ends (logout, "
                    "reuse), or honoured until its `exp` whatever happens (a stateless JWT)")
    session_limit: Annotated[int, Kind("a whole number, `0` for none", _limit_problem)] = \
        Field(default=5, description="how many sessions a user may have; a login beyond it "
                                     "evicts the least recently used (`0`: no limit)")
    unauthenticated_status: Annotated[int, _statuses(401, 403)] = Field(
        default=401, description="the answer to a missing, garbage or expired access token")
    www_authenticate: Flag = Field(
        default=True, description="whether that answer carries `WWW-Authenticate: Bearer` "
                                  "(RFC 6750 section 3)")
    error_body: Annotated[str, _one_of("reference", "drf", "oauth")] = Field(
        default="reference",
        description="the shape of error bodies: `{error, message}`; Django REST framework's "
                    "`{detail, code}` (a failed login `{non_field_errors: [...]}` when its "
                    "status is 400, `{detail}` when 401); OAuth's `{error, "
                    "error_description}` (RFC 6749 section 5.2)")
    login_failure_status: Annotated[int, _statuses(400, 401)] = Field(
        default=401, description="the status of a login with a wrong password")
    trailing_slash: Annotated[str, _one_of("lenient", "strict", "either")] = Field(
        default="lenient",
        description="a request missing the trailing slash of a path that has one: "
                    "redirected with 307, which keeps the method; with 301, as Django's "
                    "`APPEND_SLASH` does (a browser follows it with a GET); or answered as "
                    "if it had it (dj-rest-auth's `login/?$` routes)")
    refresh_body_field: OptionalField = Field(
        default="", description="a body field read for the refresh value before the cookie "
                                "when it is there and not empty, as dj-rest-auth reads both "
                                "(`\"\"`: only where `refresh.transport` says)")
    access_expiration_field: OptionalField = Field(
        default="", description="a field of the refresh answer with the new access "
                                "token's absolute expiry in ISO 8601, beside or instead of "
                                "its lifetime in seconds (`\"\"`: none)")
    csrf: Annotated[str, _one_of("origin", "none", "double-submit")] = Field(
        default="origin",
        description="the CSRF defence of the cookie-authenticated endpoints: Origin and "
                    "`Sec-Fetch-Site` checks with `refresh.csrf_header`; none (SameSite "
                    "alone); or double submit (login sets a readable `csrftoken` cookie, and "
                    "refresh and logout require `X-CSRFToken` equal to it)")



# The key each endpoint's path is written at, for the rules that name it.
_ENDPOINT_KEYS = {"login": "login.path", "refresh": "refresh.path", "logout": "logout.path",
                  "current_user": "resources.current_user", "list": "resources.list",
                  "create": "resources.create", "admin": "resources.admin"}
_RESERVED = ("/__harness", "/.well-known")


class ApiProfile(_Table):
    name: str = Field(default="reference",
                      description="the profile's name: its file's stem (not a key in the file)")
    login: LoginApi = Field(default_factory=LoginApi, description="`[login]`")
    refresh: RefreshApi = Field(default_factory=RefreshApi, description="`[refresh]`")
    logout: LogoutApi = Field(default_factory=LogoutApi, description="`[logout]`")
    cookie: RefreshCookie = Field(default_factory=RefreshCookie, description="`[cookie]`")
    resources: Resources = Field(default_factory=Resources, description="`[resources]`")
    behaviour: Behaviour = Field(default_factory=Behaviour, description="`[behaviour]`")

    @model_validator(mode="after")
    def _endpoints_apart(self) -> ApiProfile:
        seen: dict[tuple[str, str], str] = {}
        for name, endpoint in self.endpoints.items():
            key = _ENDPOINT_KEYS[name]
            where = (endpoint.method, endpoint.path)
            if where in seen:
                raise _rule(key, f"{endpoint.method} {endpoint.path} is also "
                                 f"{_ENDPOINT_KEYS[seen[where]]}")
            seen[where] = name
            if endpoint.path.startswith(_RESERVED):
                raise _rule(key, f"{endpoint.path!r} is reserved for the test-control API "
                                 "and the keys")
        problem = _cookie_problem(self)
        if problem:
            raise _rule("cookie.path", problem)
        if self.cookie.same_site == "None" and not self.cookie.secure:
            raise _rule("cookie.secure", "must be true with same_site \"None\": browsers "
                                         "refuse a SameSite=None cookie that is not Secure")
        if self.cookie.access_name == self.cookie.name:
            raise _rule("cookie.access_name", f"{self.cookie.name!r} is the refresh cookie")
        return self

    def behaviour_not_the_references(self) -> dict[str, Any]:
        """The behaviour this profile asks for where it is not the reference's (`[behaviour]`,
        and the refresh cookie's attributes), by dotted key: the backend then stands in for
        another backend, and the checks name what it does as that backend's findings."""
        behaviour, cookie = Behaviour(), RefreshCookie()  # the reference's: the defaults
        found = {f"behaviour.{key}": value for key, value in self.behaviour.model_dump().items()
                 if getattr(behaviour, key) != value}
        for key in ("same_site", "secure", "access_name"):
            if getattr(self.cookie, key) != getattr(cookie, key):
                found[f"cookie.{key}"] = getattr(self.cookie, key)
        return found

    @property
    def cookie_name(self) -> str:
        return self.cookie.name

    @property
    def cookie_path(self) -> str:
        return self.cookie.path

    @property
    def endpoints(self) -> dict[str, Endpoint]:
        """Every endpoint the API has (an optional resource it leaves out is not there)."""
        r = self.resources
        found = {"login": self.login.endpoint, "refresh": self.refresh.endpoint,
                 "logout": self.logout.endpoint, "current_user": r.current_user,
                 "list": r.list, "create": r.create, "admin": r.admin}
        return {name: e for name, e in found.items() if e is not None}

    @property
    def token_paths(self) -> frozenset[str]:
        """Paths whose answers hand out tokens."""
        return frozenset({self.login.path, self.refresh.path})

    def paths_taking(self, body_format: str) -> frozenset[str]:
        """Paths whose body is of `body_format`: `form` (application/x-www-form-urlencoded)
        or `any` (JSON or form, by its Content-Type)."""
        refresh = self.refresh
        in_body = refresh.transport == "body" or bool(self.behaviour.refresh_body_field)
        return frozenset(p for p, body in ((self.login.path, self.login.body),
                                            (refresh.path, refresh.body),
                                            (self.logout.path, refresh.body if in_body else ""))
                         if body == body_format)

    @property
    def form_paths(self) -> frozenset[str]:
        """Paths that take an application/x-www-form-urlencoded body."""
        return self.paths_taking("form")

    def describe(self) -> dict[str, Any]:
        """The profile as `/__harness/facts` gives it: its name, and every table and key
        under the name the file gives it (clients speak the API from it)."""
        return self.model_dump(mode="json", by_alias=True)


# --- Reading a file ------------------------------------------------------------------------

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


def profile_from_dict(data: dict[str, Any], source: str = "profile",
                      name: str = "custom") -> ApiProfile:
    """The profile a file's tables give; a problem is a ProfileError naming its key."""
    if "name" in data:  # the name is the file's, not a key in it
        raise ProfileError(source, "name", _unknown("table", ApiProfile))
    try:
        return ApiProfile.model_validate({**data, "name": name})
    except ValidationError as exc:
        raise _profile_error(source, exc) from None


def _profile_error(source: str, exc: ValidationError) -> ProfileError:
    """Pydantic's first problem with the file, as the one line ProfileError gives."""
    error = exc.errors(include_url=False)[0]
    loc = [str(part) for part in error["loc"]]
    ctx = error.get("ctx") or {}
    kind = error["type"]
    if kind == "profile_rule":
        loc.append(ctx["key"])
    key = ".".join(loc) or "profile"
    if kind in ("profile_value", "profile_rule"):
        problem = str(ctx["problem"])
    elif kind == "extra_forbidden":
        problem = _unknown("table" if len(loc) == 1 else "key", _model_at(loc[:-1]))
    elif kind in ("model_type", "model_attributes_type", "dict_type"):
        problem = f"must be a table ([{key}])"
    else:  # nothing the models declare gives another; said as pydantic says it, on one line
        problem = " ".join(str(error["msg"]).split())
    return ProfileError(source, key, problem)


def _unknown(what: str, model: type[_Table]) -> str:
    return f"unknown {what} (known: {', '.join(_file_keys(model))})"


def _file_keys(model: type[_Table]) -> list[str]:
    """The keys (or tables) a table of the file may have, as the file spells them."""
    return [info.alias or name for name, info in model.model_fields.items()
            if not (model is ApiProfile and name == "name")]


def _model_at(loc: list[str]) -> type[_Table]:
    model: type[_Table] = ApiProfile
    for part in loc:
        for name, info in model.model_fields.items():
            if (info.alias or name) == part and isinstance(info.annotation, type) and \
                    issubclass(info.annotation, _Table):
                model = info.annotation
    return model


# --- Rules the settings check too -----------------------------------------------------------

def _covers(cookie_path: str, path: str) -> bool:
    """RFC 6265 section 5.1.4 path-match."""
    return path == cookie_path or (path.startswith(cookie_path) and (
        cookie_path.endswith("/") or path[len(cookie_path)] == "/"))


def _cookie_problem(p: ApiProfile) -> str | None:
    if not p.refresh.in_cookie:
        return None
    for name in ("refresh", "logout"):
        if not _covers(p.cookie_path, p.endpoints[name].path):
            return (f"{p.cookie_path!r} does not cover {_ENDPOINT_KEYS[name]} "
                    f"{p.endpoints[name].path!r}: the browser would not send the refresh "
                    "cookie there")
    return None


def check_cookie_covers(p: ApiProfile, source: str) -> None:
    """With the cookie transport, the cookie's path must cover the refresh and the logout
    (`--cookie-path` given beside a profile is checked here too)."""
    problem = _cookie_problem(p)
    if problem:
        raise ProfileError(source, "cookie.path", problem)


# --- The documentation's table of keys ------------------------------------------------------

@dataclass(frozen=True)
class ProfileKey:
    """One key of the format, as the documentation lists it."""

    key: str  # dotted: `refresh.response.refresh_token`
    value: str  # what it must be
    default: Any
    meaning: str


def profile_keys() -> list[ProfileKey]:
    """Every key of the format, in the models' order (the order of `reference.toml`)."""
    found: list[ProfileKey] = []

    def walk(model: type[_Table], prefix: str) -> None:
        for name, info in model.model_fields.items():
            if model is ApiProfile and name == "name":
                continue
            key = prefix + (info.alias or name)
            annotation = info.annotation
            if isinstance(annotation, type) and issubclass(annotation, _Table):
                walk(annotation, key + ".")
                continue
            kind = next(m for m in info.metadata if isinstance(m, Kind))
            found.append(ProfileKey(key, kind.shown, info.get_default(call_default_factory=True),
                                    info.description or ""))

    walk(ApiProfile, "")
    return found


def _toml(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }" \
            if value else "{}"
    return json.dumps(value)


def profile_keys_table() -> str:
    """The Markdown table of every key (docs/profiles.md, "Every key", carries it; a test
    keeps the two equal)."""
    lines = ["| key | value | default | meaning |", "|---|---|---|---|"]
    lines += [f"| `{k.key}` | {k.value} | `{_toml(k.default)}` | {k.meaning} |"
              for k in profile_keys()]
    return "\n".join(lines) + "\n"

