"""Discussion on each paper's page: threaded comments (any depth; the page indents up to
MAX_INDENT levels), Markdown rendered and sanitised (paperwire.community.markup).

    POST /comments                     paper=ID, body=MARKDOWN, parent=N (a reply), next=PATH
    POST /comments/N/edit              body=MARKDOWN (the author only: others get 403)
    POST /comments/N/delete            (the author only)
    POST /comments/N/vote              action=vote|unvote (htmx: answers the new button)
    POST /comments/N/report            reason=TEXT
    POST /comments/N/hide              action=hide|unhide (moderators only: others get 403)
    GET  /paper/ID/comments.atom       the paper's thread as an Atom feed, newest first

Every POST takes the CSRF token and is rate-limited per account (posting and editing: 429
past COMMENT_LIMIT). Anonymous visitors are sent to sign in. Without JavaScript every form
posts and answers 303 back to the comment on the paper's page; forms for reply, edit and
report open in <details>, so the page needs no script of its own.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from feedgen.feed import FeedGenerator

from paperwire.community.markup import render as render_markdown
from paperwire.days import EPOCH_UTC
from paperwire.errors import BadRequest
from paperwire.store import comments as store_comments
from paperwire.store.comments import Comment
from paperwire.store.papers import find_paper
from paperwire.web import auth, data
from paperwire.web.discussion_view import comment_url
from paperwire.web.feeds import _text
from paperwire.web.pages import SiteDep, render
from paperwire.web.urls import paper_url, safe_next, signin_url

router = APIRouter(include_in_schema=False)

COMMENT_LIMIT = (10, 600)  # new comments per account: events, seconds
EDIT_LIMIT = (30, 600)
ACT_LIMIT = (60, 60)  # upvotes, reports, deletes, hides
FEED_ENTRIES = 100

BodyField = Annotated[str, Form(max_length=store_comments.MAX_BODY + 1000)]
NextField = Annotated[str | None, Form(max_length=2000)]
ActionField = Annotated[str, Form(max_length=16)]


# --- the forms -------------------------------------------------------------------------------


def _signed_in(request: Request, back: str) -> Any:
    user = auth.current_user(request)
    if user is not None:
        return user
    url = signin_url(back)
    if request.headers.get("HX-Request"):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


@router.post("/comments", dependencies=[auth.CSRF])
def post_comment(
    request: Request,
    site: SiteDep,
    paper: Annotated[str, Form(min_length=1, max_length=256)],
    body: BodyField = "",
    parent: Annotated[int | None, Form(ge=1, le=2**62)] = None,
    next: NextField = None,
) -> Response:
    pk, paper_id = find_paper(site.store, paper)
    user = _signed_in(request, paper_url(paper_id))
    if isinstance(user, Response):
        return user
    auth.check_rate(request, "comment", limit=COMMENT_LIMIT[0], window=COMMENT_LIMIT[1])
    try:
        new_id = store_comments.add_comment(
            site.store, paper_pk=pk, user_id=user.id, body=body, parent_id=parent
        )
    except BadRequest as exc:
        return _with_draft(request, site, paper_id, {"parent": parent, "body": body}, exc)
    back = safe_next(next, paper_url(paper_id))
    return RedirectResponse(f"{back.split('#')[0]}#c-{new_id}", status_code=303)


def _with_draft(
    request: Request, site: Any, paper_id: str, draft: dict[str, Any], exc: BadRequest
) -> Response:
    """The paper page again (400) with the text as typed back in its form and the reason:
    bad input loses nothing."""
    request.state.comment_draft = {**draft, "error": str(exc)}
    response = render(request, "paper.html", data.paper_page(site, paper_id=paper_id))
    response.status_code = 400
    return response


def _target(request: Request, site: Any, comment_id: int) -> tuple[Any, Comment | Response]:
    """(user, the comment) for a comment action, or (None, the sign-in redirect)."""
    found = store_comments.get_comment(site.store, comment_id)
    user = _signed_in(request, comment_url(found))
    if isinstance(user, Response):
        return None, user
    return user, found


@router.post("/comments/{comment_id:int}/edit", dependencies=[auth.CSRF])
def edit(request: Request, site: SiteDep, comment_id: int, body: BodyField = "") -> Response:
    user, found = _target(request, site, comment_id)
    if not isinstance(found, Comment):
        return found
    auth.check_rate(request, "comment-edit", limit=EDIT_LIMIT[0], window=EDIT_LIMIT[1])
    try:
        store_comments.edit_comment(site.store, comment_id=comment_id, user_id=user.id, body=body)
    except BadRequest as exc:
        return _with_draft(request, site, found.paper_id, {"edit": comment_id, "body": body}, exc)
    return RedirectResponse(comment_url(found), status_code=303)


@router.post("/comments/{comment_id:int}/delete", dependencies=[auth.CSRF])
def delete(request: Request, site: SiteDep, comment_id: int) -> Response:
    user, found = _target(request, site, comment_id)
    if not isinstance(found, Comment):
        return found
    auth.check_rate(request, "comment-act", limit=ACT_LIMIT[0], window=ACT_LIMIT[1])
    store_comments.delete_comment(site.store, comment_id=comment_id, user_id=user.id)
    return RedirectResponse(comment_url(found), status_code=303)


def _action(action: str, allowed: dict[str, bool]) -> bool:
    if action not in allowed:
        raise BadRequest(f"action {action[:20]!r} is not one of: {', '.join(allowed)}")
    return allowed[action]


@router.post("/comments/{comment_id:int}/vote", dependencies=[auth.CSRF])
def vote(
    request: Request, site: SiteDep, comment_id: int, action: ActionField = "vote"
) -> Response:
    on = _action(action, {"vote": True, "unvote": False})
    user, found = _target(request, site, comment_id)
    if not isinstance(found, Comment):
        return found
    if found.user_id == user.id:
        raise BadRequest("you cannot upvote your own comment")
    auth.check_rate(request, "comment-act", limit=ACT_LIMIT[0], window=ACT_LIMIT[1])
    voted, count = store_comments.set_upvote(
        site.store, comment_id=comment_id, user_id=user.id, on=on
    )
    if request.headers.get("HX-Request"):
        c = {"id": comment_id, "upvotes": count, "upvoted": voted, "mine": found.user_id == user.id}
        context = {"c": c, "t": {"csrf": auth.csrf_token(request)}}
        response: HTMLResponse = request.app.state.templates.TemplateResponse(
            request, "_comment_vote.html", context
        )
        return response
    return RedirectResponse(comment_url(found), status_code=303)


@router.post("/comments/{comment_id:int}/report", dependencies=[auth.CSRF])
def report(
    request: Request,
    site: SiteDep,
    comment_id: int,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    user, found = _target(request, site, comment_id)
    if not isinstance(found, Comment):
        return found
    auth.check_rate(request, "comment-act", limit=ACT_LIMIT[0], window=ACT_LIMIT[1])
    store_comments.report_comment(site.store, comment_id=comment_id, user_id=user.id, reason=reason)
    return RedirectResponse(comment_url(found), status_code=303)


@router.post("/comments/{comment_id:int}/hide", dependencies=[auth.CSRF])
def hide(
    request: Request, site: SiteDep, comment_id: int, action: ActionField = "hide"
) -> Response:
    hidden = _action(action, {"hide": True, "unhide": False})
    user, found = _target(request, site, comment_id)
    if not isinstance(found, Comment):
        return found
    auth.check_rate(request, "comment-act", limit=ACT_LIMIT[0], window=ACT_LIMIT[1])
    store_comments.set_hidden(
        site.store, comment_id=comment_id, moderator_id=user.id, hidden=hidden
    )
    return RedirectResponse(comment_url(found), status_code=303)


# --- the thread's feed -----------------------------------------------------------------------


@router.get("/paper/{paper_id:path}/comments.atom")
def thread_feed(request: Request, site: SiteDep, paper_id: str) -> Response:
    """The visible comments of one paper, newest first (routed before /paper/ID)."""
    pk, current = find_paper(site.store, paper_id)
    base = str(request.base_url).rstrip("/")
    page = base + paper_url(current)
    shown = [c for c in store_comments.thread(site.store, pk) if not c.deleted and not c.hidden]
    shown.sort(key=lambda c: (c.created, c.id), reverse=True)
    feed = FeedGenerator()
    feed.id(page + "#discussion")
    feed.title(f"paperwire: discussion of {current}")
    feed.link(href=page, rel="alternate")
    feed.link(href=str(request.url), rel="self")
    feed.language("en")
    feed.generator("paperwire")
    feed.updated(shown[0].edited or shown[0].created if shown else EPOCH_UTC)
    for c in shown[:FEED_ENTRIES]:
        entry = feed.add_entry(order="append")
        url = f"{page}#c-{c.id}"
        entry.id(url)
        entry.link(href=url, rel="alternate")
        entry.title(_text(f"{'Reply' if c.parent_id else 'Comment'} by {c.author}"))
        entry.author({"name": _text(c.author)})
        entry.content(_text(str(render_markdown(c.body))), type="html")
        entry.published(c.created)
        entry.updated(c.edited or c.created)
    body: bytes = feed.atom_str(pretty=False)
    return Response(body, media_type="application/atom+xml")
