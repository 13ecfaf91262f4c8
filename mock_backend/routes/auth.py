"""Login, refresh with rotation, logout. The refresh value travels only in the cookie."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StrictStr, model_validator
from starlette.requests import ClientDisconnect

from mock_backend.csrf import check_csrf, check_origin
from mock_backend.deps import BackendDep, bearer_token
from mock_backend.endpoints import LOGIN, LOGOUT, REFRESH
from mock_backend.errors import ApiError, bearer_challenge
from mock_backend.security import InvalidAccessToken
from mock_backend.sessions import IssuedRefresh, RefreshRejected
from mock_backend.state import Backend
from mock_backend.users import User, authenticate, user_by_id

router = APIRouter(tags=["auth"])

Name = Annotated[StrictStr, Field(min_length=1, max_length=320)]


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


def set_refresh_cookie(response: Response, backend: Backend, issued: IssuedRefresh) -> None:
    s = backend.settings
    remaining = int(issued.family.expires_at - backend.clock.now())
    # Max-Age never outlives the family; no Domain, so the cookie is host-only.
    response.set_cookie(s.cookie_name, issued.value, max_age=max(remaining, 1), path=s.cookie_path,
                        secure=True, httponly=True, samesite="strict")


def clear_refresh_cookie(response: Response, backend: Backend) -> None:
    s = backend.settings
    response.delete_cookie(s.cookie_name, path=s.cookie_path, secure=True, httponly=True,
                           samesite="strict")


def _access_token(backend: Backend, user: User, sid: str) -> dict[str, Any]:
    ttl = backend.settings.access_ttl
    token, _ = backend.signer.issue(sub=user.id, sid=sid, role=user.role,
                                    now=backend.clock.now(), ttl=ttl)
    return {"accessToken": token, "tokenType": "Bearer", "expiresIn": int(ttl)}


@router.post(LOGIN.path)
def login(body: LoginRequest, request: Request, response: Response,
          backend: BackendDep) -> dict[str, Any]:
    check_origin(request, backend.settings)  # login CSRF: only our own and allowed origins
    user = authenticate(body.login, body.password)
    if user is None:
        raise ApiError(401, "invalid_credentials", "invalid username or password",
                       {"WWW-Authenticate": 'Bearer realm="api"'})
    issued = backend.sessions.start(user.id, backend.clock.now())
    set_refresh_cookie(response, backend, issued)
    return {**_access_token(backend, user, issued.family.id), "user": user.public()}


def _refresh_rejected(backend: Backend, reason: str, *, value_sent: bool,
                      clear_cookie: bool = True) -> ApiError:
    """The refusal of a refresh: a 401 carries its RFC 6750 challenge like every other 401."""
    status = backend.settings.refresh_failure_status
    headers = bearer_challenge(token_sent=value_sent) if status == 401 else {}
    if clear_cookie:
        failure = Response()
        clear_refresh_cookie(failure, backend)
        headers["set-cookie"] = failure.headers["set-cookie"]
    return ApiError(status, "invalid_refresh_token", f"refresh token {reason}", headers)


async def whole_request(request: Request) -> None:
    """Read the request to its end before anything rotates.

    A client that gives up mid-request (a timeout, a closed tab) still holds its value:
    rotating behind its back would make its next refresh a replay that revokes the family
    (RFC 9700 section 4.14.2).
    """
    try:
        await request.body()
        gone = await request.is_disconnected()
    except ClientDisconnect:
        gone = True
    if gone:
        raise ApiError(400, "request_aborted", "the client left before the request was complete")


@router.post(REFRESH.path, dependencies=[Depends(whole_request)])
def refresh_token(request: Request, response: Response, backend: BackendDep) -> dict[str, Any]:
    check_csrf(request, backend.settings)
    value = request.cookies.get(backend.settings.cookie_name)
    arrived_at = request.scope.get("state", {}).get("arrived_at")
    try:
        issued = backend.sessions.rotate(value, backend.clock.now, arrived_at)
    except RefreshRejected as exc:
        raise _refresh_rejected(backend, exc.reason, value_sent=bool(value),
                                clear_cookie=exc.clear_cookie) from None
    user = user_by_id(issued.family.user_id)
    if user is None:
        raise _refresh_rejected(backend, "unknown", value_sent=True)
    set_refresh_cookie(response, backend, issued)
    token = _access_token(backend, user, issued.family.id)
    return {"accessToken": token["accessToken"], "expiresIn": token["expiresIn"]}


@router.post(LOGOUT.path, status_code=204)
def logout(request: Request, backend: BackendDep) -> Response:
    check_csrf(request, backend.settings)
    backend.sessions.revoke(request.cookies.get(backend.settings.cookie_name), "logout")
    try:  # a valid access token names its family too (covers a missing cookie)
        token = bearer_token(request)
        if token:
            sid = backend.signer.verify(token, backend.clock.now()).sid
            backend.sessions.revoke_family(sid, "logout")
    except (ApiError, InvalidAccessToken):
        pass
    response = Response(status_code=204)
    clear_refresh_cookie(response, backend)
    return response
