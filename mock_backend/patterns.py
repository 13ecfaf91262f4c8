"""How the names the backend puts on the wire may be spelled, for the settings and the API
profile alike: a name one of them accepts and the other refuses would be a setting that
works from the command line and fails from a profile, or the other way round."""

from __future__ import annotations

import re

# A cookie name the Set-Cookie header carries without quoting (an RFC 6265 token, narrowed
# to what the backend's own names and the profiles use).
COOKIE_NAME = re.compile(r"[A-Za-z0-9_\-]+")
# A header field name (an RFC 9110 token, narrowed the same way).
HEADER_NAME = re.compile(r"[A-Za-z0-9-]+")


def is_cookie_name(text: str) -> bool:
    return COOKIE_NAME.fullmatch(text) is not None


def is_header_name(text: str) -> bool:
    return HEADER_NAME.fullmatch(text) is not None
