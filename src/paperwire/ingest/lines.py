"""Reading line-oriented files (plain or gzipped) with resumable positions and size limits."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from paperwire.errors import NotFound, SourceError
from paperwire.ingest.base import Cursor
from paperwire.records import MAX_RECORD_BYTES


@dataclass(slots=True)
class Line:
    path: Path
    number: int  # 1-based
    raw: bytes | None  # None when the line could not be read: `problem` says why
    cursor: Cursor
    problem: str = ""

    @property
    def origin(self) -> str:
        return f"{self.path.name}:{self.number}"


def expand_paths(paths: list[Path], patterns: tuple[str, ...]) -> list[Path]:
    """Files named directly, plus the matching files inside named directories, sorted by name."""
    found: list[Path] = []
    for p in paths:
        p = p.expanduser()
        if p.is_dir():
            found.extend(f for pat in patterns for f in p.glob(pat) if f.is_file())
        elif p.is_file():
            found.append(p)
        else:
            raise NotFound(f"{p}: no such file or directory")  # exit code 4, "not found"
    if not found:
        raise SourceError(f"no input files matching {', '.join(patterns)} in {paths}")
    return sorted(set(found), key=lambda f: (f.name, str(f)))


def files_key(kind: str, files: list[Path], **params: Any) -> str:
    """Checkpoint key of a set of files: their paths and sizes (a changed file starts afresh)."""
    h = hashlib.sha1()
    for f in files:
        h.update(f"{f.resolve()}:{f.stat().st_size}\n".encode())
    h.update(repr(sorted(params.items())).encode())
    return f"{kind}:{h.hexdigest()[:20]}"


def open_maybe_gzip(path: Path) -> tuple[IO[bytes], IO[bytes]]:
    """(reader, raw file): reading goes through the first, progress is the raw file's offset."""
    raw: IO[bytes] = path.open("rb")
    if raw.read(2) == b"\x1f\x8b":
        raw.seek(0)
        return gzip.GzipFile(fileobj=raw), raw  # type: ignore[return-value]
    raw.seek(0)
    return raw, raw


_BLANK = b"\r\n \t"
PEEK = 1 << 16


def skip_blank(reader: IO[bytes]) -> int:
    """Consume blank lines (and the indentation of the next line) a buffer at a time; the
    number of line ends passed. 100 MB of newlines is a few thousand peeks, not 100M lines."""
    skipped = 0
    while True:
        buf = reader.peek(PEEK)  # type: ignore[attr-defined]
        rest = buf.lstrip(_BLANK)
        n = len(buf) - len(rest)
        if not n:
            return skipped
        skipped += buf.count(b"\n", 0, n)
        reader.read(n)


def _read_line(reader: IO[bytes]) -> tuple[bytes, bool]:
    """One line, or (b"", False) at the end; an over-long line is consumed and returned empty."""
    line = reader.readline(MAX_RECORD_BYTES + 1)
    if len(line) <= MAX_RECORD_BYTES or line.endswith(b"\n"):
        return line, True
    while line and not line.endswith(b"\n"):
        line = reader.readline(MAX_RECORD_BYTES)
    return b"", False


def read_lines(files: list[Path], resume: dict[str, Any] | None) -> Iterator[Line]:
    """Every non-blank line of every file, skipping what a previous run's cursor says is done."""
    done_before = 0
    skip_file, skip_line = (resume or {}).get("file"), int((resume or {}).get("line", 0))
    names = [str(f) for f in files]
    start = names.index(skip_file) if skip_file in names else 0
    if skip_file not in names:
        skip_line = 0
    for f in files[:start]:
        done_before += f.stat().st_size
    for index in range(start, len(files)):
        path = files[index]
        try:
            reader, raw = open_maybe_gzip(path)
        except OSError as exc:
            raise SourceError(f"{path}: {exc.strerror}") from exc
        yield from _file_lines(path, reader, raw, done_before, skip_line if index == start else 0)
        done_before += path.stat().st_size


def _file_lines(
    path: Path, reader: IO[bytes], raw: IO[bytes], offset: int, skip: int
) -> Iterator[Line]:
    number = 0
    with raw, reader:
        while True:
            try:
                number += skip_blank(reader)  # blank lines are no records: not even rejects
                line, fits = _read_line(reader)
            except (OSError, EOFError) as exc:  # truncated or corrupt gzip: give up on this file
                cursor = Cursor({"file": str(path), "line": number + 1}, offset + raw.tell())
                yield Line(path, number + 1, None, cursor, f"file unreadable from here: {exc}")
                return
            if not line and fits:
                return
            number += 1
            if number <= skip:
                continue
            cursor = Cursor({"file": str(path), "line": number}, offset + raw.tell())
            too_long = f"line longer than {MAX_RECORD_BYTES:,} bytes"
            yield Line(path, number, line if fits else None, cursor, "" if fits else too_long)
