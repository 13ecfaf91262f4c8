"""Where the SPA and the API live: same origin (default) or cross origin (x).

Same origin: the backend serves the SPA and the API on one port. Cross origin: a second
server on its own port serves the SPA, and the backend allows that origin by CORS with
credentials. Both stay on one host name (`localhost`), so the refresh cookie is same-site
either way; another *site* (`127.0.0.1`) is used only by the cross-site checks.
"""

from __future__ import annotations

import pytest

SAME_ORIGIN = "same-origin"
CROSS_ORIGIN = "cross-origin"
TOPOLOGIES = (SAME_ORIGIN, CROSS_ORIGIN)
# A team's app already running elsewhere (`--spa-url`): it is where it is, once.
EXTERNAL = "spa-url"


def topologies_for(item_marker: pytest.Mark | None, selected: str,
                   external: bool = False) -> list[str]:
    """The topologies a test runs in: cross origin only for checks marked (x)."""
    if external:
        return [EXTERNAL]
    wanted = list(TOPOLOGIES) if selected == "both" else [selected]
    crosses = bool(item_marker and item_marker.kwargs.get("cross_origin"))
    only_cross = bool(item_marker and item_marker.kwargs.get("cross_origin_only"))
    if only_cross:
        return [t for t in wanted if t == CROSS_ORIGIN]
    return [t for t in wanted if t == SAME_ORIGIN or crosses]
