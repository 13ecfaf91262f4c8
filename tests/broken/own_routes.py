"""The fetch example as a team with its own pages would have it: other routes (`/start`,
`/signin`, `/account`, no admin page) and other `data-testid` values, with the
`--app-config` file that tells the harness so. Its refresh logic is untouched."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.broken.profile_apps import FETCH_APP

APP_CONFIG = """\
[routes]
home = "/start"
login = "/signin"
guarded = "/account"
admin = ""

[hooks]
login_form = "signin-form"
nav_guarded = "nav-account"
item = "task-row"
current_user = "whoami"
"""

# (file, what the example says, what this app says instead): each must be found once or more.
_REWRITES = [
    ("app.js", 'new Set(["/profile", "/admin"])', 'new Set(["/account"])'),
    ("app.js", '"/login"', '"/signin"'),
    ("app.js", "`/login?returnUrl=", "`/signin?returnUrl="),
    ("app.js", '"/profile"', '"/account"'),
    ("app.js", ', "/admin": adminView', ""),
    ("app.js", '"data-testid": "login-form"', '"data-testid": "signin-form"'),
    ("app.js", '"data-testid": "current-user"', '"data-testid": "whoami"'),
    ("app.js", '"data-testid": "job-item"', '"data-testid": "task-row"'),
    ("index.html", '<a href="/">Home</a>', '<a href="/start">Home</a>'),
    ("index.html", '<a href="/profile" data-testid="nav-profile">Profile</a>',
     '<a href="/account" data-testid="nav-account">Account</a>'),
    ("index.html", '<a href="/admin">Admin</a>', ""),
]


def build(into: Path) -> tuple[Path, Path]:
    """The app's folder and its `--app-config` file, under `into`."""
    target = into / "fetch-own-routes"
    shutil.copytree(FETCH_APP, target)
    for name, before, after in _REWRITES:
        path = target / name
        text = path.read_text()
        if before not in text:
            raise AssertionError(f"examples/fetch/{name} no longer has {before!r}: update "
                                 "tests/broken/own_routes.py")
        path.write_text(text.replace(before, after))
    leftovers = [w for w in ("login-form", "job-item", "current-user", "nav-profile",
                             '"/profile"', '"/admin"')
                 if any(w in (target / n).read_text() for n in ("app.js", "index.html"))]
    if leftovers:
        raise AssertionError(f"the app still says {leftovers}: update tests/broken/own_routes.py")
    config = into / "app.toml"
    config.write_text(APP_CONFIG)
    return target, config
