"""What each timed phase of the simplest check is, and what would remove its cost.

The report names a phase here only when the measurement shows the harness spending time
in it that bare Playwright does not; the figures always come from the run.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cause:
    what: str
    removal: str


_DRIVER_POLL = Cause(
    "the driver awaits each app call with `wait_for_function(..., polling=POLL_MS)` "
    "(10 ms, harness/driver.py), so a call returns on the first tick after its promise "
    "settles, where `page.evaluate` returns as soon as it settles; {mechanics}",
    "await the promise in `page.evaluate` and bound it from outside the page (a timeout "
    "inside it would stop under a page clock the check installed), keeping F2's 'no promise "
    "hangs' report")

CAUSES: dict[str, Cause] = {
    "pytest-playwright: screenshot on close": Cause(
        "given `--screenshot only-on-failure`, pytest-playwright screenshots every page when "
        "a context closes, also when the check passed, and deletes the file afterwards",
        "leave `--screenshot` out: the harness then screenshots the pages of failed checks "
        "only (harness/artifacts.py)"),
    "harness: control client open": Cause(
        "the `backend` fixture opens a new `httpx.Client` for every check (its TLS context "
        "is built once per session, `tls_verify`)",
        "one control client per session"),
    "harness: driver contract probe": Cause(
        "every driver call first evaluates `typeof window.authHarness` in the page: one "
        "more round trip to the browser per call",
        "probe once per document (after `open`) and again only when a call fails"),
    "playwright: init script": Cause(
        "the `harness_spa` fixture adds the config init script after pytest-playwright's `page` "
        "fixture opened the page, so Playwright also installs it into that live page; "
        "added before the first page (as the baseline does) it is a plain context setting",
        "add the init script in a `context` fixture override, before `page` exists"),
    "harness: backend reset": Cause(
        "`POST /__harness/reset` before every check",
        "nothing: it is what keeps one check's journal, clock and sessions out of the next"),
    "app: ready": _DRIVER_POLL,
    "app: login": _DRIVER_POLL,
    "app: request": _DRIVER_POLL,
    "pytest: setup (rest)": Cause(
        "pytest's fixture machinery and hooks (pytest-playwright's artifact recorder, "
        "output path)", "nothing worth it"),
    "pytest: teardown (rest)": Cause(
        "pytest's fixture finalizers and hooks", "nothing worth it"),
    "pytest-playwright: tracing stop": Cause(
        "pytest-playwright stops tracing at every context close, `--tracing off` included",
        "nothing worth it"),
    "harness: page watch attach": Cause(
        "the page-watch listeners (H1, H2, S5 evidence)", "nothing: they are the evidence"),
    "harness: page watch events": Cause(
        "the page-watch listeners handling each browser event", "nothing: they are the "
        "evidence"),
}


def driver_mechanics(m: dict[str, float]) -> str:
    """The measured cost of the driver's way of waiting, in words."""
    measured = (f"`wait_for_function` on a value already true took {m['first_wait_ms']:.0f} "
                f"ms the first time in a page and {m['later_wait_ms']:.0f} ms later, "
                f"`page.evaluate` {m['evaluate_ms']:.0f} ms")
    if m["first_wait_ms"] - m["later_wait_ms"] >= 10:
        return ("the first such wait in a page is slower still, as Playwright sets up its "
                f"injected script there first (measured in this browser: {measured})")
    return f"measured in this browser: {measured}"


UNKNOWN = Cause("the same Playwright call on both sides; a difference here is noise or "
                "what the harness asked of the browser before it", "")
