"""How the site's URLs are spelled (the templates' and the feeds' helpers), and which texts
of a page may hold formulas (see paperwire.web.tex)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from paperwire.text import teaser

MAX_NEXT = 2000  # characters of a "come back here" path
LIST_PATHS = {"day": "/day/", "week": "/week/", "month": "/month/", "category": "/category/"}


def paper_url(paper_id: str) -> str:
    """/paper/<id>; old arXiv ids (hep-th/9901001) and doi: ids keep their slashes."""
    return "/paper/" + quote(paper_id, safe="/:@")


def list_url(kind: str, key: str | None, page: int = 1) -> str:
    """The HTML page of a list (see data.Listing `kind` and `key`), at a page."""
    if kind == "trending":
        params: dict[str, Any] = {"period": key or "week"}
        if page > 1:
            params["page"] = page
        return "/trending?" + urlencode(params)
    base = "/" if key is None else LIST_PATHS[kind] + quote(key, safe="")
    return base + (f"?page={page}" if page > 1 else "")


def list_page_url(page: dict[str, Any], number: int) -> str:
    """A list's page `number`, keeping the list's order and filters (`query`, when the page
    has them: see paperwire.web.list_order)."""
    url = list_url(page["kind"], page["key"], number)
    query = page.get("query")
    if not query:
        return url
    return url + ("&" if "?" in url else "?") + query


def list_query_url(page: dict[str, Any], query: str) -> str:
    """The list's first page with this query (its order and filters changed)."""
    url = list_url(page["kind"], page["key"])
    if not query:
        return url
    return url + ("&" if "?" in url else "?") + query


def feed_url(kind: str, key: str | None, fmt: str = "atom") -> str:
    if kind == "trending":
        return f"/trending/feed.{fmt}?" + urlencode({"period": key or "week"})
    if key is None:
        return f"/feed.{fmt}"
    return LIST_PATHS[kind] + quote(key, safe="") + f"/feed.{fmt}"


def search_url(q: str, page: int = 1, mode: str | None = None) -> str:
    params: dict[str, Any] = {"q": q}
    if page > 1:
        params["page"] = page
    if mode:
        params["mode"] = mode
    return "/search?" + urlencode(params)


def page_texts(page: dict[str, Any]) -> Iterable[str | None]:
    """The titles and abstracts a page shows (where formulas may need KaTeX): a
    paper page's whole abstract, a list's teasers, search results' snippets."""
    paper = page.get("paper")
    if isinstance(paper, dict):
        yield paper.get("title")
        yield paper.get("abstract")
    for key in ("papers", "similar", "hits"):
        items = page.get(key)
        for item in items if isinstance(items, list) else []:
            yield item.get("title")
            yield item.get("snippet_html") if key == "hits" else teaser(item.get("abstract"))


# --- where to go back to after signing in or posting a form ----------------------------------


def safe_next(path: str | None, default: str = "/") -> str:
    """`path` when it is a path on this site ("/..." but not "//host" or "/\\host", no
    backslash or control characters, no scheme or host), else `default`: no sign-in link or
    form can send anyone elsewhere."""
    if (
        not path
        or len(path) > MAX_NEXT
        or not path.startswith("/")
        or path.startswith("//")
        or "\\" in path
        or any(ord(c) < 32 or ord(c) == 127 for c in path)
    ):
        return default
    parts = urlsplit(path)
    if parts.scheme or parts.netloc:
        return default
    return path


def signin_url(next_path: str | None = None) -> str:
    """/signin, coming back to `next_path` afterwards."""
    target = safe_next(next_path)
    return "/signin" if target == "/" else f"/signin?next={quote(target, safe='/')}"


def here(request: Any) -> str:
    """This request's path and query (a Starlette request): the page to come back to."""
    query = request.url.query
    return str(request.url.path) + (f"?{query}" if query else "")
