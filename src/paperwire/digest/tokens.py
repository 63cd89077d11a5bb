"""Unsubscribe tokens: the signed user id in every digest's unsubscribe link.

They never expire (a link in a months-old mail must still work) and carry no nonce (unsubscribing
twice is harmless). The signature is the only authority: whoever holds the link may switch the
digest off for that address, which is what RFC 8058 one-click unsubscribe asks for.
"""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeTimedSerializer

from paperwire.errors import BadRequest
from paperwire.settings import Settings
from paperwire.signing import serializer

SALT = "unsubscribe"


def unsubscribe_signer(settings: Settings) -> URLSafeTimedSerializer:
    """The signer of unsubscribe tokens (a digest run makes one and signs thousands)."""
    return serializer(settings, SALT)


def unsubscribe_token(
    settings: Settings, user_id: int, signer: URLSafeTimedSerializer | None = None
) -> str:
    token: str = (signer or unsubscribe_signer(settings)).dumps({"u": user_id})
    return token


def read_unsubscribe_token(settings: Settings, token: str) -> int:
    """The user id in a token; BadRequest when it was not made by this site (or is damaged)."""
    try:
        data = serializer(settings, SALT).loads(token[:1000])  # no max_age: old mails work
        return int(data["u"])
    except (BadSignature, KeyError, TypeError, ValueError) as exc:
        raise BadRequest(
            "this unsubscribe link is damaged or was not made by this site: use the link in "
            "your latest digest, or sign in and change your subscriptions"
        ) from exc
