"""Who is asking, and may they: signed session cookies, CSRF tokens, rate limits.

- Session: cookie `pw_session` = itsdangerous-signed {user id, session version}; it expires
  after `session_days` and dies early when the user's session version is bumped (sign out
  everywhere, account removed; setting a password keeps other sessions).
- CSRF (signed double submit): cookie `pw_csrf` holds a random nonce (set the first time a page
  renders a form); every form carries `csrf_token` = the nonce signed with the site key (htmx
  sends it as the `X-CSRF-Token` header). A POST is refused unless the token's signature is good
  and it matches the cookie, so another site can neither read nor forge it.
- Rate limits: database counters per (action, account or client address), shared by workers.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response
from itsdangerous import BadSignature
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperwire.settings import Settings
from paperwire.signing import serializer
from paperwire.store import ratelimits
from paperwire.store.users import User, get_user
from paperwire.web.site import site_of

SESSION_COOKIE = "pw_session"
CSRF_COOKIE = "pw_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


# --- sessions ----------------------------------------------------------------------------


def current_user(request: Request) -> User | None:
    """The signed-in user, or None (no cookie, a bad or expired one, or a revoked session)."""
    if "user" in request.state._state:
        cached: User | None = request.state.user
        return cached
    user = None
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        settings = site_of(request).settings
        try:
            data = serializer(settings, "session").loads(raw, max_age=settings.session_days * 86400)
            found = get_user(request.app.state.site.store, int(data["u"]))
            if found is not None and found.session_version == int(data["v"]):
                user = found
        except (BadSignature, KeyError, TypeError, ValueError):
            user = None
    request.state.user = user
    return user


def require_user(request: Request) -> User:
    """The signed-in user; others get 401 (pages send them to the sign-in form instead)."""
    user = current_user(request)
    if user is None:
        raise HTTPException(401, "sign in first")
    return user


OptionalUser = Annotated[User | None, Depends(current_user)]
SignedIn = Annotated[User, Depends(require_user)]


def sign_in(response: Response, settings: Settings, user: User, *, https: bool = False) -> None:
    """Set the session cookie for `user` on `response` (Secure when the settings say so or the
    request came over HTTPS, directly or through a trusted proxy)."""
    token = serializer(settings, "session").dumps({"u": user.id, "v": user.session_version})
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_days * 86400,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies or https,
        path="/",
    )


def sign_out(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


# --- CSRF --------------------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    """The token for this visitor's forms (a template global). Makes the visitor's nonce when
    there is none yet; CSRFCookie then sets the cookie on the response."""
    nonce = request.cookies.get(CSRF_COOKIE) or request.state._state.get("new_csrf")
    if not nonce or len(nonce) > 64:
        nonce = secrets.token_urlsafe(24)
        request.state.new_csrf = nonce
    token: str = serializer(site_of(request).settings, "csrf").dumps(nonce)
    return token


async def verify_csrf(request: Request) -> None:
    """Dependency of every state-changing route: 403 unless the form field or header holds a
    good token for this visitor's cookie."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER)
    if not sent:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    cookie = request.cookies.get(CSRF_COOKIE)
    if not sent or not cookie:
        raise HTTPException(403, "the form has expired or did not come from this site: reload it")
    try:
        nonce = serializer(site_of(request).settings, "csrf").loads(sent)
    except BadSignature:
        nonce = None
    if not isinstance(nonce, str) or not secrets.compare_digest(nonce, cookie):
        raise HTTPException(403, "the form has expired or did not come from this site: reload it")


CSRF = Depends(verify_csrf)


class CSRFCookie:
    """Sets `pw_csrf` on the response when `csrf_token()` made a new nonce for this request."""

    def __init__(self, app: ASGIApp, *, secure: bool = False) -> None:
        self.app = app
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})

        async def send_with_cookie(message: Message) -> None:
            nonce = state.get("new_csrf")
            if message["type"] == "http.response.start" and nonce:
                cookie = f"{CSRF_COOKIE}={nonce}; Path=/; HttpOnly; SameSite=Lax"
                if self.secure or scope.get("scheme") == "https":
                    cookie += "; Secure"
                message["headers"] = [
                    *message.get("headers", []),
                    (b"set-cookie", cookie.encode("latin-1")),
                ]
            await send(message)

        await self.app(scope, receive, send_with_cookie)


# --- rate limits -------------------------------------------------------------------------


def client_key(request: Request) -> str:
    user = current_user(request)
    if user is not None:
        return f"user:{user.id}"
    return f"ip:{request.client.host if request.client else 'unknown'}"


def check_rate(request: Request, action: str, *, limit: int, window: int, key: str = "") -> None:
    """429 when `action` by this account (or address, or `key`) is over `limit` per `window`
    seconds."""
    name = f"{action}:{key or client_key(request)}"
    if not ratelimits.hit(request.app.state.site.store, name, limit=limit, window=window):
        raise HTTPException(
            429,
            f"too many requests: at most {limit} per {window} seconds; try again later",
            headers={"Retry-After": str(window)},
        )
