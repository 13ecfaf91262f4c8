"""SECURITY-CHECKS cases 27-29: cookie-authenticated endpoints refuse other sites; CORS is exact.

OWASP CSRF Prevention Cheat Sheet: check the source origin (Origin, Sec-Fetch-Site) against
an allow-list, and require a custom header that a cross-site form cannot send.
"""

from __future__ import annotations

import httpx

from harness.seam.client import BackendClient
from tests.backend.wire import CSRF, bearer, login, refresh
from tests.security.answers import error_answer, no_cookie
from tests.security.conftest import ServeTarget

COOKIE_ENDPOINTS = ("/api/refresh-token", "/api/logout")


def look_alikes(origin: str) -> dict[str, str]:
    """Origins a prefix, suffix or case-insensitive comparison would take for `origin`."""
    url = httpx.URL(origin)
    scheme, host, port = url.scheme, url.host, url.port
    other_scheme = "http" if scheme == "https" else "https"
    return {
        "a longer port": f"{origin}0",
        "a suffix domain": f"{origin}.evil.example",
        "a suffix domain before the port": f"{scheme}://{host}.evil.example:{port}",
        "a different scheme": f"{other_scheme}://{host}:{port}",
        "a trailing dot": f"{scheme}://{host}.:{port}",
        "upper case": origin.upper(),
        "a trailing slash": f"{origin}/",
        "null": "null",
        "a userinfo trick": f"{origin}@evil.example",
    }


def _cross_site_attempts(own: httpx.URL) -> dict[str, dict[str, str]]:
    """name -> headers replacing the same-origin ones (the CSRF header is sent unless named)."""
    port = own.port or 80
    other_scheme = "http" if own.scheme == "https" else "https"
    return {
        "a foreign Origin": {"Origin": "http://evil.test"},
        "Origin: null": {"Origin": "null"},
        "a look-alike Origin": {"Origin": "http://localhost.evil.test"},
        "a look-alike Origin on our port": {"Origin": f"http://localhost.evil.test:{port}"},
        "our host on another port": {"Origin": f"http://localhost:{port + 1}"},
        "our host, other scheme": {"Origin": f"{other_scheme}://localhost:{port}"},
        "Sec-Fetch-Site: cross-site": {"Sec-Fetch-Site": "cross-site"},
        "our Origin but Sec-Fetch-Site: cross-site": {
            "Origin": f"{own.scheme}://localhost:{port}", "Sec-Fetch-Site": "cross-site"},
        "no custom header": {"X-Requested-With": ""},
    }


def test_case27_cross_site_refresh_or_logout_is_403_and_changes_nothing(
        http: httpx.Client, backend: BackendClient) -> None:
    session = login(http)
    before = backend.sessions()
    for path in COOKIE_ENDPOINTS:
        for name, headers in _cross_site_attempts(http.base_url).items():
            sent = {**CSRF, "Cookie": f"refresh_token={session.refresh}", **headers}
            r = http.post(path, headers={k: v for k, v in sent.items() if v})
            assert r.status_code == 403, f"{path}, {name}: {r.status_code} {r.text}"
            error_answer(r, 403, "csrf_header_missing" if "X-Requested-With" in headers
                         else "forbidden_origin")
            no_cookie(r)
            assert backend.sessions() == before, f"{path}, {name}"
    # Nothing rotated, nothing revoked: the value is still the current one.
    assert refresh(http, session.refresh).status_code == 200


FORM_BODIES = {
    "application/x-www-form-urlencoded": b"refresh=1",
    "text/plain": b"refresh",
    "multipart/form-data; boundary=x": b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n'
                                       b"b\r\n--x--\r\n",
}


