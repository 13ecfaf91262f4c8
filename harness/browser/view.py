"""What the page shows, in the terms of the contract's `data-testid` hooks (the app's own
names for them: `harness.browser.app_config`): waits until it shows something (answered by
the page, never by polling from here), when a tab first showed it, and a one-line
description of the page for a failure's evidence.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from harness.browser.app_config import DEFAULT, AppConfig, Hook

# The UI may take this long to show what a check waits for (login page, job items).
UI_TIMEOUT_MS = 5_000


def _selector(hook: Hook) -> str:
    return f'[data-testid="{hook.testid}"]'


def showing(page: Page, hook: Hook, *, visible: bool = True, count: int | None = None,
            timeout_ms: float = UI_TIMEOUT_MS) -> bool:
    """Whether within `timeout_ms` the page shows the hook: visible, or not visible (absent
    or hidden both do) with `visible=False`, or exactly `count` of them."""
    script = _COUNT if count is not None else _SOME_VISIBLE if visible else _NONE_VISIBLE
    try:
        page.wait_for_function(script, arg=[_selector(hook), count],
                               timeout=timeout_ms, polling=50)
    except PlaywrightTimeoutError:
        return False
    return True


def not_shown(hook: Hook, *, visible: bool = True, count: int | None = None) -> str:
    """What is wrong when `showing` timed out, in words."""
    if count is not None:
        return f"the page does not show {count} {hook}"
    return f"{hook} is not visible" if visible else f"{hook} is still visible"


def containing(page: Page, hook: Hook, any_of: list[str],
               timeout_ms: float = UI_TIMEOUT_MS) -> bool:
    """Whether within `timeout_ms` an element of the hook contains one of `any_of`,
    compared without regard to case."""
    try:
        page.wait_for_function(_CONTAINS, arg=[_selector(hook),
                                               [t.casefold() for t in any_of]],
                               timeout=timeout_ms, polling=50)
    except PlaywrightTimeoutError:
        return False
    return True


def on_path(page: Page, path: str, timeout_ms: float = UI_TIMEOUT_MS) -> bool:
    """Whether within `timeout_ms` the page is on `path` (any query or fragment)."""
    pattern = re.compile(rf"^[^?#]*//[^/]+{re.escape(path)}([?#].*)?$")
    try:
        expect(page).to_have_url(pattern, timeout=timeout_ms)
    except AssertionError:
        return False
    return True


_SHOWN = """const shown = (el) =>
  !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length)
  && getComputedStyle(el).visibility !== "hidden";"""
_ALL = "[...document.querySelectorAll(sel)]"
_SOME_VISIBLE = f"([sel]) => {{ {_SHOWN} return {_ALL}.some(shown); }}"
_NONE_VISIBLE = f"([sel]) => {{ {_SHOWN} return !{_ALL}.some(shown); }}"
_CONTAINS = """([sel, texts]) => [...document.querySelectorAll(sel)].some(
  (el) => texts.some((t) => el.textContent.toLowerCase().includes(t)))"""
_COUNT = "([sel, n]) => document.querySelectorAll(sel).length === n"


# Calls the binding `name` the first time an element `sel` is visible, from a
# MutationObserver: no timer, so a paused page clock does not stop it. Run in the current
# document and, as an init script, in every document the tab loads after it.
_WATCH = f"""([name, sel]) => {{
  {_SHOWN}
  const seen = () => {_ALL}.some(shown);
  const report = () => {{ observer.disconnect(); window[name]?.(); }};
  const observer = new MutationObserver(() => seen() && report());
  if (seen()) report();
  else observer.observe(document, {{ subtree: true, childList: true, attributes: true }});
}}"""


class Appearance:
    """When a tab first shows the hook, on the harness's monotonic clock.

    The page reports it the moment the element becomes visible (a MutationObserver calls a
    binding), so the stamp does not depend on when, or in which order, the check looks at
    several tabs, nor on a polling interval. `at` is None until then, or if the element
    came to show without a change to the DOM (a style sheet alone).
    """

    _made = 0

    def __init__(self, page: Page, hook: Hook) -> None:
        Appearance._made += 1
        name = f"__harnessShown{Appearance._made}"
        self.at: float | None = None
        page.expose_binding(name, self._seen)
        arg = [name, _selector(hook)]
        page.add_init_script(f"({_WATCH})({json.dumps(arg)})")
        page.evaluate(_WATCH, arg)

    def _seen(self, _source: Any) -> None:
        if self.at is None:
            self.at = time.monotonic()


_DESCRIBE = f"""([loginForm, item, currentUser]) => {{
  const all = (id) => [...document.querySelectorAll(`[data-testid="${{id}}"]`)];
  {_SHOWN}
  const login = all(loginForm);
  return {{ path: location.pathname + location.search,
           login: login.length === 0 ? "absent" : login.some(shown) ? "visible" : "hidden",
           items: all(item).length,
           user: all(currentUser).map((e) => e.innerText.replace(/\\s+/g, " ").trim())
             .join(" | ") }};
}}"""


def describe(page: Page, app: AppConfig = DEFAULT) -> str:
    """What the page shows, in the terms of the app's hooks."""
    hooks = app.hooks
    try:
        seen: dict[str, Any] = page.evaluate(_DESCRIBE, [hooks.login_form, hooks.item,
                                                         hooks.current_user])
    except Exception as exc:  # noqa: BLE001 - a crashed or closed page is itself the evidence
        return f"(could not be read: {first_line(exc)})"
    user = f"{hooks.current_user} shows {seen['user']!r}" if seen["user"] \
        else f"no {hooks.current_user}"
    return (f"on {seen['path']}, {hooks.login_form} {seen['login']}, {seen['items']} "
            f"{hooks.item}(s), {user}")


def first_line(exc: BaseException) -> str:
    """An exception's first line, or its type's name when it says nothing."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
