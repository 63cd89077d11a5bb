"""The arXiv query API (`export.arxiv.org/api/query`): Atom feeds of search or id_list results.

Both layouts are read: today's (2026: unprefixed `opensearch:*` declared on `<feed>`) and the
2016 one (each `opensearch:*` element declaring its namespace, hard-wrapped text). The helpers
for fetching and reading XML here are shared with the RSS and Hugging Face sources.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from lxml import etree

from paperwire.errors import ConfigError, SourceError
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

DEFAULT_URL = "https://export.arxiv.org/api/query"
ATOM = "http://www.w3.org/2005/Atom"
ARXIV = "http://arxiv.org/schemas/atom"
OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/"
NS = {"a": ATOM, "arxiv": ARXIV, "os": OPENSEARCH}
MAX_PAGE_SIZE = 2_000  # arXiv refuses larger slices in one call
SOURCE_NAME = "arxiv-api"


# --- helpers shared by the feed sources ------------------------------------------------------


def parse_xml(data: bytes, where: str) -> Any:
    """The root element of an XML document, or SourceError naming where it came from."""
    # No entity expansion and no network: feeds are untrusted input.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise SourceError(f"{where}: not well-formed XML ({exc})") from exc
    if root is None:
        raise SourceError(f"{where}: empty XML document")
    return root


def read_bytes(path: Path) -> bytes:
    """A saved response's bytes, or SourceError naming the file."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror or exc})") from exc


def fetch_bytes(
    client: PoliteClient | None, url: str, params: Mapping[str, str] | None = None
) -> bytes:
    """The body of a successful GET; SourceError naming the URL on an HTTP error status."""
    if client is None:
        with PoliteClient() as own:
            return fetch_bytes(own, url, params)
    resp = client.get(url, params=params)
    if resp.status_code >= 400:
        snippet = clean_text(resp.text[:200]) or "no message"
        raise SourceError(f"{resp.url}: HTTP {resp.status_code}: {snippet}")
    return resp.content


def resume_index(resume: Mapping[str, Any] | None, day: date | None = None) -> int:
    """The index stored by a cursor {"index": i, "day": ...}; -1 (start over) without one.

    A feed URL lists a different day tomorrow: an index saved for another day would skip
    entries of this one, so it is ignored.
    """
    if not resume or "index" not in resume:
        return -1
    saved_day = resume.get("day")
    if saved_day is not None and saved_day != (day.isoformat() if day else None):
        return -1
    try:
        return int(resume["index"])
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"cannot resume from {dict(resume)!r}: index is not a number") from exc


# --- one Atom entry --------------------------------------------------------------------------


def _text(el: Any, path: str) -> str:
    return str(el.findtext(path, default="", namespaces=NS) or "")


def _https_unversioned(href: str) -> str:
    """arXiv links without the version (the record lists versions) and over https."""
    href = re.sub(r"^http://(?:export\.)?arxiv\.org/", "https://arxiv.org/", href.strip())
    return re.sub(r"v\d+$", "", href)


def _links(entry: Any) -> tuple[str | None, str | None]:
    abs_url = pdf_url = None
    for link in entry.findall("a:link", NS):
        href = link.get("href") or ""
        if link.get("rel") == "alternate" and href:
            abs_url = _https_unversioned(href)
        elif link.get("title") == "pdf" and href:
            pdf_url = _https_unversioned(href)
    return abs_url, pdf_url


def _categories(entry: Any) -> list[str]:
    primary = [el.get("term") or "" for el in entry.findall("arxiv:primary_category", NS)]
    others = [el.get("term") or "" for el in entry.findall("a:category", NS)]
    return [*primary, *others]  # finish() drops the primary's repetition


def _versions(number: int | None, published: date | None, updated: date | None) -> list[Version]:
    # The API names version 1's date (published) and the returned version's date (updated);
    # versions in between are not in the feed.
    if number is None:
        return []
    if number == 1:
        return [Version(1, published)]
    return [Version(1, published), Version(number, updated)]


def is_error_entry(entry: Any) -> bool:
    return "/api/errors" in _text(entry, "a:id")


