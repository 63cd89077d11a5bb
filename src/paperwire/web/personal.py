"""A signed-in user's list rules and the "for you" onboarding (anonymous visitors are sent to
sign in):

    GET  /account/filters              the user's list rules, forms to add one
    POST /account/filters              kind=include|exclude, keyword=TEXT; kind=chip,
                                       category=CAT; kind=code
    POST /account/filters/N/delete
    GET  /for-you/start                onboarding: pick categories, paste arXiv ids, upload BibTeX
    POST /for-you/start                (multipart) categories=CAT..., ids=TEXT, bibtex=FILE

Every POST takes `auth.CSRF` and is rate-limited per account. Bad input (a keyword too short,
a file too large, not BibTeX, no paper found) answers the form again with the error (400),
losing nothing typed. The rules apply to the user's lists (web/list_order.py) and digest
(digest/build.py); the onboarding's papers are bookmarked in "Seed papers", so they are likes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from paperwire.community.bibtex_import import MAX_BYTES, decode, parse_bibtex, parse_pasted_ids
from paperwire.errors import BadRequest
from paperwire.store import rules as user_rules
from paperwire.store.listing import categories_with_counts
from paperwire.store.seeds import SEED_COLLECTION, pks_by_arxiv_id, pks_by_title, seed_bookmarks
from paperwire.store.users import User
from paperwire.web import auth
from paperwire.web.category_names import category_label
from paperwire.web.models import RowId
from paperwire.web.pages import SiteDep, private_page
from paperwire.web.site import Site
from paperwire.web.urls import signin_url

router = APIRouter(include_in_schema=False)
FILTERS = "/account/filters"
START = "/for-you/start"
RULE_LIMIT = (60, 60)  # writes per account: events, seconds
START_LIMIT = (20, 3600)
CATEGORIES_OFFERED = 30
TEXT_CHARS = 20_000  # pasted ids


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# --- list rules ------------------------------------------------------------------------------


def _filters_page(
    request: Request,
    site: Site,
    user: User,
    *,
    error: str = "",
    keyword: str = "",
    status: int = 200,
) -> Response:
    context = {
        "rules": user_rules.get_rules(site.store, user.id),
        "error": error,
        "keyword": keyword,
        "done": request.query_params.get("done", "")[:16],
        "min_keyword": user_rules.MIN_KEYWORD,
        "max_keyword": user_rules.MAX_KEYWORD,
        "offered": _offered(site),
    }
    return private_page(request, "filters.html", context, status)


@router.get(FILTERS)
def filters_page(request: Request, site: SiteDep, user: auth.OptionalUser) -> Response:
    if user is None:
        return _see_other(signin_url(FILTERS))
    return _filters_page(request, site, user)


@router.post(FILTERS, dependencies=[auth.CSRF])
def add_filter(
    request: Request,
    site: SiteDep,
    user: auth.OptionalUser,
    kind: Annotated[str, Form(max_length=16)] = "exclude",
    keyword: Annotated[str, Form(max_length=1000)] = "",
    category: Annotated[str, Form(max_length=80)] = "",
) -> Response:
    if user is None:
        return _see_other(signin_url(FILTERS))
    auth.check_rate(request, "rules", limit=RULE_LIMIT[0], window=RULE_LIMIT[1])
    if kind not in user_rules.FILTER_KINDS:
        error = "a rule includes or excludes a keyword, keeps a category chip or has code"
        return _filters_page(request, site, user, error=error, keyword=keyword, status=400)
    value = category if kind == "chip" else keyword
    try:
        added = user_rules.add_rule(site.store, user.id, kind, value)
    except BadRequest as exc:
        return _filters_page(request, site, user, error=str(exc), keyword=keyword, status=400)
    return _see_other(f"{FILTERS}?done={'added' if added else 'exists'}")


@router.post(FILTERS + "/{rule_id}/delete", dependencies=[auth.CSRF])
def delete_filter(
    request: Request, site: SiteDep, user: auth.OptionalUser, rule_id: RowId
) -> Response:
    if user is None:
        return _see_other(signin_url(FILTERS))
    auth.check_rate(request, "rules", limit=RULE_LIMIT[0], window=RULE_LIMIT[1])
    user_rules.delete_rule(site.store, user.id, rule_id)  # another user's rule: nothing happens
    return _see_other(f"{FILTERS}?done=deleted")


# --- onboarding ------------------------------------------------------------------------------


@dataclass
class Seeded:
    found: list[str] = field(default_factory=list)  # paper ids bookmarked
    missing: list[str] = field(default_factory=list)  # arXiv ids or titles not on this site
    not_ids: list[str] = field(default_factory=list)  # pasted tokens that are no arXiv id
    skipped: int = 0  # BibTeX entries that could not be read
    categories: list[str] = field(default_factory=list)


def _offered(site: Site) -> list[dict[str, Any]]:
    found = site.cached(
        "onboarding-categories",
        lambda: categories_with_counts(site.store, primary_only=True)[:CATEGORIES_OFFERED],
        ttl=300.0,
    )
    return [{"category": c, "label": category_label(c), "papers": n} for c, n in found]


def _start_page(
    request: Request,
    site: Site,
    user: User,
    *,
    error: str = "",
    ids: str = "",
    picked: list[str] | None = None,
    status: int = 200,
) -> Response:
    rules = user_rules.get_rules(site.store, user.id)
    context = {
        "offered": _offered(site),
        "picked": set(picked if picked is not None else rules.categories),
        "ids": ids,
        "error": error,
        "max_bytes": MAX_BYTES,
        "collection": SEED_COLLECTION,
    }
    return private_page(request, "onboarding.html", context, status)


@router.get(START)
def start_page(request: Request, site: SiteDep, user: auth.OptionalUser) -> Response:
    if user is None:
        return _see_other(signin_url(START))
    return _start_page(request, site, user)


async def _read_upload(upload: UploadFile | None) -> bytes:
    if upload is None or not upload.filename:
        return b""
    data = await upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise BadRequest(f"the file is over {MAX_BYTES:,} bytes: upload a smaller BibTeX file")
    return data


def seed_profile(
    site: Site, user: User, *, ids_text: str, bibtex: bytes, categories: list[str]
) -> Seeded:
    """Save the picked categories and bookmark the papers named (pasted ids, the file's ids
    and titles); BadRequest when nothing at all was given or found."""
    out = Seeded()
    ids, out.not_ids = parse_pasted_ids(ids_text)
    titles: list[str] = []
    if bibtex:
        parsed = parse_bibtex(decode(bibtex))
        ids += [i for i in parsed.arxiv_ids if i not in ids]
        titles, out.skipped = parsed.titles, parsed.skipped
    out.categories = user_rules.set_categories(site.store, user.id, categories)
    by_id = pks_by_arxiv_id(site.store, ids)
    by_title = pks_by_title(site.store, titles) if titles else {}
    out.missing = [i for i in ids if i not in by_id] + [t for t in titles if t not in by_title]
    pks = [*by_id.values(), *by_title.values()]
    if not pks and not out.categories:
        named = ids or titles or out.not_ids
        raise BadRequest(
            "none of the papers named is on this site: "
            + (", ".join(named[:5]) if named else "pick categories or name a few papers")
        )
    seed_bookmarks(site.store, user.id, pks)
    out.found = [*by_id, *by_title]
    return out


@router.post(START, dependencies=[auth.CSRF])
async def start_post(
    request: Request,
    site: SiteDep,
    user: auth.OptionalUser,
    categories: Annotated[list[str] | None, Form(max_length=80)] = None,
    ids: Annotated[str, Form(max_length=TEXT_CHARS)] = "",
    bibtex: UploadFile | None = None,
) -> Response:
    if user is None:
        return _see_other(signin_url(START))
    auth.check_rate(request, "onboarding", limit=START_LIMIT[0], window=START_LIMIT[1])
    picked = list(categories or [])
    try:
        data = await _read_upload(bibtex)
        seeded = seed_profile(site, user, ids_text=ids, bibtex=data, categories=picked)
    except BadRequest as exc:
        return _start_page(request, site, user, error=str(exc), ids=ids, picked=picked, status=400)
    del seeded  # what was found shows in the list's order and in the "Seed papers" collection
    return _see_other("/?order=foryou")
