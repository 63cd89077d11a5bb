"""Listing pages: a date banner, then title and abstract lines (the `seed-pages` format).

Each page starts with a few fixed header lines ("new", "Get trending papers in your email
inbox!", "Subscribe", "byAK and the research community"), then an optional banner such as
`Mar 14`, then a title line and an abstract line per paper, usually separated by blank lines.
The year is not on the page: it is given, or taken as the latest year that puts the day in the past.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from paperwire.ingest.base import Cursor
from paperwire.ingest.lines import expand_paths, files_key
from paperwire.records import (
    MAX_RECORD_BYTES,
    MAX_TITLE_CHARS,
    Item,
    PaperRecord,
    Rejected,
    decode_utf8,
    finish,
)

HEADER_LINES = {
    "new",
    "subscribe",
    "get trending papers in your email inbox!",
    "get trending papers in your email inbox once a day!",
    "byak and the research community",
}
_BANNER = re.compile(
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* (\d{1,2})(?:, (\d{4}))?"
)
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
# Titles are short, abstracts long: the longest real title seen is ~250 characters.
TITLE_MAX = 300


def banner_day(text: str, *, year: int | None, today: date) -> date | None:
    m = _BANNER.fullmatch(text.strip())
    if not m:
        return None
    month, day = _MONTHS.index(m.group(1).lower()) + 1, int(m.group(2))
    try:
        if m.group(3):
            return date(int(m.group(3)), month, day)
        if year is not None:
            return date(year, month, day)
    except ValueError:
        return None  # "Feb 30", or Feb 29 of a common year
    for y in range(today.year, today.year - 8, -1):  # Feb 29 is only in leap years
        try:
            guess = date(y, month, day)
        except ValueError:
            continue
        if guess <= today:
            return guess
    return None


class ListingPages:
    """Listing pages as text files (one page per file)."""

    name = "listing-page"

    def __init__(
        self,
        paths: list[Path],
        *,
        year: int | None = None,
        day: date | None = None,
        today: date | None = None,
    ) -> None:
        self.files = expand_paths([Path(p) for p in paths], ("*.txt",))
        self.year, self.day, self.today = year, day, today or date.today()

    @property
    def key(self) -> str:
        return files_key(self.name, self.files, year=self.year, day=str(self.day))

    @property
    def total(self) -> int:
        return len(self.files)

    def items(self, resume: dict[str, Any] | None = None) -> Iterator[tuple[Item, Cursor]]:
        done = int((resume or {}).get("pages", 0))
        for index, path in enumerate(self.files[done:], start=done):
            cursor = Cursor({"pages": index + 1}, index + 1)
            for item in self.parse_page(path):
                yield item, cursor

    def parse_page(self, path: Path) -> Iterator[Item]:
        raw = path.read_bytes()
        text = decode_utf8(raw, path.name) if len(raw) <= 50 * MAX_RECORD_BYTES else None
        if not isinstance(text, str):
            yield text or Rejected(path.name, "page too large")
            return
        day, title, title_line = self.day, None, 0
        lines = list(_content_lines(text))
        for i, (number, line) in enumerate(lines):
            origin = f"{path.name}:{number}"
            following = lines[i + 1][1] if i + 1 < len(lines) else None
            banner = banner_day(line, year=self.year, today=self.today)
            if banner is not None:
                day = self.day or banner
            elif _BANNER.fullmatch(line):
                yield Rejected(origin, f"date banner {line!r} is not a day")
            elif title is None and len(line) > TITLE_MAX and not _long_title(line, following):
                yield Rejected(origin, "abstract without a title line before it")
            elif title is None:
                title, title_line = line, number
            elif len(line) <= TITLE_MAX and len(title) <= TITLE_MAX and _looks_like_title(line):
                # Two title-like lines in a row: the first paper had no abstract.
                yield self._record(title, "", day, f"{path.name}:{title_line}")
                title, title_line = line, number
            else:
                yield self._record(title, line, day, f"{path.name}:{title_line}")
                title = None
        if title is not None:
            yield self._record(title, "", day, f"{path.name}:{title_line}")

    def _record(self, title: str, abstract: str, day: date | None, origin: str) -> Item:
        if len(title) > MAX_TITLE_CHARS:
            return Rejected(origin, f"title line of {len(title):,} characters")
        rec = PaperRecord(
            title=title, abstract=abstract, announced=day, source=self.name, origin=origin
        )
        return finish(rec)


def _long_title(line: str, following: str | None) -> bool:
    """A line longer than TITLE_MAX is still a title when a longer line (its abstract) follows:
    otherwise the abstract would be taken for the title of the paper after it."""
    return (
        len(line) <= MAX_TITLE_CHARS
        and following is not None
        and len(following) > len(line)
        and _BANNER.fullmatch(following) is None
    )


def _looks_like_title(line: str) -> bool:
    """Abstracts are sentences; a title rarely ends with a full stop."""
    return not line.rstrip().endswith(".")


def _content_lines(text: str) -> Iterator[tuple[int, str]]:
    """Non-blank lines that are not page furniture, with their line numbers."""
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if line.lower().startswith("subscribe") and len(line) > len("subscribe"):
            line = line[len("subscribe") :].strip()  # a title glued to the Subscribe button
        if line and line.lower() not in HEADER_LINES:
            yield number, line
