"""arXiv's new-submissions feed (`rss.arxiv.org/atom/<cat>` or `/rss/<cat>`): one day's listing.

Both flavours are read, matching elements by local name: the Atom one (`<entry>` with `<summary>`,
`<category term>`) and RSS 2.0 (`<item>` with `<description>`, `<category>` text). Each entry's
summary starts with "arXiv:ID Announce Type: TYPE Abstract:", which is stripped from the abstract;
the announce type (new / cross / replace / replace-cross) is kept in `ArxivFeed.announce_types`
and returned by `parse_feed_entry`, since a PaperRecord has no field for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from paperwire.errors import ConfigError, SourceError
from paperwire.ingest.arxiv_api import fetch_bytes, parse_xml, read_bytes, resume_index
from paperwire.ingest.base import Cursor
from paperwire.ingest.http import PoliteClient
from paperwire.records import (
    Item,
    PaperRecord,
    Rejected,
    Version,
    clean_text,
    finish,
    parse_arxiv_id,
    parse_date,
)

SOURCE_NAME = "arxiv-rss"
# Replacements re-list papers announced on an earlier day: this feed's date is not theirs.
REPLACEMENT_TYPES = frozenset({"replace", "replace-cross"})

_PREFIX = re.compile(
    r"^\s*arXiv:(?P<id>\S+?)\s+Announce\s+Type:\s*(?P<type>[\w\-]+)\s*(?:Abstract:\s*)?",
    re.I,
)
_OAI_PREFIX = re.compile(r"^oai:arXiv\.org:", re.I)
_AUTHOR_SPLIT = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+")


@dataclass(slots=True, frozen=True)
class FeedEntry:
    """One parsed feed entry: the record (or why not) and its announce type."""

    item: Item
    announce_type: str | None


def _local(el: Any) -> str:
    tag = el.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(el: Any, name: str) -> list[Any]:
    return [c for c in el if _local(c) == name]


def _child_text(el: Any, *names: str) -> str:
    """Text of the first child with one of these local names (namespace-agnostic)."""
    for name in names:
        for child in _children(el, name):
            if child.text and child.text.strip():
                return str(child.text)
    return ""


def _entries(root: Any) -> list[Any]:
    if _local(root) == "feed":
        return _children(root, "entry")
    if _local(root) in ("rss", "RDF"):
        channels = _children(root, "channel")
        holders = channels if _local(root) == "rss" else [root]
        return [item for h in holders for item in _children(h, "item")]
    raise SourceError(f"not an Atom or RSS feed (root element {root.tag!r})")


def feed_date(root: Any) -> date | None:
    """The day the feed lists: Atom <updated>, RSS <channel><pubDate> or <lastBuildDate>."""
    if _local(root) == "feed":
        return parse_date(_child_text(root, "updated"))
    for channel in _children(root, "channel"):
        day = parse_date(_child_text(channel, "pubDate", "lastBuildDate", "date"))
        if day:
            return day
    return None


def _id_and_version(entry: Any, prefix_id: str | None) -> tuple[str, int | None] | None:
    raw = _OAI_PREFIX.sub("", clean_text(_child_text(entry, "id", "guid")))
    for candidate in (raw, prefix_id, _link(entry)):
        parsed = parse_arxiv_id(candidate)
        if parsed:
            return parsed
    return None


def _link(entry: Any) -> str | None:
    for link in _children(entry, "link"):
        href = link.get("href") or link.text or ""
        if href.strip() and link.get("rel") in (None, "alternate"):
            return href.strip()
    return None


def _categories(entry: Any) -> list[str]:
    return [c.get("term") or c.text or "" for c in _children(entry, "category")]


def _authors(entry: Any) -> list[str]:
    creators = [c.text or "" for c in _children(entry, "creator")]
    if len(creators) == 1:
        # arXiv puts the whole author list into one dc:creator, comma-separated.
        return [a for a in _AUTHOR_SPLIT.split(creators[0]) if a.strip()]
    return creators or [_child_text(a, "name") for a in _children(entry, "author")]


def parse_feed_entry(entry: Any, announced: date | None, origin: str) -> FeedEntry:
    """One <entry>/<item> as a checked record, with its announce type."""
    summary = _child_text(entry, "summary", "description")
    m = _PREFIX.match(summary)
    kind = _child_text(entry, "announce_type").strip().lower() or (
        m.group("type").lower() if m else None
    )
    ids = _id_and_version(entry, m.group("id") if m else None)
    if ids is None:
        return FeedEntry(Rejected(origin, "entry has no arXiv id"), kind)
    arxiv_id, number = ids
    record = PaperRecord(
        title=_child_text(entry, "title"),
        abstract=summary[m.end() :] if m else summary,
        authors=_authors(entry),
        categories=_categories(entry),
        arxiv_id=arxiv_id,
        # The feed names the listed version but not the day it was submitted.
        versions=[Version(number)] if number else [],
        announced=None if kind in REPLACEMENT_TYPES else announced,
        abs_url=_link(entry),
        source=SOURCE_NAME,
        origin=f"{origin} ({arxiv_id})",
    )
    return FeedEntry(finish(record), kind)


class ArxivFeed:
    """One arXiv RSS/Atom listing, fetched from `url` or read from a saved `path`."""

    name = SOURCE_NAME

    def __init__(
        self,
        *,
        url: str | None = None,
        path: Path | None = None,
        client: PoliteClient | None = None,
    ) -> None:
        if (url is None) == (path is None):
            raise ConfigError("an arXiv feed needs exactly one of url or path")
        self.url = url
        self.path = Path(path) if path is not None else None
        self.client = client
        self.announce_types: dict[str, str] = {}  # arxiv_id -> new / cross / replace / ...
        self._total: int | None = None

    @property
    def where(self) -> str:
        return self.url or str(self.path)

    @property
    def key(self) -> str:
        return f"{SOURCE_NAME}:{self.url}" if self.url else f"{SOURCE_NAME}:file:{self.path}"

    @property
    def total(self) -> int | None:
        return self._total

    def _load(self) -> bytes:
        if self.path is not None:
            return read_bytes(self.path)
        assert self.url is not None  # guaranteed by __init__
        return fetch_bytes(self.client, self.url)

    def items(self, resume: dict[str, Any] | None = None) -> Iterator[tuple[Item, Cursor]]:
        root = parse_xml(self._load(), self.where)
        try:
            entries = _entries(root)
        except SourceError as exc:
            raise SourceError(f"{self.where}: {exc}") from exc
        self._total = len(entries)
        announced = feed_date(root)
        after = resume_index(resume, announced)
        day = announced.isoformat() if announced else None
        for i, entry in enumerate(entries):
            if i <= after:
                continue
            parsed = parse_feed_entry(entry, announced, f"{self.where}#{i}")
            record = parsed.item
            if isinstance(record, PaperRecord) and record.arxiv_id and parsed.announce_type:
                self.announce_types[record.arxiv_id] = parsed.announce_type
            yield record, Cursor({"index": i, "day": day}, done=i + 1)
