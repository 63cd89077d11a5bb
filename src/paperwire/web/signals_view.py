"""External signals on rendered pages: each paper of a page gets `signals` (another site's
upvotes and submitter, e.g. "HF ▲ 64"), from one query for the whole page; shown apart from
our own vote button, never added to it."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from paperwire.store.signals import any_signals, signals_by_id
from paperwire.web.site import Site

PAPER_LISTS = ("papers", "hits", "similar")
CHECK_SECONDS = 60.0  # how long "this site has no external signals" is believed


def annotate_signals(request: Request, page: dict[str, Any]) -> dict[str, Any]:
    return with_signals(request.app.state.site, page)


def with_signals(site: Site, page: dict[str, Any]) -> dict[str, Any]:
    """A copy of the page whose papers carry `signals` (the page itself when none has one)."""
    lists = {k: page[k] for k in PAPER_LISTS if isinstance(page.get(k), list)}
    single = page.get("paper") if isinstance(page.get("paper"), dict) else None
    ids = [p["id"] for items in lists.values() for p in items if isinstance(p, dict) and "id" in p]
    if single is not None and "id" in single:
        ids.append(single["id"])
    if not ids:
        return page
    if not site.cached("any-signals", lambda: any_signals(site.store), ttl=CHECK_SECONDS):
        return page
    found = signals_by_id(site.store, ids)
    if not found:
        return page

    def marked(p: Any) -> Any:
        if isinstance(p, dict) and p.get("id") in found:
            return {**p, "signals": found[p["id"]]}
        return p

    out = dict(page)
    for key, items in lists.items():
        out[key] = [marked(p) for p in items]
    if single is not None:
        out["paper"] = marked(single)
    return out
