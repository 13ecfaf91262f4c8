"""The accounts file (`UPSTREAM_ACCOUNTS`): the users to create, and two optional settings.

    refresh_lifetime = "1d"     # optional: the refresh token's lifetime (s, m, h or d)
    session_limit = 5           # optional
    [[account]]
    username = "alice"
    password = "alice-pass"
    name = "Alice Anders"
    role = "user"               # user | admin

`session_limit` is read and checked but enforced by neither mode: SimpleJWT and dj-rest-auth
have no limit on a user's sessions, so a backend built on them has none either.

Plain Python (no Django import): the settings read it before the apps are loaded.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROLES = ("user", "admin")
_DURATION = re.compile(r"([1-9][0-9]*)([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


class AccountsError(ValueError):
    """A file the project refuses: one line naming the file and what is wrong."""


@dataclass(frozen=True)
class Account:
    username: str
    password: str
    name: str
    role: str

    @property
    def first_name(self) -> str:
        return self.name.split(" ", 1)[0]

    @property
    def last_name(self) -> str:
        return self.name.split(" ", 1)[1] if " " in self.name else ""

    @property
    def email(self) -> str:
        return f"{self.username}@example.com"


@dataclass(frozen=True)
class AccountsFile:
    accounts: tuple[Account, ...]
    refresh_lifetime: timedelta | None = None
    session_limit: int | None = None


def parse_duration(text: str) -> timedelta:
    """`"45s"`, `"30m"`, `"12h"`, `"1d"`."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a duration such as 45s, 30m, 12h or 1d")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def read_accounts(path: str | Path) -> AccountsFile:
    source = str(path)
    try:
        data = tomllib.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError) as exc:
        raise AccountsError(f"{source}: cannot be read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise AccountsError(f"{source}: not valid TOML: {exc}") from None
    unknown = set(data) - {"refresh_lifetime", "session_limit", "account"}
    if unknown:
        raise AccountsError(f"{source}: unknown keys {', '.join(sorted(unknown))}")
    lifetime = None
    if "refresh_lifetime" in data:
        try:
            lifetime = parse_duration(_string(data, "refresh_lifetime", source))
        except ValueError as exc:
            raise AccountsError(f"{source}: refresh_lifetime: {exc}") from None
    limit = data.get("session_limit")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                              or limit < 1):
        raise AccountsError(f"{source}: session_limit: {limit!r} is not a positive integer")
    tables = data.get("account", [])
    if not isinstance(tables, list) or not tables:
        raise AccountsError(f"{source}: no [[account]] tables")
    accounts = tuple(_account(table, f"{source}: account {n}")
                     for n, table in enumerate(tables, start=1))
    names = [a.username for a in accounts]
    if len(set(names)) != len(names):
        raise AccountsError(f"{source}: a username is given twice")
    return AccountsFile(accounts, lifetime, limit)


def _account(table: Any, where: str) -> Account:
    if not isinstance(table, dict):
        raise AccountsError(f"{where}: not a table")
    unknown = set(table) - {"username", "password", "name", "role"}
    if unknown:
        raise AccountsError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    account = Account(_string(table, "username", where), _string(table, "password", where),
                      _string(table, "name", where), table.get("role", "user"))
    if account.role not in ROLES:
        raise AccountsError(f"{where}: role: {account.role!r} is not one of {', '.join(ROLES)}")
    return account


def _string(table: dict[str, Any], key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise AccountsError(f"{where}: {key}: {value!r} is not a non-empty string")
    return value
