"""Hugging Face daily papers (`huggingface.co/api/daily_papers`): a JSON list of one day's picks.

Each item wraps an arXiv paper (`paper.id` is its arXiv id) with HF's posting time; newer API
versions add keys (githubRepo, projectPage, ai_summary, ...) that are ignored unless used here.
Each paper's HF upvote count and submitter are kept as an external signal (store/signals.py),
never as our own votes; a malformed count is dropped, not the paper. One malformed item is
rejected on its own; a body that is not a JSON list fails the whole source.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from paperwire.errors import ConfigError, SourceError
from paperwire.ingest.arxiv_api import fetch_bytes, read_bytes, resume_index
from paperwire.ingest.base import Cursor
from paperwire.ingest.http import PoliteClient
from paperwire.records import (
    Item,
    PaperRecord,
    Rejected,
    finish,
    parse_arxiv_id,
    parse_date,
)

DEFAULT_URL = "https://huggingface.co/api/daily_papers"
SOURCE_NAME = "hf-daily"
LINK_KEYS = ("githubRepo", "projectPage")


class _Malformed(Exception):
    """An item that does not have the shape of a daily-papers entry."""


def _typed(obj: dict[str, Any], key: str, kind: type, where: str) -> Any:
    """obj[key] when it has the expected type; None when absent or null."""
    value = obj.get(key)
    if value is not None and not isinstance(value, kind):
        raise _Malformed(f"{where}{key} is {type(value).__name__}, not {kind.__name__}")
    return value


def _authors(paper: dict[str, Any]) -> list[str]:
    names: list[str] = []
    for i, author in enumerate(_typed(paper, "authors", list, "paper.") or []):
        if not isinstance(author, dict):
            raise _Malformed(f"paper.authors[{i}] is {type(author).__name__}, not an object")
        name = _typed(author, "name", str, f"paper.authors[{i}].")
        if name:
            names.append(name)
    return names


def _links(item: dict[str, Any], paper: dict[str, Any]) -> list[str]:
    links: list[str] = []
    for key in LINK_KEYS:
        # The key moved between API versions: paper-level now, item-level in some answers.
        for holder, where in ((paper, "paper."), (item, "")):
            url = _typed(holder, key, str, where)
            if url and url.strip().startswith(("http://", "https://")) and url not in links:
                links.append(url.strip())
    return links


def _announced(item: dict[str, Any], paper: dict[str, Any], day: date | None) -> date | None:
    if day is not None:
        return day
    posted = _typed(item, "publishedAt", str, "")
    return parse_date(posted or _typed(paper, "submittedOnDailyAt", str, "paper."))


MAX_UPVOTES = 10_000_000  # far above any real count: a larger one is not believed


def _upvotes(paper: dict[str, Any]) -> int | None:
    """HF's upvote count: a malformed one is dropped, not the paper (bool is not a count)."""
    value = paper.get("upvotes")
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_UPVOTES:
        return value
    return None


def _submitter(item: dict[str, Any]) -> str | None:
    """Who posted it to HF daily papers: their full name, else their user name."""
    by = item.get("submittedBy")
    if not isinstance(by, dict):
        return None
    for key in ("fullname", "name"):
        name = by.get(key)
        if isinstance(name, str) and name.strip():
            return " ".join(name.split())[:200]
    return None


def _record(item: Any, day: date | None) -> PaperRecord:
    if isinstance(item, TooDeep):
        raise _Malformed("item is nested too deeply")
    if not isinstance(item, dict):
        raise _Malformed(f"item is {type(item).__name__}, not an object")
    paper = item.get("paper")
    if not isinstance(paper, dict):
        raise _Malformed("no paper object" if paper is None else "paper is not an object")
    raw_id = _typed(paper, "id", str, "paper.")
    parsed = parse_arxiv_id(raw_id)
    if parsed is None:
        raise _Malformed(f"paper.id {raw_id!r} is not an arXiv id")
    title = _typed(paper, "title", str, "paper.") or _typed(item, "title", str, "")
    if not title or not title.strip():
        raise _Malformed("no title")
    return PaperRecord(
        title=title,
        abstract=_typed(paper, "summary", str, "paper.") or "",
        authors=_authors(paper),
        arxiv_id=parsed[0],
        submitted=parse_date(_typed(paper, "publishedAt", str, "paper.")),
        announced=_announced(item, paper, day),
        links=_links(item, paper),
        source=SOURCE_NAME,
        upvotes=_upvotes(paper),
        submitter=_submitter(item),
    )


