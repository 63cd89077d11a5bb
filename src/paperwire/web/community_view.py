"""What the community adds to a rendered page: each paper's vote count and whether the
signed-in user voted, each paper's comment count, and, on a paper's page, the user's
collections that hold it and its discussion (paperwire.web.discussion).

`annotate(request, page)` runs once per rendered page (from `pages.render`): ONE query gets
the votes of every paper on the page (list, search hits, similar papers); the CSRF token is
signed once. An anonymous visitor costs that one query and nothing else (no token, no cookie:
the vote button is a link to sign in).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request

from paperwire.store.collections import collections_with, list_collections
from paperwire.store.comments import comment_counts
from paperwire.store.papers import find_paper
from paperwire.store.votes import vote_state
from paperwire.web import auth
from paperwire.web.discussion_view import thread_view
from paperwire.web.urls import here, paper_url, signin_url

PAPER_LISTS = ("papers", "hits", "similar")


@dataclass(frozen=True)
class VoteForm:
    """What a vote button needs beyond the paper: shared by every button of a page."""

    signed_in: bool
    csrf: str = ""
    next: str = ""


@dataclass(frozen=True)
class Vote:
    count: int
    voted: bool
    form: VoteForm


def vote_form(request: Request) -> VoteForm:
    user = auth.current_user(request)
    if user is None:
        return VoteForm(signed_in=False)
    return VoteForm(signed_in=True, csrf=auth.csrf_token(request), next=here(request))


def annotate(request: Request, page: dict[str, Any]) -> dict[str, Any]:
    """A copy of the page whose papers carry `vote` (count, voted, the form's token); the
    page's own dicts are not changed (they may be shared)."""
    lists = {k: page[k] for k in PAPER_LISTS if isinstance(page.get(k), list)}
    single = page.get("paper") if isinstance(page.get("paper"), dict) else None
    ids = [p["id"] for items in lists.values() for p in items if isinstance(p, dict) and "id" in p]
    if single is not None:
        ids.append(single["id"])
    if not ids:
        return page
    site = request.app.state.site
    form = vote_form(request)
    user = auth.current_user(request)
    state = vote_state(site.store, ids, user.id if user else None)
    talk = comment_counts(site.store, ids)  # one query, like the votes

    def marked(p: dict[str, Any]) -> dict[str, Any]:
        count, voted = state.get(p["id"], (0, False))
        return {**p, "vote": Vote(count, voted, form), "discussion_count": talk.get(p["id"], 0)}

    out = dict(page)
    for key, items in lists.items():
        out[key] = [marked(p) if isinstance(p, dict) and "id" in p else p for p in items]
    if single is not None:
        out["paper"] = marked(single)
        out["discussion"] = thread_view(request, single["id"])
        if user is not None:
            out["saved"] = saved_in(request, single["id"], user.id)
    return out


def saved_in(request: Request, paper_id: str, user_id: int) -> dict[str, Any]:
    """The paper page's bookmark box: the user's collections, and those holding the paper."""
    store = request.app.state.site.store
    pk, _ = find_paper(store, paper_id)
    return {
        "in": collections_with(store, user_id, pk),
        "collections": list_collections(store, user_id),
    }


def paper_signin(paper_id: str) -> str:
    return signin_url(paper_url(paper_id))