def entry_arxiv_id(entry: Any) -> str | None:
    """The unversioned arXiv id an entry is about, when its <id> is an arXiv URL."""
    parsed = parse_arxiv_id(_text(entry, "a:id"))
    return parsed[0] if parsed else None


def parse_entry(entry: Any, where: str = "") -> Item:
    """One Atom <entry> as a checked record; SourceError for arXiv's error entries."""
    raw_id = clean_text(_text(entry, "a:id"))
    if is_error_entry(entry):
        message = clean_text(_text(entry, "a:summary")) or raw_id
        raise SourceError(f"{where + ': ' if where else ''}arXiv API error: {message}")
    parsed = parse_arxiv_id(raw_id)
    if parsed is None:
        return Rejected(where or raw_id or "?", f"entry id {raw_id!r} is not an arXiv id")
    arxiv_id, number = parsed
    origin = f"{where}:{raw_id.rsplit('/abs/', 1)[-1]}" if where else arxiv_id
    title = _text(entry, "a:title")
    if not clean_text(title):
        # The API answers an id_list id it does not know with an entry that has no title.
        return Rejected(origin, f"arXiv has no paper {arxiv_id} (entry without a title)")
    published = parse_date(_text(entry, "a:published"))
    updated = parse_date(_text(entry, "a:updated"))
    abs_url, pdf_url = _links(entry)
    record = PaperRecord(
        title=title,
        abstract=_text(entry, "a:summary"),
        authors=[_text(a, "a:name") for a in entry.findall("a:author", NS)],
        categories=_categories(entry),
        arxiv_id=arxiv_id,
        versions=_versions(number, published, updated),
        doi=_text(entry, "arxiv:doi") or None,
        journal_ref=_text(entry, "arxiv:journal_ref") or None,
        comments=_text(entry, "arxiv:comment") or None,
        submitted=published,
        updated=updated,
        abs_url=abs_url,
        pdf_url=pdf_url,
        source=SOURCE_NAME,
        origin=origin,
    )
    return finish(record)


# --- one response ----------------------------------------------------------------------------


@dataclass(slots=True)
class AtomPage:
    """One API response: its entries (unparsed) and what the feed says about the result set."""

    entries: list[Any]
    total_results: int | None
    start_index: int | None


def _int(text: str) -> int | None:
    try:
        return int(text.strip())
    except ValueError:
        return None


def read_page(data: bytes, where: str) -> AtomPage:
    """Split an Atom response into entries and its opensearch counts."""
    root = parse_xml(data, where)
    if root.tag != f"{{{ATOM}}}feed":
        raise SourceError(f"{where}: not an Atom feed (root element {root.tag!r})")
    return AtomPage(
        entries=list(root.findall("a:entry", NS)),
        total_results=_int(_text(root, "os:totalResults")),
        start_index=_int(_text(root, "os:startIndex")),
    )


def api_error_message(data: bytes) -> str | None:
    """arXiv's own words from an error feed (sent with HTTP 400), if the body is one."""
    try:
        page = read_page(data, "")
    except SourceError:
        return None
    for entry in page.entries:
        if is_error_entry(entry):
            return clean_text(_text(entry, "a:summary")) or clean_text(_text(entry, "a:id"))
    return None


def parse_atom(data: bytes, where: str = "") -> list[Item]:
    """Every entry of a saved API response, in order (SourceError for an error feed)."""
    return [parse_entry(e, where) for e in read_page(data, where).entries]


# --- sources ---------------------------------------------------------------------------------


