"""Where a test's artifacts go: a conformance check's folder is named by the check.

pytest-playwright names the folder after the test's node ID, which for checks run with
`--pyargs` from an installed package starts with the path it was installed under
(`venv-lib-python3-11-site-packages-harness-conformance-test-refresh-on-401-py-...`). A
check's folder is named by what the report and the failure's first line name it by: its ID,
its parameters, topology and browser (`R2-100-same-origin-chromium`), unique among the
session's tests, in the folder pytest-playwright's `--output` names. Other tests keep
pytest-playwright's folder.
"""

from __future__ import annotations

import os
import re
from collections import Counter

import pytest

_NAMES = pytest.StashKey[Counter[str]]()  # how many of the session's checks take each name


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")


def check_folder(item: pytest.Item) -> str | None:
    """`R2-100-same-origin-chromium` for a conformance check; None for any other test."""
    marker = item.get_closest_marker("conformance")
    if marker is None or not marker.args:
        return None
    params = getattr(getattr(item, "callspec", None), "params", {})
    variant = [str(v) for k, v in params.items()
               if k not in ("browser_name", "_harness_topology")]
    parts = [str(marker.args[0]), *variant, str(params.get("_harness_topology", "")),
             str(params.get("browser_name", ""))]
    return "-".join(slug for slug in map(_slug, parts) if slug)[:200]


def output_path(item: pytest.Item, theirs: str) -> str:
    """The folder of `item`'s artifacts: beside pytest-playwright's (`theirs`), named by the
    check; `theirs` for any other test. A check's ID that two tests share (a team's own
    checks) adds the test's name; `-retryN` marks the attempts of pytest-rerunfailures, as
    pytest-playwright marks them."""
    name = check_folder(item)
    if name is None:
        return theirs
    if _taken(item.session)[name] > 1:
        name += "-" + _slug(getattr(item, "originalname", item.name))
    retry = getattr(item, "execution_count", 1) - 1
    if retry > 0:
        name += f"-retry{retry}"
    return os.path.join(os.path.dirname(theirs), name)


def _taken(session: pytest.Session) -> Counter[str]:
    names = session.stash.get(_NAMES, None)
    if names is None:
        names = Counter(n for n in map(check_folder, session.items) if n is not None)
        session.stash[_NAMES] = names
    return names
