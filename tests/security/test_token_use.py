"""SECURITY-CHECKS cases 18-20: the right kind of token, the right role, a live session."""

from __future__ import annotations

from tests.backend.wire import CSRF
from tests.security.answers import error_answer, not_echoed, unauthorized
from tests.security.conftest import Target

ME = "/api/current-user"


def test_case18_wrong_typ_or_a_refresh_value_as_bearer_is_401(target: Target) -> None:
    session = target.login()
    claims = target.claims(session)
    header = target.header()
    # RFC 8725 section 3.11 (explicit typing) and RFC 9068 section 2.1: an access token says
    # `at+jwt`; an ID token, a plain JWT or anything else is not one, even when signed by us.
    headers = [{k: v for k, v in header.items() if k != "typ"}]
    headers += [{**header, "typ": typ} for typ in ("JWT", "jwt", "rt+jwt", "secevent+jwt",
                                                   "id_token", "", None, 1, ["at+jwt"])]
    for forged_header in headers:
        r = target.get(ME, target.sign(claims, forged_header))
        assert r.status_code == 401, f"typ {forged_header.get('typ')!r}: {r.text}"
        unauthorized(r, token_sent=True)
    # The opaque refresh value is no bearer token (RFC 8725 section 3.12), and trying it
    # neither rotates nor revokes its family.
    before = target.control.sessions()
    r = target.get(ME, session.refresh)
    unauthorized(r, token_sent=True)
    not_echoed(r, session.refresh)
    assert target.control.sessions() == before
    assert target.get(ME, target.sign(claims)).status_code == 200


def test_case19_valid_token_without_the_admin_role_is_403_insufficient_scope(
        target: Target) -> None:
    alice, admin = target.login("alice"), target.login("admin")
    before = target.control.sessions()
    r = target.get("/api/admin/stats", alice.access)
    # RFC 6750 section 3.1: the token is fine, its scope is not; the client must not refresh.
    error_answer(r, 403, "insufficient_scope")
    assert r.headers["www-authenticate"] == (
        'Bearer realm="api", error="insufficient_scope", scope="admin"'), r.headers
    assert target.control.sessions() == before  # the session is untouched
    assert target.get(ME, alice.access).status_code == 200
    assert target.get("/api/admin/stats", admin.access).status_code == 200


def test_case20_access_token_after_logout_of_its_session_is_401(target: Target) -> None:
    ended, other = target.login(), target.login()
    r = target.http.post("/api/logout",
                         headers={**CSRF, "Cookie": f"refresh_token={ended.refresh}"})
    assert r.status_code == 204, r.text
    # The token has not expired, but its `sid` names a revoked family.
    unauthorized(target.get(ME, ended.access), token_sent=True)
    assert target.get(ME, other.access).status_code == 200
    states = {f.id: (f.state, f.reason) for f in target.control.sessions()}
    assert states == {target.claims(ended)["sid"]: ("revoked", "logout"),
                      target.claims(other)["sid"]: ("live", None)}
