"""Demo users. Passwords are checked against scrypt hashes (one set per cost), never in clear."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from mock_backend.security import PASSWORD_COST, hash_password, verify_password


@dataclass(frozen=True)
class User:
    id: str
    username: str
    email: str
    name: str
    role: str

    def public(self) -> dict[str, str]:
        return {"id": self.id, "username": self.username, "email": self.email,
                "name": self.name, "role": self.role}


DEMO_USERS = (  # (username, password, display name, role)
    ("alice", "alice-pass", "Alice Anders", "user"),
    ("bob", "bob-pass", "Bob Berg", "user"),
    ("admin", "admin-pass", "Ada Admin", "admin"),
)

_DIRECTORY = {username: User(id=f"u{index}", username=username, email=f"{username}@example.com",
                             name=name, role=role)
              for index, (username, _, name, role) in enumerate(DEMO_USERS, start=1)}


@dataclass(frozen=True)
class _Hashes:
    by_username: dict[str, str]
    # Verified against when the user is unknown, so both failures cost the same time (OWASP
    # Authentication Cheat Sheet: authentication responses must not reveal which part
    # failed): made with the same cost as the users' own.
    unknown: str


@cache  # one entry per cost a backend of this process was set up with
def _hashes(cost: int) -> _Hashes:
    """The demo users' password hashes, and the one for unknown users, at `cost`: made
    together on the first login at that cost, so no kind of login pays for them alone."""
    return _Hashes({username: hash_password(password, cost=cost)
                    for username, password, _, _ in DEMO_USERS},
                   hash_password("dummy-password-for-unknown-users", cost=cost))


def find_user(login: str) -> User | None:
    login = login.strip().lower()
    for user in _DIRECTORY.values():
        if login in (user.username, user.email):
            return user
    return None


def user_by_id(user_id: str) -> User | None:
    return next((u for u in _DIRECTORY.values() if u.id == user_id), None)


def authenticate(login: str, password: str, cost: int = PASSWORD_COST) -> User | None:
    """The user whose password this is, checked against a hash of `cost` (the backend's
    `Settings.password_cost`); exactly one check, whether the user exists or not."""
    user = find_user(login)
    hashes = _hashes(cost)
    ok = verify_password(password, hashes.by_username[user.username] if user else hashes.unknown)
    return user if (user and ok) else None


def demo_password(username: str) -> str:
    return next(password for name, password, _, _ in DEMO_USERS if name == username)


def all_users() -> list[User]:
    return list(_DIRECTORY.values())
