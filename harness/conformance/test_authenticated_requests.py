"""A: which requests carry the access token, and which never do."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from harness.browser.page_watch import PageWatch
from harness.seam.journal import Request
from harness.servers.third_party import ThirdParty
from harness.verdicts import evidence
from harness.verdicts.check import Check


@pytest.mark.conformance("A1", cross_origin=True)
def test_A1_api_requests_carry_the_current_access_token_as_bearer(
        harness_check: Check, _harness_page_watch: PageWatch) -> None:
    check = harness_check
    facts, backend = check.facts, check.backend
    check.logged_in()
    prop = "API requests carry the current access token as `Authorization: Bearer <token>`"
    for step in ("login", "renewed", "after"):
        if step == "renewed":
            check.expire_access_token()
        res = check.spa.request("GET", f"{facts.list.path}?step={step}")
        check.require(res.status == 200, prop,
                      f"an authenticated request ({step}) resolved with {res.status} {res.body}",
                      highlight=[Request("GET", facts.list.path, f"step={step}")])

    journal = backend.journal()
    issued = journal.issued()
    first, renewed = issued.access_jtis[0], issued.access_jtis[-1]
    carried = {r.query: [evidence.token_label(a.jti, first, renewed, "the login token")
                         for a in seen]
               for r, seen in journal.attempts(facts.list).items()
               if r.query.startswith("step=")}
    wanted = {"step=login": ["the login token"],
              "step=renewed": ["the login token", "the new token"],
              "step=after": ["the new token"]}
    check.require(carried == wanted, prop, f"the backend saw {carried}",
                  f"expected (login token, then the renewed one): {wanted}",
                  highlight=[Request("GET", facts.list.path, query) for query in wanted
                             if carried.get(query) != wanted[query]])
    # As the browser sent it: exactly `Bearer <token>` (RFC 6750 section 2.1).
    sent = [r.headers.get("authorization")
            for r in _harness_page_watch.sent_to(f"{facts.list.path}?step=after")]
    check.require(sent == [f"Bearer {issued.access_tokens[-1]}"], prop,
                  lambda: "the Authorization header went out as "
                          + (", ".join(f"'{h[:20]}…'" if h else "(none)" for h in sent)
                             or "nothing: no such request"),
                  highlight=[Request("GET", facts.list.path, "step=after")])


@pytest.mark.conformance("A2")
def test_A2_requests_to_another_origin_never_carry_authorization(
        harness_check: Check, _harness_third_party: ThirdParty,
        _harness_page_watch: PageWatch, _harness_api_base_url: str) -> None:
    check = harness_check
    spa, backend, third_party = check.spa, check.backend, _harness_third_party
    if urlsplit(third_party.url).netloc == urlsplit(_harness_api_base_url).netloc:
        check.setup_failed("a server on another origin",
                           f"{third_party.url} is the API's origin")
    check.logged_in()
    prop = "requests to another origin never carry the access token"
    answers = [spa.request("GET", f"{third_party.url}/widgets").status,
               spa.request("POST", f"{third_party.url}/events", {"kind": "click"}).status]
    check.expire_access_token()  # also while a refresh is due
    answers.append(spa.request("GET", f"{third_party.url}/widgets?late=1").status)
    received = [r for r in third_party.received if r.method != "OPTIONS"]
    check.require(answers == [200] * 3 and len(received) == 3,
                  "the app sends requests to another origin through request()",
                  f"they resolved with {answers}; the other origin received {len(received)}")
    leaked = [f"{r.method} {r.path}" for r in third_party.received
              if "authorization" in r.headers
              or "authorization" in r.headers.get("access-control-request-headers", "").lower()]
    check.require(not leaked, prop, f"Authorization sent to another origin: {leaked}")
    tokens = backend.journal().issued().access_tokens
    in_values = [r.url for r in _harness_page_watch.sent_to(third_party.url)
                 if any(t in val for t in tokens for val in [r.url, *r.headers.values()])]
    check.require(not in_values, prop, f"the access token went to another origin: {in_values}")


@pytest.mark.conformance("A3")
def test_A3_skip_auth_request_has_no_authorization_and_no_marker(
        harness_check: Check, _harness_page_watch: PageWatch) -> None:
    check = harness_check
    facts, backend, spa = check.facts, check.backend, check.spa
    check.logged_in()
    plain = spa.request("GET", f"{facts.current_user.path}?kind=plain")
    skipped = spa.request("GET", f"{facts.current_user.path}?kind=skipped", skip_auth=True)
    check.require(plain.status == 200, "a normal request succeeds",
                  f"it resolved with {plain.status}")
    prop = "a request marked skipAuth goes out without a token"
    journal = backend.journal()
    attempts = journal.attempts_of(facts.current_user, "kind=skipped")
    if [a.jti for a in attempts] == [None]:
        # The app sent it without a token: the answer is the backend's part.
        check.backend_part(skipped.status == 401,
                           "a request without an access token is refused with 401",
                           f"it answered {skipped.status}"
                           + (" (a backend that also reads the access token from a cookie "
                              "lets it through)" if skipped.status == 200 else ""),
                           needed=True)
    # Without a token the API answers 401; the app must hand it back, not refresh.
    check.require(skipped.status == 401, f"{prop}, and its 401 is handed back",
                  f"it resolved with {skipped.status}")
    refreshes = journal.refreshes()
    check.require(not refreshes, "a 401 for a request sent without a token starts no refresh",
                  f"the app sent {len(refreshes)} refresh(es)")
    check.require([a.jti for a in attempts] == [None], prop,
                  lambda: f"the backend saw it {len(attempts)} times, "
                          f"{sum(a.jti is not None for a in attempts)} of them with a token")

    sent = {kind: _harness_page_watch.sent_to(f"kind={kind}") for kind in ("plain", "skipped")}
    check.require([len(x) for x in sent.values()] == [1, 1], "each request is sent once",
                  f"the browser sent the normal one {len(sent['plain'])} times, the skipAuth "
                  f"one {len(sent['skipped'])} times")
    [normal], [bare] = sent.values()
    check.require("authorization" not in bare.headers, prop, "it carried Authorization")
    # The marker is the app's business: the request differs from a normal one only by
    # the missing Authorization header.
    extra = sorted(set(bare.headers) - set(normal.headers))
    check.require(not extra, "the skipAuth marker never reaches the server",
                  f"the skip-auth request carried extra header(s) {extra}")
