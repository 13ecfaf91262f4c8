"""The accounts file: who may log in to a team's backend, and what that backend promises.

    refresh_lifetime = "1d"     # optional: for L8 when the refresh value is not a JWT
    session_limit = 5           # optional: the backend's promise, for L7
    [[account]]
    username = "alice"
    password = "alice-pass"
    name = "Alice Archer"       # what the app may show as the user's name
    role = "user"               # user | admin (at most one admin needed)

A problem is one line naming the file and the key (`accounts.toml: account[2].role: ...`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mock_backend.config import ConfigError, parse_duration

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class AccountsError(ValueError):
    """An accounts file the edge refuses: one line naming the file and the key."""


Text = Annotated[str, Field(min_length=1, max_length=200, strict=True)]


class Account(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    username: Text
    password: Annotated[str, Field(min_length=1, max_length=1000, strict=True)]
    name: Text
    role: Literal["user", "admin"] = "user"


class Accounts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    refresh_lifetime: float | None = None  # seconds; the file writes a duration ("1d")
    session_limit: Annotated[int, Field(ge=1, le=10_000, strict=True)] | None = None
    accounts: Annotated[tuple[Account, ...], Field(alias="account", min_length=1)]

    @field_validator("refresh_lifetime", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> float | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise ValueError('a duration such as "1d", "12h" or "30m"')
        try:
            seconds = parse_duration(value)
        except ConfigError:
            raise ValueError(f'invalid duration {value!r}: use e.g. "1d", "12h" or "30m"') \
                from None
        if seconds <= 0:
            raise ValueError("must be positive")
        return seconds

    @field_validator("accounts")
    @classmethod
    def _distinct(cls, accounts: tuple[Account, ...]) -> tuple[Account, ...]:
        names = [a.username for a in accounts]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"username {twice[0]!r} is listed twice")
        return accounts

    def user(self, username: str) -> Account | None:
        return next((a for a in self.accounts if a.username == username), None)


def load_accounts(path: str | Path) -> Accounts:
    source = str(path)
    try:
        data = tomllib.loads(Path(path).expanduser().read_text())
    except FileNotFoundError:
        raise AccountsError(f"{source}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AccountsError(f"{source}: cannot be read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise AccountsError(f"{source}: not valid TOML: {exc}") from None
    return accounts_from_dict(data, source)


def accounts_from_dict(data: dict[str, Any], source: str = "accounts") -> Accounts:
    if "accounts" in data:  # the file's table is [[account]]; the field name is not a key
        raise AccountsError(f"{source}: accounts: unknown key (known: refresh_lifetime, "
                            f"session_limit, account)")
    try:
        return Accounts.model_validate(data)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        loc = [str(p) for p in error["loc"]]
        if loc[:1] == ["account"] and len(loc) > 1 and loc[1].isdigit():
            loc = [f"account[{int(loc[1]) + 1}]", *loc[2:]]
        key = ".".join(loc) or "accounts"
        kind = error["type"]
        if kind == "extra_forbidden":
            known = ("username, password, name, role" if key.startswith("account[")
                     else "refresh_lifetime, session_limit, account")
            problem = f"unknown key (known: {known})"
        elif kind == "missing":
            problem = ("at least one [[account]] is needed" if key == "account"
                       else "missing")
        elif kind == "too_short" and key == "account":
            problem = "at least one [[account]] is needed"
        else:
            problem = " ".join(str(error["msg"]).removeprefix("Value error, ").split())
        raise AccountsError(f"{source}: {key}: {problem}") from None
