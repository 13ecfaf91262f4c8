"""Login, refresh with rotation, logout, where and as the API profile says.

The refresh value travels as the profile's transport says: in the HttpOnly cookie (the
reference), or in a body field or header when a team's API hands it to scripts. Whatever
the spelling, rotation, reuse detection and the CSRF checks are the same.
"""

from __future__ import annotations

import inspect
import json
import re
import secrets
from datetime import datetime, timezone
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl

import anyio.from_thread
from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError, model_validator
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from mock_backend.csrf import DOUBLE_SUBMIT_COOKIE, check_csrf, check_origin
from mock_backend.deps import BackendDep, bearer_token
from mock_backend.errors import ApiError, bearer_challenge
from mock_backend.profile import ApiProfile
from mock_backend.security import InvalidAccessToken
from mock_backend.sessions import IssuedRefresh, RefreshRejected, on_the_loop_unless_busy
from mock_backend.state import Backend
from mock_backend.users import User, authenticate, user_by_id

_PLAIN_VALUE = re.compile(r"[A-Za-z0-9_-]+")

Name = Annotated[StrictStr, Field(min_length=1, max_length=320)]
Value = Annotated[StrictStr, Field(min_length=1, max_length=8192)]


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    username: Name | None = None
    email: Name | None = None
    password: Annotated[StrictStr, Field(min_length=1, max_length=1024)]

    @model_validator(mode="after")
    def _one_login(self) -> LoginRequest:
        if self.username is None and self.email is None:
            raise ValueError("username or email is required")
        return self

    @property
    def login(self) -> str:
        return self.username if self.username is not None else str(self.email)


async def read_body(request: Request, body_format: str) -> Any:
    """The request body as JSON or as form fields, with FastAPI's own answers for bodies
    it cannot read (400) or that are not JSON (422)."""
    raw = await request.body()
    if body_format == "any":  # by its Content-Type, as Django REST framework's parsers read
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if not raw:
            return {}
        body_format = "form" if media == "application/x-www-form-urlencoded" else "json"
    if body_format == "form":
        try:
            return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            raise ApiError(400, "bad_request", "There was an error parsing the body") from None
    if not raw:
        raise RequestValidationError([{"loc": ("body",), "msg": "Field required",
                                       "type": "missing"}])
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        raise RequestValidationError([{"loc": ("body",), "msg": "JSON decode error",
                                       "type": "json_invalid"}]) from None
    except (UnicodeDecodeError, RecursionError, ValueError):
        raise ApiError(400, "bad_request", "There was an error parsing the body") from None


def _validated(model: type[BaseModel], data: Any) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])}
                                      for e in exc.errors()]) from None


def set_refresh_cookie(response: Response, backend: Backend, issued: IssuedRefresh,
                       access_token: str | None = None) -> None:
    """The refresh cookie, with the attributes the API profile gives it (the reference's:
    HttpOnly, Secure, SameSite=Strict), and the access-token cookie beside it when the
    profile has one."""
    s = backend.settings
    cookie = s.api_profile.cookie
    remaining = int(issued.family.expires_at - backend.clock.now())
    # Max-Age never outlives the family; no Domain, so the cookie is host-only.
    if _PLAIN_VALUE.fullmatch(issued.value) and cookie.same_site == "Strict" and cookie.secure:
        # The header Response.set_cookie writes (SimpleCookie: attributes in sorted order,
        # nothing to quote), without building a SimpleCookie for it: every value
        # new_refresh_value makes, with the reference's attributes.
        response.raw_headers.append((b"set-cookie", (
            f"{s.cookie_name}={issued.value}; HttpOnly; Max-Age={max(remaining, 1)}; "
            f"Path={s.cookie_path}; SameSite=strict; Secure").encode("latin-1")))
    else:
        response.set_cookie(s.cookie_name, issued.value, max_age=max(remaining, 1),
                            path=s.cookie_path, secure=cookie.secure, httponly=True,
                            samesite=_same_site(cookie.same_site))
    if cookie.access_name and access_token:
        response.set_cookie(cookie.access_name, access_token, max_age=int(s.access_ttl),
                            path=s.cookie_path, secure=cookie.secure, httponly=True,
                            samesite=_same_site(cookie.same_site))


