"""The app's own routes and UI hooks (`--app-config app.toml`): where its login page, its
guarded page and its admin page are, and the `data-testid` values the checks look for.

    [routes]
    home = "/"
    login = "/login"            # the app's login page
    guarded = "/profile"        # a guarded page that lists the user's items (list resource)
    admin = "/admin"            # "" when the app has no admin page
    [hooks]                     # data-testid values
    login_form = "login-form"
    nav_guarded = "nav-profile" # an in-app link to the guarded page, on the home page
    item = "job-item"           # one per item on the guarded page
    current_user = "current-user"

Every key defaults to the reference SPA's value, so no file means the contract of
docs/contract.md. The checks, the driver's messages and the report speak of a hook by what
it is and by the app's name for it: "the login page (`signin-form`)".
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

_PATH = re.compile(r"/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*")
_TEST_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:-]*")


class AppConfigError(ValueError):
    """A config file the harness refuses: one line naming the file and the key."""

    def __init__(self, source: str, key: str, problem: str) -> None:
        super().__init__(f"--app-config {source}: {key}: {problem}")
        self.key = key


def _path(value: str) -> str:
    if not _PATH.fullmatch(value) or "?" in value or "#" in value:
        raise ValueError(f"{value!r} is not a path starting with / (no query, no fragment)")
    return value


def _optional_path(value: str) -> str:
    return value if value == "" else _path(value)


def _test_id(value: str) -> str:
    if not _TEST_ID.fullmatch(value):
        raise ValueError(f"{value!r} is not a data-testid value (letters, digits, _ . : -)")
    return value


Route = Annotated[str, AfterValidator(_path)]
OptionalRoute = Annotated[str, AfterValidator(_optional_path)]
TestId = Annotated[str, AfterValidator(_test_id)]


class _Table(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class Routes(_Table):
    home: Route = Field(default="/", description="the app's home page")
    login: Route = Field(default="/login", description="the app's login page")
    guarded: Route = Field(default="/profile", description="a guarded page that lists the "
                                                           "user's items (the list resource)")
    admin: OptionalRoute = Field(default="/admin", description="a page for role admin only "
                                                               "(`\"\"`: the app has none)")


class Hooks(_Table):
    login_form: TestId = Field(default="login-form", description="the login form")
    nav_guarded: TestId = Field(default="nav-profile", description="an in-app link to the "
                                                                   "guarded page, on home")
    item: TestId = Field(default="job-item", description="one per item on the guarded page")
    current_user: TestId = Field(default="current-user", description="shows the signed-in "
                                                                     "user on the guarded page")


@dataclass(frozen=True)
class Hook:
    """A `data-testid` hook as a message names it: what it is, and the app's name for it."""

    testid: str
    what: str

    def __str__(self) -> str:
        return f"{self.what} (`{self.testid}`)"


class AppConfig(_Table):
    routes: Routes = Field(default_factory=Routes)
    hooks: Hooks = Field(default_factory=Hooks)

    @property
    def login_form(self) -> Hook:
        return Hook(self.hooks.login_form, "the login page")

    @property
    def nav_guarded(self) -> Hook:
        return Hook(self.hooks.nav_guarded, f"the link to {self.routes.guarded}")

    @property
    def item(self) -> Hook:
        return Hook(self.hooks.item, f"items of {self.routes.guarded}")

    @property
    def current_user(self) -> Hook:
        return Hook(self.hooks.current_user, "the current user")

    @property
    def has_admin(self) -> bool:
        return bool(self.routes.admin)

    def pages(self) -> list[str]:
        """The app's routes, each visited by the checks that say "on every route" (S3)."""
        found = [self.routes.home, self.routes.guarded, self.routes.admin, self.routes.login]
        return list(dict.fromkeys(p for p in found if p))


DEFAULT = AppConfig()


def load_app_config(path: str | Path) -> AppConfig:
    """The config a TOML file gives; a problem is an AppConfigError naming its key."""
    source = str(path)
    try:
        data = tomllib.loads(Path(path).expanduser().read_text())
    except FileNotFoundError:
        raise AppConfigError(source, "app-config", "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AppConfigError(source, "app-config", f"cannot be read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise AppConfigError(source, "app-config", f"not valid TOML: {exc}") from None
    return app_config_from_dict(data, source)


def app_config_from_dict(data: dict[str, Any], source: str = "app config") -> AppConfig:
    try:
        return AppConfig.model_validate(data)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        loc = [str(part) for part in error["loc"]]
        key = ".".join(loc) or "app-config"
        kind = error["type"]
        if kind == "extra_forbidden":
            tables: dict[str, type[_Table]] = {"routes": Routes, "hooks": Hooks}
            table = AppConfig if len(loc) == 1 else tables.get(loc[0], AppConfig)
            known = ", ".join(table.model_fields)
            problem = f"unknown {'table' if len(loc) == 1 else 'key'} (known: {known})"
        elif kind in ("model_type", "model_attributes_type", "dict_type"):
            problem = f"must be a table ([{key}])"
        elif kind == "string_type":
            problem = f"{error.get('input')!r} is not a string"
        elif kind == "value_error":
            problem = str(error["ctx"]["error"])
        else:
            problem = " ".join(str(error["msg"]).split())
        raise AppConfigError(source, key, problem) from None
