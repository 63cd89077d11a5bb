"""The sign-in mail: a magic link, in plain text and HTML, and sending it.

The link is `{base_url}/signin/verify?token=...` where the token is the user id, a nonce (its
row in login_tokens makes the link single-use) and the page to go to afterwards, signed with
the site key for the purpose "magic-link" (a token signed for anything else is refused). For an
address without an account the token holds the address instead: the account is made only when
the link is used (so sign-in requests for random addresses leave no rows behind).
"""

from __future__ import annotations

import html
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from itsdangerous import BadSignature

from paperwire.digest.filemail import open_mailer
from paperwire.settings import Settings
from paperwire.signing import serializer
from paperwire.store import Store

SALT = "magic-link"


def signin_token(settings: Settings, user_id: int, nonce: str, next_path: str = "/") -> str:
    data: dict[str, Any] = {"u": user_id, "n": nonce}
    if next_path != "/":
        data["p"] = next_path
    token: str = serializer(settings, SALT).dumps(data)
    return token


def read_signin_token(settings: Settings, token: str) -> tuple[int, str, str] | None:
    """(user id, nonce, next path) from a good, unexpired token; None for anything else
    (tampered, signed for another purpose, older than magic_link_minutes, malformed)."""
    try:
        data = serializer(settings, SALT).loads(token, max_age=settings.magic_link_minutes * 60)
        user_id, nonce, next_path = int(data["u"]), data["n"], data.get("p", "/")
    except (BadSignature, KeyError, TypeError, ValueError, AttributeError):
        return None
    if not isinstance(nonce, str) or not isinstance(next_path, str):
        return None
    return user_id, nonce, next_path


def signup_token(settings: Settings, email: str, next_path: str = "/") -> str:
    """The link's token for an address without an account: the address itself, so no user row
    exists until the link is used. It is single-use because it is only good while no account
    has the address (using it makes one)."""
    data: dict[str, Any] = {"e": email}
    if next_path != "/":
        data["p"] = next_path
    token: str = serializer(settings, SALT).dumps(data)
    return token


def read_signup_token(settings: Settings, token: str) -> tuple[str, str] | None:
    """(email, next path) from a good, unexpired sign-up token; None for anything else."""
    try:
        data = serializer(settings, SALT).loads(token, max_age=settings.magic_link_minutes * 60)
        email, next_path = data["e"], data.get("p", "/")
    except (BadSignature, KeyError, TypeError, ValueError, AttributeError):
        return None
    if not isinstance(email, str) or not isinstance(next_path, str):
        return None
    return email, next_path


def signin_link(settings: Settings, token: str) -> str:
    return f"{settings.base_url.rstrip('/')}/signin/verify?token={token}"


def compose_signin_mail(settings: Settings, to: str, link: str) -> EmailMessage:
    """The message: plain text first, the same in HTML as the alternative."""
    minutes = settings.magic_link_minutes
    site = settings.base_url.rstrip("/")
    msg = EmailMessage()
    msg["Subject"] = "Your paperwire sign-in link"
    msg["From"] = settings.mail_from
    msg["To"] = to
    msg["Message-ID"] = make_msgid(domain="paperwire")
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(
        f"Sign in to paperwire ({site}) by opening this link:\n\n{link}\n\n"
        f"It works once, within {minutes} minutes.\n\n"
        "If you did not ask to sign in, ignore this message: nothing happens without the link.\n"
    )
    safe_link = html.escape(link, quote=True)
    msg.add_alternative(
        "<!doctype html><html><body>"
        f"<p>Sign in to paperwire ({html.escape(site)}):</p>"
        f'<p><a href="{safe_link}">Sign in</a></p>'
        f"<p>It works once, within {minutes} minutes. If the button does not work, copy this "
        f"address into your browser:<br>{safe_link}</p>"
        "<p>If you did not ask to sign in, ignore this message: nothing happens without the "
        "link.</p></body></html>",
        subtype="html",
    )
    return msg


def send_signin_mail(settings: Settings, to: str, link: str) -> None:
    """Send it now (one short SMTP connection, or a file in the mail folder when no SMTP host
    is configured); raises smtplib.SMTPException, OSError or ConfigError when the mail was not
    accepted."""
    with open_mailer(settings) as mailer:
        mailer.send(compose_signin_mail(settings, to, link))


def new_signin_link(store: Store, settings: Settings, address: str, next_path: str = "/") -> str:
    """A fresh one-time sign-in link for `address` (its account is made if new, as the sign-in
    page does): what the site mails, for `paperwire users login-link` to print."""
    from paperwire.store.login import create_login_token
    from paperwire.store.users import check_email, create_user

    user, _created = create_user(store, check_email(address))
    nonce = create_login_token(store, user.id, minutes=settings.magic_link_minutes)
    return signin_link(settings, signin_token(settings, user.id, nonce, next_path))
