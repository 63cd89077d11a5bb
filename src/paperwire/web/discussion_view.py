"""What a paper page shows of its discussion (called by community_view.annotate): the
comments in thread order, indented up to MAX_INDENT levels, and what the viewer may do."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from paperwire.community.markup import render as render_markdown
from paperwire.store import comments as store_comments
from paperwire.store.comments import Comment
from paperwire.store.papers import find_paper
from paperwire.web import auth
from paperwire.web.urls import paper_url, signin_url

MAX_INDENT = 6


def comment_url(c: Comment) -> str:
    return f"{paper_url(c.paper_id)}#c-{c.id}"


def _view(c: Comment, user_id: int | None, moderator: bool) -> dict[str, Any]:
    state = "deleted" if c.deleted else "hidden" if c.hidden else "visible"
    shown = state == "visible" or (state == "hidden" and moderator)
    return {
        "id": c.id,
        "author": c.author,
        "state": state,
        "html": render_markdown(c.body) if shown else "",
        "body": c.body if c.user_id == user_id and state != "deleted" else "",
        "indent": min(c.depth, MAX_INDENT),
        "depth": c.depth,
        "created": c.created,
        "edited": c.edited,
        "upvotes": c.upvotes,
        "upvoted": c.upvoted,
        "mine": user_id is not None and c.user_id == user_id,
        "reports": c.reports if moderator else 0,
    }


def thread_view(request: Request, paper_id: str) -> dict[str, Any]:
    """The paper page's discussion: its comments in thread order and what the viewer may do."""
    store = request.app.state.site.store
    user = auth.current_user(request)
    pk, _ = find_paper(store, paper_id)
    moderator = user is not None and store_comments.is_moderator(store, user.id)
    found = store_comments.thread(store, pk, user.id if user else None)
    # A deleted or hidden comment with no replies is left out; with replies it keeps its place.
    parents = {c.parent_id for c in found}
    kept = [c for c in found if (not c.deleted and not c.hidden) or c.id in parents or moderator]
    views = [_view(c, user.id if user else None, moderator) for c in kept]
    return {
        "comments": views,
        "count": sum(1 for c in found if not c.deleted and not c.hidden),
        "signed_in": user is not None,
        "moderator": moderator,
        "csrf": auth.csrf_token(request) if user is not None else "",
        "signin": signin_url(paper_url(paper_id)),
        "feed": paper_url(paper_id) + "/comments.atom",
        "max_body": store_comments.MAX_BODY,
        # A refused post or edit: its text and the reason, put back in its form.
        "draft": request.state._state.get("comment_draft") or {},
    }
