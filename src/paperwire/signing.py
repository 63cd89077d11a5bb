"""Signed tokens: one signer per purpose, keyed by the site's signing key.

A neutral module (settings only), so the site's sessions and CSRF tokens, the sign-in links and
the digest's unsubscribe links all sign the same way without the mail code importing the web.
"""

from __future__ import annotations

from itsdangerous import URLSafeTimedSerializer

from paperwire.settings import Settings


def serializer(settings: Settings, salt: str) -> URLSafeTimedSerializer:
    """The signer for one purpose: a token made for one salt is refused by every other."""
    return URLSafeTimedSerializer(settings.signing_key, salt=f"paperwire.{salt}")
