"""The fetch example changed the ways a newcomer's app differs from it at first contact: a
driver that arrives after the load event, a driver the app never references (the harness
injects it), no driver at all. Each keeps the example's refresh logic."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.broken.profile_apps import FETCH_APP

_DRIVER_START = "window.authHarness = Object.freeze({"
_DRIVER_MODULE = """\
// The test build's driver, kept out of the app: it imports what it drives.
import { driver } from "/app.js";
window.authHarness = Object.freeze(driver);
"""
VARIANTS = ("late-driver", "injected-driver", "no-driver")


def build(name: str, into: Path) -> Path:
    """The app's folder; for `injected-driver`, its driver module is `into/driver.js`, outside
    the folder the harness serves."""
    if name not in VARIANTS:
        raise KeyError(f"no fetch variant {name!r} (there are {', '.join(VARIANTS)})")
    target = into / f"fetch-{name}"
    shutil.copytree(FETCH_APP, target)
    app = target / "app.js"
    text = app.read_text()
    if text.count(_DRIVER_START) != 1 or not text.rstrip().endswith("});"):
        raise AssertionError("examples/fetch/app.js no longer ends with its driver object: "
                             "update tests/broken/fetch_variants.py")
    head, driver = text.split(_DRIVER_START)
    if name == "no-driver":
        app.write_text(head)
        return target
    app.write_text(head + "export const driver = ({" + driver)
    if name == "late-driver":
        # Installed a moment after the page's load event, by a dynamic import: no timer, so
        # a check's fake page clock does not hold it back.
        with app.open("a") as out:
            out.write('\nwindow.addEventListener("load", () => { import("/driver.js"); });\n')
        (target / "driver.js").write_text(_DRIVER_MODULE)
    else:
        (into / "driver.js").write_text(_DRIVER_MODULE)
    return target