def _same_site(value: str) -> Literal["lax", "strict", "none"]:
    return "strict" if value == "Strict" else "lax" if value == "Lax" else "none"


def clear_refresh_cookie(response: Response, backend: Backend) -> None:
    s = backend.settings
    cookie = s.api_profile.cookie
    for name in (s.cookie_name, cookie.access_name):
        if name:
            response.delete_cookie(name, path=s.cookie_path, secure=cookie.secure,
                                   httponly=True, samesite=_same_site(cookie.same_site))


def set_csrf_cookie(response: Response) -> None:
    """The double-submit defence's cookie: readable by scripts, which echo it in
    X-CSRFToken (Django's `csrftoken`: SameSite=Lax, not HttpOnly)."""
    response.set_cookie(DOUBLE_SUBMIT_COOKIE, secrets.token_urlsafe(24), path="/",
                        samesite="lax", max_age=365 * 86400)


def _tokens(backend: Backend, user: User, sid: str, access_field: str,
            expires_field: str, expiration_field: str = "") -> dict[str, Any]:
    """A new access token under `access_field`; its lifetime in seconds under
    `expires_field` and its absolute expiry (ISO 8601, the token's own `exp`) under
    `expiration_field`, where those are named."""
    ttl = backend.settings.access_ttl
    now = backend.clock.now()
    token, _ = backend.signer.issue(sub=user.id, sid=sid, role=user.role, now=now, ttl=ttl)
    answer: dict[str, Any] = {access_field: token}
    if expires_field:
        answer[expires_field] = int(ttl)
    if expiration_field:
        # From the same reading of the clock as the token's `exp` (`iat + ttl`), so that
        # the two never differ by the second the clock may have crossed meanwhile.
        ends = datetime.fromtimestamp(int(now) + int(ttl), timezone.utc)
        answer[expiration_field] = ends.isoformat().replace("+00:00", "Z")
    return answer


def _refresh_rejected(backend: Backend, reason: str, *, value_sent: bool,
                      clear_cookie: bool = True) -> ApiError:
    """The refusal of a refresh: a 401 carries its RFC 6750 challenge like every other 401;
    a 400 is the OAuth token endpoint's `invalid_grant` (RFC 6749 section 5.2)."""
    status = backend.settings.refresh_failure_status
    behaviour = backend.settings.api_profile.behaviour
    headers = bearer_challenge(token_sent=value_sent) \
        if status == 401 and behaviour.www_authenticate else {}
    clear_cookie = clear_cookie and behaviour.refused_refresh == "clears-cookie"
    cleared: list[str] = []
    if clear_cookie and backend.settings.api_profile.refresh.in_cookie:
        failure = Response()
        clear_refresh_cookie(failure, backend)  # and the access cookie, where there is one
        cleared = failure.headers.getlist("set-cookie")
    code = "invalid_grant" if status == 400 else "invalid_refresh_token"
    return ApiError(status, code, f"refresh token {reason}", headers, set_cookies=cleared)


async def left_already(request: Request) -> bool:
    """Request.is_disconnected without its cost: whether the next message is there already
    and says the client left, asked without waiting for one.

    is_disconnected asks by waiting for the message inside a cancelled scope, which costs a
    pass of the event loop and the unwinding of the cancellation: about a third of a
    refresh's own time. The same question can be put by running the receive coroutine up to
    the point where it would wait, and dropping it there; a message it returns before that
    is taken, as is_disconnected takes it.
    """
    receive = request.receive
    if not inspect.iscoroutinefunction(receive):  # an awaitable of another kind
        return await request.is_disconnected()
    step = receive()
    try:
        step.send(None)
    except StopIteration as done:  # it had the message at hand
        return bool(done.value.get("type") == "http.disconnect")
    finally:
        step.close()  # it was about to wait: nothing has arrived
    return False


