"""Bulk files: per-day arXiv JSONL, the Kaggle arXiv snapshot, and plain JSONL/CSV.

Plain JSONL/CSV schema (one paper per line/row; only `title` is required):

| field | meaning |
| --- | --- |
| title | the title |
| abstract | the abstract |
| authors | JSON list, or one string with names separated by `;` |
| categories | JSON list, or one string separated by spaces or `;` (primary first) |
| arxiv_id | arXiv id, with or without version (`2503.11731v2`) or as an abs URL |
| doi | DOI, bare or as a doi.org URL |
| announced | the day it was announced or listed (YYYY-MM-DD) |
| submitted, updated | dates (YYYY-MM-DD) |
| journal_ref, comments, abs_url, pdf_url | text |
| links | JSON list or `;`-separated code links |
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from paperwire.errors import SourceError
from paperwire.ingest.base import Cursor
from paperwire.ingest.lines import Line, expand_paths, files_key, open_maybe_gzip, read_lines
from paperwire.records import (
    MAX_RECORD_BYTES,
    Item,
    PaperRecord,
    Rejected,
    Version,
    as_str_list,
    decode_utf8,
    finish,
    parse_arxiv_id,
    parse_date,
)

_DAY_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")
Parser = Callable[[dict[str, Any], str, Path], PaperRecord | Rejected]


def _json_lines(
    files: list[Path], resume: dict[str, Any] | None, parse: Parser
) -> Iterator[tuple[Item, Cursor]]:
    for line in read_lines(files, resume):
        yield _json_item(line, parse), line.cursor


def _json_item(line: Line, parse: Parser) -> Item:
    if line.raw is None:
        return Rejected(line.origin, line.problem)
    text = decode_utf8(line.raw, line.origin)
    if isinstance(text, Rejected):
        return text
    if not text.strip():  # whitespace read_lines does not skip (a form feed, ...)
        return Rejected(line.origin, "empty line")
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        return Rejected(line.origin, f"broken JSON: {exc.msg} at column {exc.colno}")
    except RecursionError:  # 100k "[" in a row: the decoder gives up, the line is rejected
        return Rejected(line.origin, "broken JSON: nested too deeply")
    if not isinstance(obj, dict):
        return Rejected(line.origin, f"expected a JSON object, got {type(obj).__name__}")
    try:
        result = parse(obj, line.origin, line.path)
    except (TypeError, ValueError, AttributeError) as exc:
        return Rejected(line.origin, f"unexpected field value: {exc}")
    except RecursionError:  # a field nested deeply enough that str() of it recurses too far
        return Rejected(line.origin, "unexpected field value: nested too deeply")
    return finish(result) if isinstance(result, PaperRecord) else result


def _text(obj: dict[str, Any], name: str) -> str | None:
    value = obj.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise TypeError(f"{name} should be a string, not {type(value).__name__}")
    return value


class _FileSource:
    """Shared plumbing of the line-based file sources."""

    name = "files"
    patterns: tuple[str, ...] = ("*.jsonl", "*.jsonl.gz", "*.json", "*.json.gz")

    def __init__(self, paths: list[Path]) -> None:
        self.files = expand_paths([Path(p) for p in paths], self.patterns)
        self._total: int | None = None

    @property
    def key(self) -> str:
        return files_key(self.name, self.files)

    @property
    def total(self) -> int:
        if self._total is None:  # asked after every record by a progress bar: stat once
            self._total = sum(f.stat().st_size for f in self.files)
        return self._total

    def parse(self, obj: dict[str, Any], origin: str, path: Path) -> PaperRecord | Rejected:
        raise NotImplementedError

    def items(self, resume: dict[str, Any] | None = None) -> Iterator[tuple[Item, Cursor]]:
        return _json_lines(self.files, resume, self.parse)


class DailyJsonl(_FileSource):
    """Per-day listing files (`YYYY-MM-DD.jsonl[.gz]`): the file name is the listing day."""

    name = "daily-jsonl"

    def __init__(self, paths: list[Path]) -> None:
        super().__init__(paths)
        undated = [f.name for f in self.files if not _DAY_IN_NAME.search(f.name)]
        if undated:
            raise SourceError(f"daily files need a YYYY-MM-DD day in their name: {undated[:3]}")
        self._days: dict[Path, date] = {}

    def parse(self, obj: dict[str, Any], origin: str, path: Path) -> PaperRecord | Rejected:
        parsed = parse_arxiv_id(_text(obj, "id"))
        if parsed is None:
            return Rejected(origin, f"no arXiv id (id={obj.get('id')!r})")
        day = self._days.get(path)
        if day is None:  # checked in __init__: every file name has a day
            named = _DAY_IN_NAME.search(path.name)
            day = self._days[path] = date.fromisoformat(named.group(1))  # type: ignore[union-attr]
        arxiv_id, version = parsed
        return PaperRecord(
            title=_text(obj, "title") or "",
            abstract=_text(obj, "summary") or "",
            authors=as_str_list(obj.get("authors")),
            categories=as_str_list(obj.get("categories")),
            arxiv_id=arxiv_id,
            versions=[Version(version)] if version else [],
            comments=_text(obj, "comment"),
            announced=day,
            abs_url=_text(obj, "abs"),
            pdf_url=_text(obj, "pdf"),
            source=self.name,
            origin=f"{origin} ({arxiv_id})",
        )


class KaggleSnapshot(_FileSource):
    """The Kaggle `arxiv-metadata-oai-snapshot.json` (JSON lines, arXiv's own metadata)."""

    name = "kaggle"

    def parse(self, obj: dict[str, Any], origin: str, path: Path) -> PaperRecord | Rejected:
        parsed = parse_arxiv_id(_text(obj, "id"))
        if parsed is None:
            return Rejected(origin, f"no arXiv id (id={obj.get('id')!r})")
        versions = [
            Version(int(str(v.get("version", "v0")).lstrip("v") or 0), parse_date(v.get("created")))
            for v in obj.get("versions") or []
            if isinstance(v, dict)
        ]
        return PaperRecord(
            title=_text(obj, "title") or "",
            abstract=_text(obj, "abstract") or "",
            authors=_kaggle_authors(obj),
            categories=(_text(obj, "categories") or "").split(),
            arxiv_id=parsed[0],
            versions=[v for v in versions if v.number > 0],
            doi=_text(obj, "doi"),
            journal_ref=_text(obj, "journal-ref"),
            comments=_text(obj, "comments"),
            updated=parse_date(_text(obj, "update_date")),
            source=self.name,
            origin=f"{origin} ({parsed[0]})",
        )


def _kaggle_authors(obj: dict[str, Any]) -> list[str]:
    """`authors_parsed` ([last, first, suffix]) is clean; the `authors` string has LaTeX accents."""
    parsed = obj.get("authors_parsed")
    if isinstance(parsed, list) and parsed:
        names = []
        for parts in parsed:
            if isinstance(parts, list) and parts:
                last, first = str(parts[0]), str(parts[1]) if len(parts) > 1 else ""
                suffix = str(parts[2]) if len(parts) > 2 else ""
                names.append(" ".join(p for p in (first, last, suffix) if p))
        return names
    return split_authors(_text(obj, "authors") or "")


def split_authors(text: str) -> list[str]:
    """ "A, B and C" -> ["A", "B", "C"] (arXiv's author string)."""
    text = re.sub(r"\s*\([^)]*\)", "", text)  # affiliations in parentheses
    parts = re.split(r",\s*|\s+and\s+", text)
    return [p.strip() for p in parts if p.strip()]


# --- plain JSONL / CSV ------------------------------------------------------------------------


def _list_field(value: Any, seps: str) -> list[str]:
    if isinstance(value, str):
        return [p.strip() for p in re.split(f"[{seps}]", value) if p.strip()]
    return as_str_list(value)


def plain_record(obj: dict[str, Any], origin: str, source: str) -> PaperRecord | Rejected:
    """A record in the documented plain schema (see the module docstring)."""
    parsed = parse_arxiv_id(obj.get("arxiv_id")) if obj.get("arxiv_id") else None
    if obj.get("arxiv_id") and parsed is None:
        return Rejected(origin, f"arxiv_id {obj['arxiv_id']!r} is not an arXiv identifier")
    dates: dict[str, Any] = {}  # submitted, updated, announced
    for name in ("announced", "submitted", "updated"):
        raw = obj.get(name)
        dates[name] = parse_date(str(raw)) if raw else None
        if raw and dates[name] is None:
            return Rejected(origin, f"{name} {raw!r} is not a date (use YYYY-MM-DD)")
    return PaperRecord(
        title=_text(obj, "title") or "",
        abstract=_text(obj, "abstract") or "",
        authors=_list_field(obj.get("authors"), ";"),
        categories=_list_field(obj.get("categories"), "; "),
        arxiv_id=parsed[0] if parsed else None,
        versions=[Version(parsed[1])] if parsed and parsed[1] else [],
        doi=_text(obj, "doi"),
        journal_ref=_text(obj, "journal_ref"),
        comments=_text(obj, "comments"),
        abs_url=_text(obj, "abs_url"),
        pdf_url=_text(obj, "pdf_url"),
        links=_list_field(obj.get("links"), "; "),
        source=source,
        origin=origin,
        **dates,
    )


class PlainJsonl(_FileSource):
    """JSON lines in the documented plain schema."""

    name = "jsonl"

    def parse(self, obj: dict[str, Any], origin: str, path: Path) -> PaperRecord | Rejected:
        return plain_record(obj, origin, self.name)


class PlainCsv(_FileSource):
    """CSV with a header row naming fields of the documented plain schema (quoted fields may
    span lines)."""

    name = "csv"
    patterns = ("*.csv", "*.csv.gz")

    def items(self, resume: dict[str, Any] | None = None) -> Iterator[tuple[Item, Cursor]]:
        names = [str(f) for f in self.files]
        start = names.index(resume["file"]) if resume and resume.get("file") in names else 0
        skip = int(resume.get("line", 0)) if resume and resume.get("file") in names else 0
        offset = sum(f.stat().st_size for f in self.files[:start])
        for index in range(start, len(self.files)):
            path = self.files[index]
            yield from self._file(path, offset, skip if index == start else 0)
            offset += path.stat().st_size

    def _file(self, path: Path, offset: int, skip: int) -> Iterator[tuple[Item, Cursor]]:
        reader, raw = open_maybe_gzip(path)
        # surrogateescape keeps bad bytes visible so that only their row is rejected; utf-8-sig
        # drops the byte order mark Excel's "CSV UTF-8" starts with.
        text = io.TextIOWrapper(reader, encoding="utf-8-sig", errors="surrogateescape", newline="")
        with raw, text:
            rows = csv.reader(text)
            try:
                header = [c.strip().lower() for c in next(rows, [])]
            except csv.Error as exc:
                raise SourceError(f"{path}: broken CSV header: {exc}") from exc
            if "title" not in header:
                raise SourceError(f"{path}: the header row has no 'title' column")
            number = 0
            while True:
                origin = f"{path.name}:{rows.line_num + 1}"
                item: Item | None
                try:
                    cells = next(rows)
                    blank = not any(c.strip() for c in cells)
                    item = None if blank else self._row(header, cells, origin)
                except StopIteration:
                    return
                except csv.Error as exc:
                    item = Rejected(origin, f"broken CSV: {exc}")
                number += 1
                if number > skip and item is not None:
                    yield item, Cursor({"file": str(path), "line": number}, offset + raw.tell())

    def _row(self, header: list[str], cells: list[str], origin: str) -> Item:
        if any("\udc80" <= ch <= "\udcff" for cell in cells for ch in cell):
            return Rejected(origin, "invalid UTF-8")
        if sum(len(c) for c in cells) > MAX_RECORD_BYTES:
            return Rejected(origin, f"row longer than {MAX_RECORD_BYTES:,} characters")
        obj = dict(zip(header, cells, strict=False))
        result = plain_record(obj, origin, self.name)
        return finish(result) if isinstance(result, PaperRecord) else result
