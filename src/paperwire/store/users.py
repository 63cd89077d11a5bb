"""Accounts: users looked up by id or email, their names, passwords (argon2), session
versions and last sign-in. (Sign-in links are in login.py; subscriptions and the rest of the
account data live beside this module.)"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parseaddr
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from paperwire.errors import BadRequest
from paperwire.store.db import Store
from paperwire.store.schema import subscriptions, users, votes


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


MAX_EMAIL = 320


# Mail to a self-hosted machine's own users is real, though email-validator reserves the name.
_LOCAL_DOMAIN = "localhost"


def _canonical(address: str) -> str:
    """The one spelling of an address (email-validator's, domain in ASCII, lower case); raises
    EmailNotValidError for anything that is not exactly one plain mailbox: no display names,
    comments, quoted or non-ASCII local parts, routes or trailing dots."""
    local, _, domain = address.rpartition("@")
    probe = f"{local}@example.org" if domain == _LOCAL_DOMAIN else address
    checked = validate_email(probe, check_deliverability=False, allow_smtputf8=False)
    ascii_email = (checked.ascii_email or checked.normalized).lower()
    if domain == _LOCAL_DOMAIN:
        ascii_email = ascii_email.rpartition("@")[0] + "@" + _LOCAL_DOMAIN
    # The mail library must read it back as the same mailbox, or mail goes somewhere else.
    if parseaddr(ascii_email) != ("", ascii_email):
        raise EmailNotValidError("the mail library reads it as another address")
    return ascii_email


def normalize_email(email: str) -> str:
    """The key an address is stored and rate-limited under (see check_email)."""
    address = email.strip().lower()
    try:
        return _canonical(address)
    except EmailNotValidError:
        return address  # matches no stored user: only checked addresses are stored


def check_email(email: str) -> str:
    """The normalised address when it is one plain mailbox that mail will reach as written (at
    most 320 characters, checked by email-validator without DNS), else BadRequest saying what
    is wrong. The sign-in mail arriving is the real test."""
    address = email.strip().lower()
    if not address:
        raise BadRequest("give an email address")
    if len(address) > MAX_EMAIL:
        raise BadRequest(f"an email address is at most {MAX_EMAIL} characters")
    if any(c.isspace() or unicodedata.category(c) in ("Cc", "Cf") for c in address):
        raise BadRequest("an email address cannot contain spaces or control characters")
    local, at, domain = address.partition("@")
    if not at or "@" in domain or not local or not domain:
        raise BadRequest(
            f"{address!r} is not an email address: it needs one @, like ada@example.org"
        )
    try:
        return _canonical(address)
    except EmailNotValidError as exc:
        raise BadRequest(f"{address!r} is not an email address: {exc}") from exc


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


# --- profile, sessions, passwords --------------------------------------------------------

MAX_NAME = 200
MIN_PASSWORD = 8
MAX_PASSWORD = 1024  # argon2 takes any length; this only bounds the work one request can ask for

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when the address has no password, so an unknown address costs the
    same time as a wrong password (no telling from response times which addresses have
    accounts). Made on first use: hashing takes tens of ms, not something to do at import."""
    return _hasher.hash("paperwire: no such account")


def check_name(name: str | None) -> str:
    """The display name as stored (stripped; empty clears it); BadRequest when too long or not
    text. Called before anything is written, so a refused name leaves no half-made user."""
    clean = (name or "").strip()
    if len(clean) > MAX_NAME:
        raise BadRequest(f"a name is at most {MAX_NAME} characters")
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in clean):  # Cs: lone surrogates
        raise BadRequest("a name cannot contain control characters")
    return clean


def set_name(store: Store, user_id: int, name: str | None) -> None:
    """Set the display name (see check_name)."""
    clean = check_name(name)
    with store.engine.begin() as conn:
        conn.execute(update(users).where(users.c.id == user_id).values(name=clean or None))


def check_password(password: str) -> str:
    """The password when it is usable as one, else BadRequest saying why."""
    if len(password) < MIN_PASSWORD:
        raise BadRequest(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise BadRequest(f"a password is at most {MAX_PASSWORD} characters")
    return password


def set_password(store: Store, user_id: int, password: str) -> None:
    """Store an argon2 hash of `password` (checked first with check_password). Sessions stay
    valid: only sign_out_everywhere ends them."""
    hashed = _hasher.hash(check_password(password))
    with store.engine.begin() as conn:
        conn.execute(update(users).where(users.c.id == user_id).values(password_hash=hashed))


def authenticate(store: Store, email: str, password: str) -> User | None:
    """The user when `password` is theirs, else None, taking about the same time whether the
    address is unknown, has no password, or the password is wrong. Rehashes an old-parameter
    hash after a good match."""
    address = normalize_email(email)
    with store.engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.email == address)).first()
    stored = row._mapping["password_hash"] if row is not None else None
    if len(password) > MAX_PASSWORD:
        return None
    try:
        _hasher.verify(stored or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None or stored is None:
        return None  # matched the dummy hash: still no account
    if _hasher.check_needs_rehash(stored):
        with store.engine.begin() as conn:
            conn.execute(
                update(users)
                .where(users.c.id == row._mapping["id"], users.c.password_hash == stored)
                .values(password_hash=_hasher.hash(password))
            )
    return _user(row)


def record_login(store: Store, user_id: int, when: datetime | None = None) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            update(users).where(users.c.id == user_id).values(last_login=when or datetime.now(UTC))
        )


def sign_out_everywhere(store: Store, user_id: int) -> int:
    """Bump the session version: every session cookie issued so far stops working. Returns the
    new version."""
    with store.engine.begin() as conn:
        conn.execute(
            update(users)
            .where(users.c.id == user_id)
            .values(session_version=users.c.session_version + 1)
        )
        version = conn.execute(
            select(users.c.session_version).where(users.c.id == user_id)
        ).scalar()
    return int(version or 0)


# --- listing (the `paperwire users list` command) -----------------------------------------


def user_summaries(store: Store) -> list[dict[str, Any]]:
    """Every user, oldest first: email, name, created, last login, subscriptions (as
    `trending`, `recs`, `search:QUERY`; disabled ones suffixed ` (off)`) and votes cast."""
    vote_counts = (
        select(votes.c.user_id, func.count().label("n")).group_by(votes.c.user_id).subquery()
    )
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(
                users.c.id,
                users.c.email,
                users.c.name,
                users.c.created,
                users.c.last_login,
                users.c.password_hash.is_not(None).label("has_password"),
                func.coalesce(vote_counts.c.n, 0).label("votes"),
            )
            .select_from(users.outerjoin(vote_counts, vote_counts.c.user_id == users.c.id))
            .order_by(users.c.id)
        ).all()
        subs: dict[int, list[str]] = {}
        for sub in conn.execute(
            select(
                subscriptions.c.user_id,
                subscriptions.c.kind,
                subscriptions.c.query,
                subscriptions.c.enabled,
            ).order_by(subscriptions.c.id)
        ):
            label = f"search:{sub.query}" if sub.kind == "search" else str(sub.kind)
            subs.setdefault(sub.user_id, []).append(label if sub.enabled else f"{label} (off)")
    return [
        {
            "id": r.id,
            "email": r.email,
            "name": r.name,
            "created": r.created,
            "last_login": r.last_login,
            "has_password": bool(r.has_password),
            "subscriptions": subs.get(r.id, []),
            "votes": int(r.votes),
        }
        for r in rows
    ]
