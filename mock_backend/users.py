"""Demo users. Passwords are stored as scrypt hashes, never in clear."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from mock_backend.security import hash_password, verify_password


@dataclass(frozen=True)
class User:
    id: str
    username: str
    email: str
    name: str
    role: str
    password_hash: str

    def public(self) -> dict[str, str]:
        return {"id": self.id, "username": self.username, "email": self.email,
                "name": self.name, "role": self.role}


DEMO_USERS = (  # (username, password, display name, role)
    ("alice", "alice-pass", "Alice Anders", "user"),
    ("bob", "bob-pass", "Bob Berg", "user"),
    ("admin", "admin-pass", "Ada Admin", "admin"),
)


@lru_cache(maxsize=1)
def _directory() -> dict[str, User]:
    users = {}
    for index, (username, password, name, role) in enumerate(DEMO_USERS, start=1):
        users[username] = User(id=f"u{index}", username=username, email=f"{username}@example.com",
                               name=name, role=role, password_hash=hash_password(password))
    return users


# Verified against when the user is unknown, so both failures cost the same time
# (OWASP Authentication Cheat Sheet: authentication responses must not reveal which part failed).
_DUMMY_HASH = hash_password("dummy-password-for-unknown-users")


def find_user(login: str) -> User | None:
    login = login.strip().lower()
    for user in _directory().values():
        if login in (user.username, user.email):
            return user
    return None


def user_by_id(user_id: str) -> User | None:
    return next((u for u in _directory().values() if u.id == user_id), None)


def authenticate(login: str, password: str) -> User | None:
    user = find_user(login)
    ok = verify_password(password, user.password_hash if user else _DUMMY_HASH)
    return user if (user and ok) else None


def demo_password(username: str) -> str:
    return next(password for name, password, _, _ in DEMO_USERS if name == username)


def all_users() -> list[User]:
    return list(_directory().values())
