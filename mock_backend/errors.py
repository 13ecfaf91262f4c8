"""Every error leaves as `{"error": code, "message": text}`, or in the shape the API profile's
`behaviour.error_body` names: no stack traces, no echoed input."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from mock_backend.observe import DroppedConnection
from mock_backend.store import StoreUnavailable

log = logging.getLogger("mock_backend")

_REALM = 'Bearer realm="api"'


class ApiError(Exception):
    """An error answer with a stable machine-readable code."""

    def __init__(self, status: int, code: str, message: str,
                 headers: dict[str, str] | None = None,
                 body: dict[str, object] | None = None,
                 set_cookies: list[str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}
        self.body = body  # a body of its own, instead of the profile's shape of code and message
        self.set_cookies = set_cookies or []  # one Set-Cookie header each (a dict holds one)


def bearer_challenge(*, token_sent: bool) -> dict[str, str]:
    """RFC 6750 section 3: every 401 names the scheme; error="invalid_token" only when a token
    was sent (RFC 7235 section 3.1: a 401 without a challenge is malformed)."""
    return {"WWW-Authenticate": _REALM + (', error="invalid_token"' if token_sent else "")}


def unauthorized(message: str, *, token_sent: bool) -> ApiError:
    """401 in RFC 6750 section 3 form: error="invalid_token" only when a token was sent."""
    return ApiError(401, "invalid_token" if token_sent else "unauthorized", message,
                    bearer_challenge(token_sent=token_sent))


def invalid_request(message: str) -> ApiError:
    """RFC 6750 section 3.1: a malformed request is 400 invalid_request."""
    return ApiError(400, "invalid_request", message,
                    {"WWW-Authenticate": _REALM + ', error="invalid_request"'})


def insufficient_scope(scope: str) -> ApiError:
    """RFC 6750 section 3.1: a valid token without the scope is 403; the client must not refresh."""
    return ApiError(403, "insufficient_scope", f"this endpoint needs the {scope!r} role",
                    {"WWW-Authenticate": _REALM + f', error="insufficient_scope", scope="{scope}"'})


# Django REST framework's codes for ours, where its answer carries one: SimpleJWT's refusal of
# a token is `token_not_valid`; an answer without credentials has no code at all.
_DRF_CODES = {"invalid_token": "token_not_valid", "invalid_refresh_token": "token_not_valid",
              "unauthorized": None, "forbidden_origin": "permission_denied",
              "csrf_header_missing": "permission_denied", "csrf_failed": "permission_denied",
              "not_found": None, "method_not_allowed": None, "refresh_missing": None}


def error_body(shape: str, code: str, message: str) -> dict[str, object]:
    """An error's body in a profile's `error_body` shape: `reference` `{error, message}`,
    `drf` Django REST framework's `{detail, code}`, `oauth` RFC 6749 section 5.2's
    `{error, error_description}`."""
    if shape == "drf":
        drf_code = _DRF_CODES.get(code, code)
        return {"detail": message, **({"code": drf_code} if drf_code else {})}
    if shape == "oauth":
        return {"error": code, "error_description": message}
    return {"error": code, "message": message}


def error_response(status: int, code: str, message: str,
                   headers: dict[str, str] | None = None,
                   shape: str = "reference") -> JSONResponse:
    return JSONResponse(error_body(shape, code, message), status_code=status,
                        headers={"Cache-Control": "no-store", **(headers or {})})


_STATUS_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed",
                 413: "payload_too_large", 415: "unsupported_media_type"}


def install_error_handlers(app: FastAPI, shape: str) -> None:
    """`shape`: the error-body shape of the app's API profile (`behaviour.error_body`)."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        if exc.body is not None:
            response = JSONResponse(exc.body, status_code=exc.status,
                                    headers={"Cache-Control": "no-store", **exc.headers})
        else:
            response = error_response(exc.status, exc.code, exc.message, exc.headers, shape)
        for cookie in exc.set_cookies:
            response.headers.append("set-cookie", cookie)
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [{"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg", ""),
                    "type": e.get("type", "")} for e in exc.errors()]
        first = details[0] if details else {"loc": [], "msg": "invalid request", "type": ""}
        if first["type"] == "json_invalid":
            message = "body is not valid JSON"
        else:
            where = ".".join(p for p in first["loc"] if p != "body") or "body"
            message = f"{where}: {first['msg']}"
        body = error_body(shape, "invalid_request", message)
        if shape == "reference":
            body["details"] = details
        return JSONResponse(body, status_code=422, headers={"Cache-Control": "no-store"})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else code
        return error_response(exc.status_code, code, message, dict(exc.headers or {}), shape)

    @app.exception_handler(StoreUnavailable)
    async def _store(request: Request, exc: StoreUnavailable) -> JSONResponse:
        log.error("%s", exc)
        return error_response(503, "store_unavailable",
                              "the token store is unavailable; try again shortly",
                              {"Retry-After": "1"}, shape)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        if not isinstance(exc, DroppedConnection):  # dropped on purpose by a fault
            log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", "internal error", shape=shape)