class ArxivApiQuery:
    """A search or id_list query, paged with start/max_results until the result set ends."""

    name = SOURCE_NAME

    def __init__(
        self,
        *,
        base_url: str = DEFAULT_URL,
        search_query: str | None = None,
        id_list: list[str] | None = None,
        page_size: int = 100,
        max_results: int | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
        client: PoliteClient,
    ) -> None:
        if not search_query and not id_list:
            raise ConfigError("an arXiv API query needs search_query or id_list")
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ConfigError(f"page_size must be 1..{MAX_PAGE_SIZE}, not {page_size}")
        if max_results is not None and max_results < 0:
            raise ConfigError(f"max_results must be >= 0, not {max_results}")
        self.base_url = base_url
        self.search_query = search_query
        self.id_list = [i.strip() for i in id_list or [] if i.strip()]
        self.page_size = page_size
        self.max_results = max_results
        self.sort_by = sort_by
        self.sort_order = sort_order
        self.client = client
        self.total_results: int | None = None  # opensearch:totalResults, once a page is read

    def _query(self) -> dict[str, str]:
        params = {"search_query": self.search_query or "", "id_list": ",".join(self.id_list)}
        if self.sort_by:
            params["sortBy"] = self.sort_by
        if self.sort_order:
            params["sortOrder"] = self.sort_order
        return params

    @property
    def key(self) -> str:
        parts = "&".join(f"{k}={v}" for k, v in sorted(self._query().items()))
        return f"{SOURCE_NAME}:{self.base_url}?{parts}&max_results={self.max_results}"

    @property
    def total(self) -> int | None:
        if self.total_results is None:
            return None
        if self.max_results is None:
            return self.total_results
        return min(self.total_results, self.max_results)

    def _fetch(self, start: int, size: int) -> AtomPage:
        params = {**self._query(), "start": str(start), "max_results": str(size)}
        resp = self.client.get(self.base_url, params=params)
        where = str(resp.url)
        if resp.status_code != 200:
            message = api_error_message(resp.content) or clean_text(resp.text[:200])
            raise SourceError(f"{where}: HTTP {resp.status_code}: {message or 'no message'}")
        return read_page(resp.content, where)

    def _size_at(self, start: int) -> int:
        if self.max_results is None:
            return self.page_size
        return min(self.page_size, self.max_results - start)

    def items(self, resume: dict[str, Any] | None = None) -> Iterator[tuple[Item, Cursor]]:
        first = _resume_start(resume)
        start, seen, complete = first, set[str](), False
        while (size := self._size_at(start)) > 0:
            page = self._fetch(start, size)
            self.total_results = page.total_results
            for i, entry in enumerate(page.entries):
                seen.add(entry_arxiv_id(entry) or "")
                yield parse_entry(entry), Cursor({"start": start}, done=start + i + 1)
            start += len(page.entries)
            ended = self.total_results is not None and start >= self.total_results
            if not page.entries or ended:
                complete = True
                break
        # Ids on pages before a resume point were not seen in this run: no verdict on them.
        if self.id_list and complete and first == 0:
            cursor = Cursor({"start": start}, done=start)
            for missing in self._missing(seen):
                yield missing, cursor

    def _missing(self, seen: set[str]) -> Iterator[Rejected]:
        # Today's API silently leaves unknown ids out of an id_list answer.
        for wanted in self.id_list:
            parsed = parse_arxiv_id(wanted)
            if (parsed[0] if parsed else wanted) not in seen:
                yield Rejected(wanted, "not returned by the arXiv API (no such paper?)")


def _resume_start(resume: Mapping[str, Any] | None) -> int:
    if not resume or "start" not in resume:
        return 0
    try:
        start = int(resume["start"])
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"cannot resume from {dict(resume)!r}: start is not a number") from exc
    if start < 0:
        raise ConfigError(f"cannot resume from {dict(resume)!r}: start is negative")
    return start


class ArxivApiFile:
    """A saved API response (`paperwire ingest arxiv-api --file F`)."""

    name = SOURCE_NAME

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._total: int | None = None

    @property
    def key(self) -> str:
        return f"{SOURCE_NAME}:file:{self.path.resolve()}"

    @property
    def total(self) -> int | None:
        return self._total

    def items(self, resume: dict[str, Any] | None = None) -> Iterator[tuple[Item, Cursor]]:
        page = read_page(read_bytes(self.path), str(self.path))
        self._total = len(page.entries)
        after = resume_index(resume)
        for i, entry in enumerate(page.entries):
            if i > after:
                yield parse_entry(entry, self.path.name), Cursor({"index": i}, done=i + 1)
