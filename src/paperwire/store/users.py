"""Accounts: users looked up by id or email. (Sign-in tokens, subscriptions and the rest of
the account data live beside this module.)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from paperwire.store.db import Store
from paperwire.store.schema import users


@dataclass(frozen=True)
class User:
    id: int
    email: str
    name: str | None
    has_password: bool
    session_version: int
    profile_reset: datetime | None
    created: datetime


def _user(row: object) -> User:
    m = row._mapping  # type: ignore[attr-defined]
    return User(
        id=m["id"],
        email=m["email"],
        name=m["name"],
        has_password=m["password_hash"] is not None,
        session_version=m["session_version"],
        profile_reset=m["profile_reset"],
        created=m["created"],
    )


def normalize_email(email: str) -> str:
    return email.strip().lower()


def get_user(store: Store, user_id: int) -> User | None:
    with store.engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.id == user_id)).first()
    return _user(row) if row is not None else None


def get_user_by_email(store: Store, email: str) -> User | None:
    with store.engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.email == normalize_email(email))).first()
    return _user(row) if row is not None else None


def create_user(store: Store, email: str, name: str | None = None) -> tuple[User, bool]:
    """The user with this email, made if new; (user, created)."""
    address = normalize_email(email)
    for _ in range(2):  # two first sign-ins at once: the loser reads the winner's row
        found = get_user_by_email(store, address)
        if found is not None:
            return found, False
        try:
            with store.engine.begin() as conn:
                conn.execute(
                    users.insert().values(
                        email=address, name=name, session_version=0, created=datetime.now(UTC)
                    )
                )
        except IntegrityError:
            continue
        user = get_user_by_email(store, address)
        assert user is not None
        return user, True
    raise RuntimeError(f"could not create user {address!r}")


def delete_user(store: Store, user_id: int) -> bool:
    """Erase the user and everything of theirs (votes, bookmarks, subscriptions, digests...:
    the foreign keys cascade)."""
    with store.engine.begin() as conn:
        result = conn.execute(delete(users).where(users.c.id == user_id))
    return result.rowcount == 1
