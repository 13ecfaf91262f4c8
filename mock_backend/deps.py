"""Dependencies shared by the routes: the backend, the bearer token, the current user.

All `async def`: a plain `def` dependency runs in a worker thread, and the hand-over to it
and back costs more than the work of any of these.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from mock_backend.errors import ApiError, insufficient_scope, invalid_request, unauthorized
from mock_backend.security import AccessClaims, InvalidAccessToken
from mock_backend.sessions import on_the_loop_unless_busy
from mock_backend.state import Backend
from mock_backend.users import User, user_by_id


async def get_backend(request: Request) -> Backend:
    backend: Backend = request.app.state.backend
    return backend


BackendDep = Annotated[Backend, Depends(get_backend)]


def bearer_token(request: Request) -> str | None:
    """The token of `Authorization: Bearer <token>` (RFC 6750 section 2.1), or None.

    Tokens in the query string are not accepted (RFC 6750 section 2.3 discourages them);
    sending one together with the header is a malformed request.
    """
    values = request.headers.getlist("authorization")
    if len(values) > 1:
        raise invalid_request("more than one Authorization header")
    if not values:
        if "access_token" in request.query_params:
            raise unauthorized("access tokens are accepted only in the Authorization header",
                               token_sent=False)
        return None
    scheme, _, token = values[0].strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    token = token.strip()
    if not token or " " in token or "," in token:
        raise invalid_request("expected exactly one bearer token")
    if "access_token" in request.query_params:
        raise invalid_request("token sent both in the header and in the query")
    return token


def unauthenticated(backend: Backend, message: str, *, token_sent: bool) -> ApiError:
    """The answer to a missing, garbage or expired access token: 401 with its RFC 6750
    challenge, or as the API profile's behaviour says (a 403, no challenge)."""
    behaviour = backend.settings.api_profile.behaviour
    error = unauthorized(message, token_sent=token_sent)
    error.status = behaviour.unauthenticated_status
    if not behaviour.www_authenticate:
        error.headers = {}
    return error


async def current_claims(request: Request, backend: BackendDep) -> AccessClaims:
    try:
        token = bearer_token(request)
    except ApiError as exc:
        if exc.status != 401:  # a malformed request stays a 400
            raise
        raise unauthenticated(backend, exc.message, token_sent=False) from None
    cookie = backend.settings.api_profile.cookie.access_name
    if token is None and cookie:  # a backend that reads the access token from a cookie too
        token = request.cookies.get(cookie) or None
    if token is None:
        raise unauthenticated(backend, "authentication required", token_sent=False)
    try:
        claims = backend.signer.verify(token, backend.clock.now())
    except InvalidAccessToken:
        raise unauthenticated(backend, "the access token is invalid or expired",
                              token_sent=True) from None
    # `sid` binds the token to its refresh family: logout revokes both at once (unless the
    # profile's tokens are honoured until `exp`, as a stateless JWT is).
    if backend.settings.api_profile.behaviour.access_tokens == "end-with-session" and \
            not await on_the_loop_unless_busy(backend.sessions.is_live, claims.sid):
        raise unauthenticated(backend, "the session of this access token has ended",
                              token_sent=True)
    return claims


Claims = Annotated[AccessClaims, Depends(current_claims)]


async def current_user(claims: Claims, backend: BackendDep) -> User:
    user = user_by_id(claims.sub)
    if user is None:  # a token of ours for a user who is gone: answered as the profile says
        raise unauthenticated(backend, "unknown subject", token_sent=True)
    return user


CurrentUser = Annotated[User, Depends(current_user)]


async def admin_user(user: CurrentUser, claims: Claims) -> User:
    if claims.role != "admin":
        raise insufficient_scope("admin")
    return user


AdminUser = Annotated[User, Depends(admin_user)]
