"""Atom and RSS feeds of any list of papers (built with feedgen from a page's data)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time
from typing import Any, Literal

from feedgen.feed import FeedGenerator

from paperwire.days import EPOCH_UTC

FeedFormat = Literal["atom", "rss"]
MEDIA_TYPES = {"atom": "application/atom+xml", "rss": "application/rss+xml"}

# Characters XML 1.0 cannot carry at all (lxml refuses them): a stored abstract may have any.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: str | None) -> str:
    return _NOT_XML.sub("", value or "")


def _when(paper: dict[str, Any]) -> datetime:
    """When the paper was listed (midnight UTC of its listing day), else last changed."""
    day = paper.get("day")
    if isinstance(day, date):
        return datetime.combine(day, time(), tzinfo=UTC)
    modified = paper.get("modified")
    if isinstance(modified, datetime):
        return modified if modified.tzinfo else modified.replace(tzinfo=UTC)
    return EPOCH_UTC


def build_feed(
    *,
    fmt: FeedFormat,
    title: str,
    page_url: str,
    self_url: str,
    papers: Sequence[dict[str, Any]],
    paper_url: Callable[[str], str],
    subtitle: str = "",
) -> bytes:
    """The feed document: one entry per paper, in the order given."""
    feed = FeedGenerator()
    feed.id(page_url)
    feed.title(_text(title))
    feed.link(href=self_url, rel="self")
    feed.link(href=page_url, rel="alternate")  # last: RSS's channel <link> is the last one
    feed.description(_text(subtitle) or _text(title))  # RSS needs one; Atom's subtitle
    feed.language("en")
    feed.generator("paperwire")
    newest = EPOCH_UTC
    for paper in papers:
        url = paper_url(paper["id"])
        when = _when(paper)
        newest = max(newest, when)
        entry = feed.add_entry(order="append")
        entry.id(url)
        entry.guid(url, permalink=True)
        entry.title(_text(paper["title"]))
        # Atom and RSS both link an entry to its page here, and only there: that page has the
        # abstract, votes, similar papers and the arXiv/PDF links (a second Atom link lost its
        # rel in feedgen's output, so readers opened arXiv from Atom and this site from RSS).
        entry.link(href=url, rel="alternate")
        summary = _text(paper.get("abstract")) or _text(paper["title"])
        if fmt == "rss":
            # RSS readers render <description> as HTML: escaped for HTML, then again for XML,
            # a stored "<img onerror=...>" shows as text. (Atom says type="text" instead.)
            entry.description(html.escape(summary, quote=False))
        else:
            entry.summary(summary)
        for name in paper.get("authors") or []:
            if _text(name).strip():
                entry.author({"name": _text(name)})
        for category in paper.get("categories") or []:
            entry.category(term=_text(category))
        entry.published(when)
        entry.updated(when)
    feed.updated(newest)
    document: bytes = feed.atom_str(pretty=False) if fmt == "atom" else feed.rss_str(pretty=False)
    return document