async def whole_request(request: Request) -> None:
    """Read the request to its end before anything rotates.

    A client that gives up mid-request (a timeout, a closed tab) still holds its value:
    rotating behind its back would make its next refresh a replay that revokes the family
    (RFC 9700 section 4.14.2).
    """
    try:
        await request.body()
        gone = await left_already(request)
    except ClientDisconnect:
        gone = True
    if gone:
        raise ApiError(400, "request_aborted", "the client left before the request was complete")


async def presented_refresh(request: Request, profile: ApiProfile,
                            check_extra: bool = True) -> str | None:
    """The refresh value where the profile's transport puts it; the fixed body fields of a
    refresh (`grant_type`) checked too."""
    refresh = profile.refresh
    extra = refresh.extra if check_extra else {}
    also = profile.behaviour.refresh_body_field
    if also and refresh.transport != "body" and request.method != "GET":
        # A backend that reads a body field before the cookie (dj-rest-auth reads both).
        try:
            data = await read_body(request, refresh.body)
        except (ApiError, RequestValidationError):
            data = None
        found = data.get(also) if isinstance(data, dict) else None
        if isinstance(found, str) and found:
            return found
    if refresh.transport == "cookie":
        value = request.cookies.get(profile.cookie_name)
    elif refresh.transport == "header":
        value = request.headers.get(refresh.field)
    else:
        data = await read_body(request, refresh.body)
        if not isinstance(data, dict):
            raise RequestValidationError([{"loc": ("body",), "msg": "expected an object",
                                           "type": "dict_type"}])
        for key, wanted in extra.items():
            if data.get(key) != wanted:
                raise ApiError(400, "invalid_request", f"{key} must be {wanted!r}")
        found = data.get(refresh.field)
        if found is not None and not isinstance(found, str):
            raise RequestValidationError([{"loc": ("body", refresh.field),
                                           "msg": "Input should be a valid string",
                                           "type": "string_type"}])
        value = found
    if refresh.transport != "body" and extra and request.method != "GET":
        data = await read_body(request, refresh.body)
        for key, wanted in extra.items():
            if not isinstance(data, dict) or data.get(key) != wanted:
                raise ApiError(400, "invalid_request", f"{key} must be {wanted!r}")
    return value or None


def _login_refused(profile: ApiProfile) -> ApiError:
    """A wrong password: 401 with its challenge (the reference), or the status and body
    the profile's behaviour gives (Django REST framework's serializer error for a 400)."""
    behaviour = profile.behaviour
    message = "invalid username or password"
    status = behaviour.login_failure_status
    headers = bearer_challenge(token_sent=False) \
        if status == 401 and behaviour.www_authenticate else {}
    body: dict[str, object] | None = None
    if behaviour.error_body == "drf":
        body = {"non_field_errors": [message]} if status == 400 else {"detail": message}
    return ApiError(status, "invalid_credentials", message, headers, body)


def _logout_refused(profile: ApiProfile) -> ApiError:
    """A logout without the refresh value it ends, where the backend requires one: the
    refresh cookie missing (401), or the body field (400, a validation error)."""
    refresh = profile.refresh
    if refresh.transport == "body":
        message = f"{refresh.field}: this field is required"
        body: dict[str, object] | None = {refresh.field: ["This field is required."]} \
            if profile.behaviour.error_body == "drf" else None
        return ApiError(400, "invalid_request", message, {}, body)
    where = "cookie" if refresh.in_cookie else "header"
    return ApiError(401, "refresh_missing", f"the refresh token is missing from the {where}")


