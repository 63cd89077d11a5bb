"""Accounts on the web: sign in (a mailed magic link, or a password once one is set), sign
out, sign out everywhere, and the /account page (name, password, delete my account).

    GET  /signin                 the form (email, optional password)       ?next=
    POST /signin                 mail a sign-in link, or sign in with the password
    GET  /signin/verify?token=   redeem a mailed link: sets the session cookie, 303 to `next`
    POST /signout                clear the session cookie, 303 to /
    GET  /account                the account page (anonymous: 303 to /signin?next=/account)
    POST /account/name           POST /account/password
    POST /account/signout-all    POST /account/delete

Pages elsewhere that need a signed-in user answer anonymous visitors with
`login_required_response(request)` (a 303 to the sign-in form that comes back afterwards);
`install_signin_redirect(app)` does the same for every `auth.require_user` 401 of the site.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Awaitable, Callable
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from paperwire.digest.filemail import mail_folder, smtp_configured
from paperwire.errors import BadRequest, ConfigError
from paperwire.store.login import create_login_token, expire_login_tokens, redeem_login_token
from paperwire.store.users import (
    MAX_NAME,
    MAX_PASSWORD,
    MIN_PASSWORD,
    User,
    authenticate,
    check_email,
    create_user,
    delete_user,
    get_user,
    get_user_by_email,
    normalize_email,
    record_login,
    set_name,
    set_password,
    sign_out_everywhere,
)
from paperwire.web import auth
from paperwire.web.errors import API_PREFIX, error_response
from paperwire.web.pages import private_page
from paperwire.web.signin import (
    read_signin_token,
    read_signup_token,
    send_signin_mail,
    signin_link,
    signin_token,
    signup_token,
)
from paperwire.web.site import site_of
from paperwire.web.urls import MAX_NEXT, here, safe_next, signin_url

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

SIGNIN_LIMIT = 5  # sign-in posts per window, per client address and per email address
SIGNIN_WINDOW = 600
WRONG_PASSWORD = "wrong email or password"
NO_STORE = {"cache-control": "no-store"}

# Fixed texts for ?done=: nothing from the query string is echoed into the page.
NOTICES = {
    "name": "Your name is saved.",
    "password": "Your password is set: you can sign in with it from now on.",
    "everywhere": "You are signed out everywhere: every browser has to sign in again.",
    "deleted": "Your account and everything in it (votes, collections, subscriptions) is erased.",
}

FormText = Annotated[str, Form(max_length=4096)]


# --- where to go after signing in ------------------------------------------------------------


def _here(request: Request) -> str:
    """The page to come back to: this one for a GET, the page the form was on otherwise (a
    POST's own address cannot be opened again with a GET)."""
    if request.method in ("GET", "HEAD"):
        return here(request)
    referer = request.headers.get("referer", "")
    parts = urlsplit(referer)
    if parts.netloc and parts.netloc == request.url.netloc:
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return "/"


def signin_redirect(request: Request, next_path: str | None = None) -> RedirectResponse:
    """303 to the sign-in form, coming back to `next_path` (default: this page)."""
    return RedirectResponse(signin_url(next_path or _here(request)), status_code=303)


def login_required_response(request: Request) -> Response:
    """What an anonymous visitor gets from a page that needs an account: the JSON 401 under
    /api, an `HX-Redirect` to the sign-in form for htmx (so the form is not swapped into a
    fragment), else a 303 to the sign-in form that comes back here afterwards."""
    if request.url.path.startswith(API_PREFIX):
        return error_response(request, 401, "sign in first")
    if request.headers.get("HX-Request"):
        return Response(status_code=401, headers={"HX-Redirect": signin_url(_here(request))})
    return signin_redirect(request)


def install_signin_redirect(app: FastAPI) -> None:
    """Make every 401 of an HTML page (`auth.require_user`, `auth.SignedIn`) a trip to the
    sign-in form instead of an error page; the other statuses keep the site's handler. Call
    after `errors.install(app)`."""
    previous = app.exception_handlers.get(StarletteHTTPException)
    assert previous is not None, "call errors.install(app) first"
    handler: Callable[[Request, Exception], Awaitable[Response]] = previous  # type: ignore[assignment]

    async def redirect_401(request: Request, exc: Exception) -> Response:
        if isinstance(exc, StarletteHTTPException) and exc.status_code == 401:
            return login_required_response(request)
        return await handler(request, exc)

    app.add_exception_handler(StarletteHTTPException, redirect_401)


# --- sign in -----------------------------------------------------------------------------


def _signin_form(
    request: Request,
    *,
    next_path: str,
    email: str = "",
    error: str | None = None,
    notice: str | None = None,
    status: int = 200,
) -> Response:
    context = {
        "next": next_path,
        "email": email,
        "error": error,
        "notice": notice,
        "min_password": MIN_PASSWORD,
        "max_password": MAX_PASSWORD,
    }
    return private_page(request, "signin.html", context, status)


@router.get("/signin")
def signin_page(
    request: Request,
    next_path: Annotated[str, Query(alias="next", max_length=MAX_NEXT)] = "/",
    done: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    return _signin_form(request, next_path=safe_next(next_path), notice=NOTICES.get(done))


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/signin", dependencies=[auth.CSRF])
def signin_post(
    request: Request,
    email: FormText = "",
    password: FormText = "",
    next_field: Annotated[str, Form(alias="next", max_length=MAX_NEXT)] = "/",
) -> Response:
    next_path = safe_next(next_field)
    auth.check_rate(
        request,
        "signin",
        limit=SIGNIN_LIMIT,
        window=SIGNIN_WINDOW,
        key=f"ip:{_client_address(request)}",
    )
    try:
        address = check_email(email)
    except BadRequest as exc:
        return _signin_form(request, next_path=next_path, email=email, error=str(exc), status=400)
    auth.check_rate(
        request, "signin", limit=SIGNIN_LIMIT, window=SIGNIN_WINDOW, key=f"email:{address}"
    )
    store, settings = site_of(request).store, site_of(request).settings
    if password:
        # The same message for an unknown address, an account without a password and a wrong
        # password; authenticate() takes the same time for each.
        user = authenticate(store, address, password)
        if user is None:
            return _signin_form(
                request, next_path=next_path, email=address, error=WRONG_PASSWORD, status=400
            )
        return _signed_in(request, user, next_path)
    # A magic link. New and known addresses get the same page (no telling who has an account);
    # a new address gets no account until its link is used.
    user = get_user_by_email(store, address)
    if user is None:
        link = signin_link(settings, signup_token(settings, address, next_path))
    else:
        nonce = create_login_token(store, user.id, minutes=settings.magic_link_minutes)
        link = signin_link(settings, signin_token(settings, user.id, nonce, next_path))
    mailed = smtp_configured(settings)
    try:
        send_signin_mail(settings, address, link)
    except (smtplib.SMTPException, OSError, ConfigError) as exc:
        # Logged for the operator, and still the same page: an answer that differed when the
        # mail failed would tell an attacker something, and the visitor can simply try again.
        who = f"user {user.id}" if user else "a new address"
        log.error("could not send the sign-in mail to %s: %s", who, exc)
    return private_page(
        request,
        "signin_sent.html",
        {
            "email": address,
            "minutes": settings.magic_link_minutes,
            "next": next_path,
            # No mail server: the page says where the link went (never the link itself).
            "mail_folder": None if mailed else str(mail_folder(settings)),
        },
    )


def _signed_in(request: Request, user: User, next_path: str) -> Response:
    record_login(site_of(request).store, user.id)
    response = RedirectResponse(next_path, status_code=303, headers=NO_STORE)
    auth.sign_in(response, site_of(request).settings, user, https=request.url.scheme == "https")
    return response


@router.get("/signin/verify")
def signin_verify(request: Request, token: Annotated[str, Query(max_length=4096)] = "") -> Response:
    """Redeem a mailed link. A GET that changes state: the link is opened from a mail client,
    and a POST would need a second click on an intermediate page. Mail scanners that fetch
    links could use up a link; mail clients rarely prefetch, and a used link only means asking
    for another one, so we keep the one click."""
    store, settings = site_of(request).store, site_of(request).settings
    parsed = read_signin_token(settings, token)
    if parsed is not None:
        user_id, nonce, next_path = parsed
        user = get_user(store, user_id) if redeem_login_token(store, user_id, nonce) else None
        if user is not None:
            return _signed_in(request, user, safe_next(next_path))
    signup = read_signup_token(settings, token) if parsed is None else None
    if signup is not None:
        # Good only while no account has the address: the first use makes it, and every
        # later use of this link (or of another one sent before) finds it and is refused.
        email, next_path = signup
        new_user, created = create_user(store, email)
        if created:
            return _signed_in(request, new_user, safe_next(next_path))
    return private_page(request, "signin_invalid.html", {}, status=400)


@router.post("/signout", dependencies=[auth.CSRF])
def signout(request: Request) -> Response:
    response = RedirectResponse("/", status_code=303, headers=NO_STORE)
    auth.sign_out(response)
    return response


# --- the account page --------------------------------------------------------------------


def _account_page(
    request: Request,
    user: User,
    *,
    error: str | None = None,
    notice: str | None = None,
    status: int = 200,
) -> Response:
    context = {
        "user": user,
        "error": error,
        "notice": notice,
        "max_name": MAX_NAME,
        "min_password": MIN_PASSWORD,
        "max_password": MAX_PASSWORD,
    }
    return private_page(request, "account.html", context, status)


@router.get("/account")
def account_page(request: Request, done: Annotated[str, Query(max_length=32)] = "") -> Response:
    user = auth.current_user(request)
    if user is None:
        return login_required_response(request)
    return _account_page(request, user, notice=NOTICES.get(done))


@router.post("/account/name", dependencies=[auth.CSRF])
def account_name(request: Request, name: FormText = "") -> Response:
    user = auth.current_user(request)
    if user is None:
        return login_required_response(request)
    try:
        set_name(site_of(request).store, user.id, name)
    except BadRequest as exc:
        return _account_page(request, user, error=str(exc), status=400)
    return RedirectResponse("/account?done=name", status_code=303)


@router.post("/account/password", dependencies=[auth.CSRF])
def account_password(request: Request, password: FormText = "", confirm: FormText = "") -> Response:
    user = auth.current_user(request)
    if user is None:
        return login_required_response(request)
    try:
        if password != confirm:
            raise BadRequest("the two passwords differ: type the same one twice")
        set_password(site_of(request).store, user.id, password)
    except BadRequest as exc:
        return _account_page(request, user, error=str(exc), status=400)
    return RedirectResponse("/account?done=password", status_code=303)


@router.post("/account/signout-all", dependencies=[auth.CSRF])
def account_signout_all(request: Request) -> Response:
    """End every session of this account (this browser's too) and every unused sign-in link."""
    user = auth.current_user(request)
    if user is None:
        return login_required_response(request)
    sign_out_everywhere(site_of(request).store, user.id)
    expire_login_tokens(site_of(request).store, user.id)
    response = RedirectResponse("/signin?done=everywhere", status_code=303, headers=NO_STORE)
    auth.sign_out(response)
    return response


@router.post("/account/delete", dependencies=[auth.CSRF])
def account_delete(request: Request, confirm: FormText = "") -> Response:
    """Erase the account and everything of it; `confirm` must be the account's email."""
    user = auth.current_user(request)
    if user is None:
        return login_required_response(request)
    if normalize_email(confirm) != user.email:
        message = "to delete your account, type its email address in the box"
        return _account_page(request, user, error=message, status=400)
    delete_user(site_of(request).store, user.id)
    response = RedirectResponse("/signin?done=deleted", status_code=303, headers=NO_STORE)
    auth.sign_out(response)
    return response
