"""The digest on the web: subscriptions (preferences), unsubscribe, and a preview.

GET  /account/subscriptions               the user's subscriptions (anonymous: 303 to sign in)
POST /account/subscriptions               add one: kind=trending|recs|search (&query=)
POST /account/subscriptions/{id}/enabled  enabled=1|0: switch one on or off
POST /account/subscriptions/{id}/remove   delete one
POST /account/replies                     on=1|0: replies to your comments in the digest
GET  /unsubscribe?token=T                 a page with one button (no sign-in needed)
POST /unsubscribe?token=T                 RFC 8058 one-click: every subscription off
GET  /digest/preview                      today's digest for the signed-in user (no mail)
GET  /digest/preview/mail                 its HTML part alone (framed by the preview page)
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from paperwire.digest.build import DigestBuilder
from paperwire.digest.render import Renderer
from paperwire.digest.tokens import read_unsubscribe_token
from paperwire.errors import BadQuery, BadRequest, NotFound
from paperwire.search.query import parse_query
from paperwire.store.replies import notify_replies, set_notify_replies
from paperwire.store.subscriptions import (
    KINDS,
    MAX_QUERY,
    add_subscription,
    disable_all,
    list_subscriptions,
    remove_subscription,
    set_enabled,
)
from paperwire.store.users import get_user
from paperwire.web import auth
from paperwire.web.account import signin_redirect
from paperwire.web.data import parse_day
from paperwire.web.models import RowId
from paperwire.web.pages import private_page
from paperwire.web.site import site_of

router = APIRouter(include_in_schema=False)
PREFERENCES = "/account/subscriptions"
NO_STORE = {"cache-control": "no-store"}
NOTICES = {  # fixed texts for ?done=: nothing from the query string is echoed
    "added": "Subscribed: it is in your next digest.",
    "on": "Switched on.",
    "off": "Switched off.",
    "removed": "Removed.",
    "replies-on": "Replies to your comments will be in your digest.",
    "replies-off": "Replies to your comments will not be in your digest any more.",
}
Token = Annotated[str, Query(max_length=1000)]


def _done(what: str) -> Response:
    return RedirectResponse(f"{PREFERENCES}?done={what}", status_code=303)


# --- preferences ---------------------------------------------------------------------------


@router.get(PREFERENCES)
def preferences(
    request: Request, user: auth.OptionalUser, done: Annotated[str, Query(max_length=20)] = ""
) -> Response:
    if user is None:
        return signin_redirect(request)
    return _preferences_page(request, user, notice=NOTICES.get(done))


def _preferences_page(
    request: Request, user: Any, *, notice: str | None = None, error: str | None = None,
    query: str = "", status: int = 200,
) -> Response:  # fmt: skip
    subs = list_subscriptions(site_of(request).store, user.id)
    context = {
        "user": user,
        "subscriptions": subs,
        "notice": notice,
        "error": error,
        "query": query,
        "kinds": KINDS,
        "has": {s.kind for s in subs},
        "max_query": MAX_QUERY,
        "nav": "account",
        "notify_replies": notify_replies(site_of(request).store, user.id),
    }
    response = private_page(request, "preferences.html", context)
    response.status_code = status
    return response


@router.post(PREFERENCES, dependencies=[auth.CSRF])
def add(
    request: Request,
    user: auth.SignedIn,
    kind: Annotated[str, Form(max_length=16)],
    query: Annotated[str, Form(max_length=MAX_QUERY + 1000)] = "",
) -> Response:
    """Subscribe; a saved search must parse (the same rules as the search box): a clear 400."""
    if kind not in KINDS:
        raise BadRequest(f"subscription kind {kind[:20]!r} is not one of {', '.join(KINDS)}")
    if kind == "search":
        try:
            parse_query(query)
        except BadQuery as exc:  # back to the form, the query kept, saying what is wrong
            return _preferences_page(
                request, user, error=f"That search cannot be saved: {exc}", query=query, status=400
            )
    add_subscription(site_of(request).store, user.id, kind, query if kind == "search" else None)
    return _done("added")


@router.post(PREFERENCES + "/{sub_id}/enabled", dependencies=[auth.CSRF])
def switch(
    request: Request,
    user: auth.SignedIn,
    sub_id: RowId,
    enabled: Annotated[str, Form(max_length=5)] = "0",
) -> Response:
    on = enabled in ("1", "on", "true")
    if not set_enabled(site_of(request).store, user.id, sub_id, on):
        raise NotFound("you have no such subscription")
    return _done("on" if on else "off")


@router.post(PREFERENCES + "/{sub_id}/remove", dependencies=[auth.CSRF])
def remove(request: Request, user: auth.SignedIn, sub_id: RowId) -> Response:
    if not remove_subscription(site_of(request).store, user.id, sub_id):
        raise NotFound("you have no such subscription")
    return _done("removed")


@router.post("/account/replies", dependencies=[auth.CSRF])
def replies_setting(
    request: Request, user: auth.SignedIn, on: Annotated[str, Form(max_length=5)] = "0"
) -> Response:
    """Replies to the user's comments in their digest: on (the default) or off."""
    wanted = on in ("1", "on", "true")
    set_notify_replies(site_of(request).store, user.id, wanted)
    return _done("replies-on" if wanted else "replies-off")