def test_case28_get_on_refresh_is_405_and_form_or_text_bodies_are_refused(
        http: httpx.Client, backend: BackendClient) -> None:
    session = login(http)
    cookie = {"Cookie": f"refresh_token={session.refresh}"}
    before = backend.sessions()
    r = http.get("/api/refresh-token", headers={**CSRF, **cookie})
    error_answer(r, 405, "method_not_allowed")
    assert r.headers["allow"] == "POST"  # RFC 9110 section 15.5.6
    no_cookie(r)
    for path in COOKIE_ENDPOINTS:
        # Bodies a cross-site form can send: 415, even with every other header right.
        for content_type, body in FORM_BODIES.items():
            r = http.post(path, content=body, headers={**CSRF, **cookie,
                                                       "Content-Type": content_type})
            assert r.status_code == 415, f"{path}, {content_type}: {r.status_code} {r.text}"
            error_answer(r, 415, "unsupported_media_type")
            no_cookie(r)
        # An empty form has no body to refuse, but a form cannot send the custom header: 403.
        r = http.post(path, content=b"", headers={
            **cookie, "Content-Type": "application/x-www-form-urlencoded"})
        error_answer(r, 403, "csrf_header_missing")
    assert backend.sessions() == before
    assert refresh(http, session.refresh).status_code == 200


def test_case29_cors_from_a_foreign_origin_gets_no_allow_origin_and_never_a_wildcard(
        serve_target: ServeTarget, http: httpx.Client) -> None:
    allowed = "http://localhost:4200"
    t = serve_target(allow_origins=[allowed])
    token = t.login().access
    foreign = ["http://evil.test", "null", "http://localhost.evil.test",
               "http://localhost.evil.test:4200", "https://localhost:4200", "http://localhost:4201"]
    answers: list[httpx.Response] = []
    for path, method in (("/api/refresh-token", "POST"), ("/api/logout", "POST"),
                         ("/api/current-user", "GET")):
        preflight = {"Access-Control-Request-Method": method,
                     "Access-Control-Request-Headers": "authorization, content-type, "
                                                       "x-requested-with"}
        for origin in foreign:
            for client in (t.http, http):  # with an allow-list, and with none
                r = client.options(path, headers={"Origin": origin, **preflight})
                assert r.status_code < 500, r.text
                assert "access-control-allow-origin" not in r.headers, (origin, r.headers)
                answers.append(r)
        # The allowed origin gets itself back, with credentials.
        r = t.http.options(path, headers={"Origin": allowed, **preflight})
        assert r.status_code == 200, r.text
        assert r.headers["access-control-allow-origin"] == allowed
        assert r.headers["access-control-allow-credentials"] == "true"
        answers.append(r)
    # An actual request from a foreign origin is answered without the header (the browser then
    # hides the answer from that page).
    for origin in foreign:
        r = t.http.get("/api/current-user", headers={"Origin": origin, **bearer(token)})
        assert "access-control-allow-origin" not in r.headers, (origin, r.headers)
        answers.append(r)
    assert all(r.headers.get("access-control-allow-origin") != "*" for r in answers)


def test_look_alikes_of_our_own_and_of_an_allowed_origin_are_refused_by_csrf_and_cors(
        serve_target: ServeTarget) -> None:
    # An allow-list compared by prefix, suffix or case would take each of these.
    allowed = "http://localhost:5173"
    t = serve_target(allow_origins=[allowed])
    own = str(t.http.base_url).rstrip("/")
    for real in (own, allowed):
        for name, origin in look_alikes(real).items():
            session = t.login()
            before = t.control.sessions()
            for path in COOKIE_ENDPOINTS:
                r = t.http.post(path, headers={**CSRF, "Origin": origin,
                                               "Cookie": f"refresh_token={session.refresh}"})
                assert r.status_code == 403, f"{path}, {name} of {real}: {r.status_code} {r.text}"
                error_answer(r, 403, "forbidden_origin")
                no_cookie(r)
                assert "access-control-allow-origin" not in r.headers, (name, r.headers)
            assert t.control.sessions() == before, f"{name} of {real}"
            preflight = t.http.options("/api/refresh-token", headers={
                "Origin": origin, "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "x-requested-with"})
            assert "access-control-allow-origin" not in preflight.headers, (name, origin)
    # The real ones still work.
    assert t.http.post("/api/refresh-token", headers={
        **CSRF, "Origin": allowed,
        "Cookie": f"refresh_token={t.login().refresh}"}).status_code == 200