def build_router(profile: ApiProfile) -> APIRouter:
    router = APIRouter(tags=["auth"])
    login_api, refresh_api = profile.login, profile.refresh
    aliases = {"username": login_api.username_field, "password": login_api.password_field}
    hands_out = not refresh_api.in_cookie

    def credentials(data: Any) -> LoginRequest:
        if isinstance(data, dict):
            renamed = {k: v for k, v in data.items() if k not in aliases.values()}
            for ours, theirs in aliases.items():
                if theirs in data:
                    renamed[ours] = data[theirs]
            data = renamed
        request: LoginRequest = _validated(LoginRequest, data)
        return request

    async def record(request: Request, backend: Backend, value: str | None) -> None:
        """Tells the journal which family a refresh value outside the cookie belongs to (the
        journal reads the cookie itself)."""
        if value and hands_out:
            found = await on_the_loop_unless_busy(backend.sessions.lookup, value)
            if found:
                request.scope.setdefault("state", {})["refresh_family"] = found

    @router.api_route(login_api.endpoint.path, methods=[login_api.endpoint.method])
    async def login(request: Request, response: Response, backend: BackendDep) -> dict[str, Any]:
        check_origin(request, backend.settings)  # login CSRF: only our own and allowed origins
        body = credentials(await read_body(request, login_api.body))
        # Password hashing and the store's I/O run off the event loop.
        user = await run_in_threadpool(authenticate, body.login, body.password,
                                       backend.settings.password_cost)
        if user is None:
            raise _login_refused(profile)
        issued = await run_in_threadpool(backend.sessions.start, user.id, backend.clock.now())
        answer = _tokens(backend, user, issued.family.id, login_api.access_token,
                         login_api.expires_in)
        if login_api.response.token_type:
            answer[login_api.response.token_type] = "Bearer"
        if hands_out:
            answer[refresh_api.refresh_token] = issued.value
        else:
            set_refresh_cookie(response, backend, issued, answer[login_api.access_token])
        if profile.behaviour.csrf == "double-submit":
            set_csrf_cookie(response)
        if login_api.user:
            answer[login_api.user] = user.public()
        return answer

    @router.api_route(refresh_api.endpoint.path, methods=[refresh_api.endpoint.method])
    async def refresh_token(request: Request, response: Response,
                            backend: BackendDep) -> dict[str, Any]:
        await whole_request(request)  # first, as a dependency would run; without its cost
        check_csrf(request, backend.settings)
        value = await presented_refresh(request, profile)
        arrived_at = request.scope.get("state", {}).get("arrived_at")
        await record(request, backend, value)
        fault = backend.faults.take(request.method, request.url.path, at="checked")
        try:
            if fault is None:
                issued = await on_the_loop_unless_busy(backend.sessions.rotate, value,
                                                       backend.clock.now, arrived_at)
            else:  # held inside the transaction until the loop releases it
                issued = await run_in_threadpool(backend.sessions.rotate, value,
                                                 backend.clock.now, arrived_at,
                                                 lambda: anyio.from_thread.run(fault.hold))
        except RefreshRejected as exc:
            request.scope.setdefault("state", {})["refusal"] = exc.refusal  # for the journal
            raise _refresh_rejected(backend, exc.reason, value_sent=bool(value),
                                    clear_cookie=exc.clear_cookie) from None
        user = user_by_id(issued.family.user_id)
        if user is None:
            raise _refresh_rejected(backend, "unknown", value_sent=True)
        answer = _tokens(backend, user, issued.family.id, refresh_api.access_token,
                         refresh_api.expires_in,
                         profile.behaviour.access_expiration_field)
        if hands_out:
            answer[refresh_api.refresh_token] = issued.value
        else:
            set_refresh_cookie(response, backend, issued, answer[refresh_api.access_token])
        return answer

    @router.api_route(profile.logout.path, methods=[profile.logout.method])
    async def logout(request: Request, backend: BackendDep) -> Response:
        check_csrf(request, backend.settings)
        try:
            value = await presented_refresh(request, profile, check_extra=False)
        except (ApiError, RequestValidationError):
            value = None  # a logout still ends the session its access token names
        if value is None and profile.logout.requires_refresh:
            raise _logout_refused(profile)
        await record(request, backend, value)
        await run_in_threadpool(backend.sessions.revoke, value, "logout")
        try:  # a valid access token names its family too (covers a missing cookie)
            token = bearer_token(request) if profile.behaviour.logout == "family" else None
            if token:
                sid = backend.signer.verify(token, backend.clock.now()).sid
                await run_in_threadpool(backend.sessions.revoke_family, sid, "logout")
        except (ApiError, InvalidAccessToken):
            pass
        said = profile.logout.answer
        answer = Response(status_code=204) if said == "none" else JSONResponse(
            {"detail": "Successfully logged out."} if said == "detail" else {})
        if not hands_out:
            clear_refresh_cookie(answer, backend)
        return answer

    return router