# --- unsubscribe ---------------------------------------------------------------------------


@router.get("/unsubscribe")
def unsubscribeprivate_page(request: Request, token: Token = "") -> Response:
    """The link in every digest: a page with one button (a GET changes nothing, so link
    scanners and prefetching mail clients cannot unsubscribe anyone)."""
    user_id = read_unsubscribe_token(site_of(request).settings, token)  # tampered: 400
    user = get_user(site_of(request).store, user_id)
    context = {"token": token, "email": user.email if user else None, "done": False}
    return private_page(request, "unsubscribe.html", context)


# No CSRF check here, deliberately: RFC 8058 one-click unsubscribe has the mail client POST
# "List-Unsubscribe=One-Click" to the List-Unsubscribe URL, with no cookie and no form token.
# The signed token in the URL is the authority (it names the user and only this site can make
# it), and the only thing it can do is switch the digest off, which is harmless to repeat.
@router.post("/unsubscribe")
def unsubscribe(request: Request, token: Token = "") -> Response:
    user_id = read_unsubscribe_token(site_of(request).settings, token)  # tampered: 400
    user = get_user(site_of(request).store, user_id)
    switched = disable_all(site_of(request).store, user_id) if user is not None else 0
    context = {
        "token": token,
        "email": user.email if user else None,
        "done": True,
        "switched": switched,
    }
    return private_page(request, "unsubscribe.html", context)


# --- preview -------------------------------------------------------------------------------


# The mail's HTML is styled inline (mail clients ignore style sheets), which the site's CSP
# forbids: the preview page frames it from a route of its own whose CSP allows inline styles
# and nothing else (no script, no form, no plugin), in a sandboxed iframe.
MAIL_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'self'"
)


def _preview(request: Request, user: Any, day: str) -> tuple[Any, Any]:
    site = request.app.state.site
    wanted = parse_day(day) if day else date.today()
    digest = DigestBuilder(site.settings, site.store, site.index, wanted).build(user)
    rendered = Renderer(site.settings).render(digest) if not digest.empty else None
    return digest, rendered


@router.get("/digest/preview")
def preview(
    request: Request,
    user: auth.OptionalUser,
    day: Annotated[str, Query(alias="date", max_length=10)] = "",
) -> Response:
    """The signed-in user's digest of today (or ?date=), as the mail's HTML part would show
    it. Nothing is sent and the outbox is not touched."""
    if user is None:
        return signin_redirect(request)
    digest, rendered = _preview(request, user, day)
    body_url = "/digest/preview/mail" + (f"?date={quote(day)}" if day else "")
    context = {
        "user": user,
        "digest": digest,
        "rendered": rendered,
        "body_url": body_url,
        "nav": "subscriptions",
    }
    return private_page(request, "digest_preview.html", context)


@router.get("/digest/preview/mail")
def preview_mail(
    request: Request,
    user: auth.OptionalUser,
    day: Annotated[str, Query(alias="date", max_length=10)] = "",
) -> Response:
    """The HTML part of the preview's mail, alone, for the preview page's iframe."""
    if user is None:
        return signin_redirect(request)
    _, rendered = _preview(request, user, day)
    body = rendered.body_html if rendered is not None else "<p>Nothing new today.</p>"
    # Links open in the whole window, not inside the frame (site pages refuse to be framed).
    head = '<meta charset="utf-8"><base target="_top"><title>Digest preview</title>'
    if "<head>" in body:
        body = body.replace("<head>", "<head>" + head, 1)
    else:
        body = f'<!doctype html><html lang="en"><head>{head}</head><body>{body}</body></html>'
    headers = {
        **NO_STORE,
        "content-security-policy": MAIL_CSP,
        "x-frame-options": "SAMEORIGIN",
    }
    return HTMLResponse(body, headers=headers)
