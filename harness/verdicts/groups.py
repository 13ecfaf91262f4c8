"""Check groups: which checks every app must pass, which are recommendations, and which judge
the backend alone (docs/checks.md, "Check groups", gives each check its group and why).

Every check's test carries its group as a marker (`-m core`, `-m "not recommended"`), and
`--checks core,backend` runs only those groups; all of them run by default.
"""

from __future__ import annotations

GROUPS = ("core", "recommended", "backend")
# The user property a check's reports carry its group in (markers and node names share the
# reports' keywords: a test folder named `backend` is not a group).
GROUP_PROPERTY = "conformance_group"
CHECK_ID_PROPERTY = "conformance_id"
# How many checks docs/checks.md has (a test keeps it so).
CHECK_COUNT = 36

# Why a check is in its group, as docs/checks.md says it.
WHY = {
    "core": "every SPA that keeps its tokens in memory must pass it",
    "recommended": "renewal before `exp`, coordination between tabs and give-up times: what "
                   "a mature app does, that a simple one may leave out",
    "backend": "it judges the backend alone: an app cannot fail it",
}

_RECOMMENDED = {
    "L3",  # renewal before exp
    "T3",  # two tabs share one refresh: coordination between tabs
    "T4",  # logout reaches the other tabs: coordination between tabs
    "T5",  # a stuck tab is given up on: a give-up time
    "F3",  # a slow refresh is waited for: a give-up time long enough
}
_BACKEND = {
    "S1",  # the login answer's body
    "S2",  # the refresh cookie's attributes
    "L7",  # sessions beyond the limit
    "X3",  # CORS answers
}


def group_of(check: str) -> str:
    """The group of a check, by its ID (`R2`, or `F1 [expired]` of a parametrized run)."""
    base = check.split()[0]
    if base in _RECOMMENDED:
        return "recommended"
    if base in _BACKEND:
        return "backend"
    return "core"


def parse_groups(text: str) -> tuple[str, ...]:
    """`--checks core,recommended`: the groups named, in the canonical order; a name that is
    no group is a ValueError naming it and the groups there are."""
    named = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [name for name in named if name not in GROUPS]
    if unknown or not named:
        raise ValueError(f"--checks {text}: {', '.join(unknown) or 'nothing'} is not a group "
                         f"(the groups: {', '.join(GROUPS)})")
    return tuple(g for g in GROUPS if g in named)
