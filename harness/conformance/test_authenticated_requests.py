"""A: which requests carry the access token, and which never do."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from harness import evidence
from harness.backend_client import BackendClient
from harness.driver import SpaDriver
from harness.page_watch import PageWatch
from harness.third_party import ThirdParty


@pytest.mark.conformance("A1", cross_origin=True)
def test_A1_api_requests_carry_the_current_access_token_as_bearer(
        spa: SpaDriver, backend: BackendClient, page_watch: PageWatch) -> None:
    spa.open("/")
    spa.login()
    for step in ("login", "renewed", "after"):
        if step == "renewed":
            evidence.expire_access_token(backend)
        res = spa.request("GET", f"/api/job-list?step={step}")
        assert res.status == 200, f"A1: an authenticated request ({step}) answered {res}"

    issued = evidence.issued(backend)
    first, renewed = issued.access_jtis[0], issued.access_jtis[-1]
    carried = {q: [a.jti for a in seen]
               for q, seen in evidence.attempts_by_query(backend, "/api/job-list").items()}
    assert carried == {"step=login": [first], "step=renewed": [first, renewed],
                       "step=after": [renewed]}, f"A1: access tokens carried (by jti): {carried}"
    # As the browser sent it: exactly `Bearer <token>` (RFC 6750 section 2.1).
    sent = page_watch.sent_to("/api/job-list?step=after")
    assert [r.headers.get("authorization") for r in sent] == [
        f"Bearer {issued.access_tokens[-1]}"], "A1: Authorization header is not 'Bearer <token>'"


@pytest.mark.conformance("A2")
def test_A2_requests_to_another_origin_never_carry_authorization(
        spa: SpaDriver, backend: BackendClient, third_party: ThirdParty,
        page_watch: PageWatch, api_base_url: str) -> None:
    assert urlsplit(third_party.url).netloc != urlsplit(api_base_url).netloc
    spa.open("/")
    spa.login()
    assert spa.request("GET", f"{third_party.url}/widgets").status == 200
    assert spa.request("POST", f"{third_party.url}/events", {"kind": "click"}).status == 200
    evidence.expire_access_token(backend)  # also while a refresh is due
    assert spa.request("GET", f"{third_party.url}/widgets?late=1").status == 200

    received = third_party.received
    assert len([r for r in received if r.method != "OPTIONS"]) == 3, received
    leaked = [f"{r.method} {r.path}" for r in received
              if "authorization" in r.headers
              or "authorization" in r.headers.get("access-control-request-headers", "").lower()]
    assert not leaked, f"A2: Authorization sent to another origin: {leaked}"
    tokens = evidence.issued(backend).access_tokens
    in_values = [r.url for r in page_watch.sent_to(third_party.url)
                 if any(t in v for t in tokens for v in [r.url, *r.headers.values()])]
    assert not in_values, f"A2: the access token went to another origin: {in_values}"


@pytest.mark.conformance("A3")
def test_A3_skip_auth_request_has_no_authorization_and_no_marker(
        spa: SpaDriver, backend: BackendClient, page_watch: PageWatch) -> None:
    spa.open("/")
    spa.login()
    plain = spa.request("GET", "/api/current-user?kind=plain")
    skipped = spa.request("GET", "/api/current-user?kind=skipped", skip_auth=True)
    assert plain.status == 200
    # Without a token the API answers 401; the app must hand it back, not refresh.
    assert skipped.status == 401, f"A3: skip-auth request answered {skipped.status}"
    assert len(evidence.refreshes(backend)) == 0, "A3: a skip-auth 401 started a refresh"
    attempts = evidence.attempts_by_query(backend, "/api/current-user")
    assert [a.jti for a in attempts["kind=skipped"]] == [None], attempts

    [normal] = page_watch.sent_to("kind=plain")
    [bare] = page_watch.sent_to("kind=skipped")
    assert "authorization" not in bare.headers, "A3: skip-auth request carried Authorization"
    # The marker is the app's business: the request differs from a normal one only by
    # the missing Authorization header.
    extra = sorted(set(bare.headers) - set(normal.headers))
    assert not extra, f"A3: the skip-auth marker reached the server as header(s) {extra}"
