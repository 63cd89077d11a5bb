"""Sign-in links: one row per link mailed, redeemable once before it expires.

The link itself carries a signed {user id, nonce}; the row is what makes it single-use and
lets a link die early (its user deleted: the row cascades away).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, update

from paperwire.store.db import Store
from paperwire.store.schema import login_tokens

KEEP_USED = timedelta(days=1)  # used and expired rows are purged this long after expiry


def create_login_token(
    store: Store, user_id: int, *, minutes: int, now: datetime | None = None
) -> str:
    """A fresh nonce for `user_id`, valid for `minutes`; old dead rows are purged on the way."""
    now = now or datetime.now(UTC)
    nonce = secrets.token_urlsafe(32)
    with store.engine.begin() as conn:
        conn.execute(delete(login_tokens).where(login_tokens.c.expires < now - KEEP_USED))
        conn.execute(
            login_tokens.insert().values(
                nonce=nonce,
                user_id=user_id,
                created=now,
                expires=now + timedelta(minutes=minutes),
            )
        )
    return nonce


def redeem_login_token(
    store: Store, user_id: int, nonce: str, *, now: datetime | None = None
) -> bool:
    """Mark the link used; True only for the one request that finds it unused and unexpired
    (one UPDATE, so two clicks at once cannot both sign in)."""
    now = now or datetime.now(UTC)
    with store.engine.begin() as conn:
        result = conn.execute(
            update(login_tokens)
            .where(
                login_tokens.c.nonce == nonce,
                login_tokens.c.user_id == user_id,
                login_tokens.c.used.is_(None),
                login_tokens.c.expires > now,
            )
            .values(used=now)
        )
    return result.rowcount == 1


def expire_login_tokens(store: Store, user_id: int, *, now: datetime | None = None) -> int:
    """End every unused link of a user at once (how many); a link already mailed stops working."""
    now = now or datetime.now(UTC)
    with store.engine.begin() as conn:
        result = conn.execute(
            update(login_tokens)
            .where(
                login_tokens.c.user_id == user_id,
                login_tokens.c.used.is_(None),
                login_tokens.c.expires > now,
            )
            .values(expires=now)
        )
    return int(result.rowcount)