def _item_id(item: Any) -> str | None:
    paper = item.get("paper") if isinstance(item, dict) else None
    raw = paper.get("id") if isinstance(paper, dict) else None
    return raw if isinstance(raw, str) else None


def parse_hf_item(item: Any, index: int, where: str, day: date | None = None) -> Item:
    """One daily-papers item as a checked record, or Rejected naming its index and id."""
    paper_id = _item_id(item)
    origin = f"{where}[{index}]" + (f" ({paper_id})" if paper_id else "")
    try:
        record = _record(item, day)
    except _Malformed as exc:
        return Rejected(origin, str(exc))
    record.origin = origin
    return finish(record)


def _listing_day(items: list[Any]) -> date | None:
    """The day a list without an explicit date shows: its first well-formed item's day."""
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("publishedAt"), str):
            return parse_date(item["publishedAt"])
    return None


class TooDeep:
    """A list item nested too deeply to decode: rejected alone, the other items still count."""


_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{},]', re.S)


def _split_list(text: str) -> list[str] | None:
    """The raw items of a top-level JSON list, found without recursion; None if not a list."""
    depth, start, parts = 0, 0, []
    for m in _JSON_TOKENS.finditer(text):
        token = m.group()
        if token[0] == '"':
            continue
        if depth == 0 and token != "[":
            return None
        if token in "[{":
            depth += 1
            start = m.end() if depth == 1 else start
        elif token in "]}":
            depth -= 1
            if depth == 0:
                parts.append(text[start : m.start()])
                return [p for p in parts if p.strip()]
        elif depth == 1:
            parts.append(text[start : m.start()])
            start = m.end()
    return None


def _decode_items(data: bytes, where: str) -> list[Any]:
    """Decode item by item: one item nested 100k deep must not lose the day's other papers."""
    parts = _split_list(data.decode("utf-8"))
    if parts is None:
        raise SourceError(f"{where}: not valid JSON (nested too deeply)")
    items: list[Any] = []
    for part in parts:
        try:
            items.append(json.loads(part))
        except RecursionError:
            items.append(TooDeep())
        except json.JSONDecodeError as exc:
            raise SourceError(f"{where}: not valid JSON ({exc})") from exc
    return items


def parse_hf_list(data: bytes, where: str) -> list[Any]:
    """The top-level list of a response, or SourceError naming the URL or file."""
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(f"{where}: not valid JSON ({exc})") from exc
    except RecursionError:
        return _decode_items(data, where)
    if not isinstance(doc, list):
        error = doc.get("error") if isinstance(doc, dict) else None
        detail = f": {error}" if isinstance(error, str) else ""
        raise SourceError(f"{where}: expected a JSON list, got {type(doc).__name__}{detail}")
    return doc


class HfDailyPapers:
    """One day's (or the latest) Hugging Face daily papers, fetched or from a saved file."""

    name = SOURCE_NAME

    def __init__(
        self,
        *,
        base_url: str = DEFAULT_URL,
        day: date | None = None,
        path: Path | None = None,
        client: PoliteClient | None = None,
    ) -> None:
        if path is not None and base_url != DEFAULT_URL:
            raise ConfigError("give either a saved file (path) or a base_url, not both")
        self.base_url = base_url
        self.day = day
        self.path = Path(path) if path is not None else None
        self.client = client
        self._total: int | None = None

    @property
    def where(self) -> str:
        if self.path is not None:
            return str(self.path)
        return f"{self.base_url}?date={self.day.isoformat()}" if self.day else self.base_url

    @property
    def key(self) -> str:
        if self.path is not None:
            return f"{SOURCE_NAME}:file:{self.path}"
        return f"{SOURCE_NAME}:{self.where}"

    @property
    def total(self) -> int | None:
        return self._total

    def _load(self) -> bytes:
        if self.path is not None:
            return read_bytes(self.path)
        params = {"date": self.day.isoformat()} if self.day else None
        return fetch_bytes(self.client, self.base_url, params)

    def items(self, resume: dict[str, Any] | None = None) -> Iterator[tuple[Item, Cursor]]:
        where = self.where
        items = parse_hf_list(self._load(), where)
        self._total = len(items)
        listed = self.day or _listing_day(items)
        after = resume_index(resume, listed)
        state_day = listed.isoformat() if listed else None
        for i, item in enumerate(items):
            if i > after:
                cursor = Cursor({"index": i, "day": state_day}, done=i + 1)
                yield parse_hf_item(item, i, where, self.day), cursor
