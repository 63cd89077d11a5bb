"""paperwire's exceptions: each says what was wrong and, where it helps, what is allowed."""

from __future__ import annotations

import errno
import re


class PaperwireError(Exception):
    """Base class: an error meant for the user, shown without a traceback. `http_status` is
    what the web answers with when one escapes a request."""

    exit_code = 1
    http_status = 500


class ConfigError(PaperwireError):
    """Settings or arguments that cannot work."""

    exit_code = 2


class SourceError(PaperwireError):
    """An input could not be read at all (unreachable server, missing file, wrong format)."""

    http_status = 502


class RecordsRefused(PaperwireError):
    """The database refused a batch for something in its records (a value it cannot store),
    not for being unusable itself: storing the records one by one finds the culprit."""


class Unavailable(PaperwireError):
    """A part of the service that cannot answer now (a damaged search index, ...)."""

    http_status = 503


class BadRequest(PaperwireError):
    """A request parameter that cannot be used (a malformed day, a page past the end, ...)."""

    exit_code = 2
    http_status = 400


class NotFound(PaperwireError):
    """Something asked for by id does not exist."""

    exit_code = 4
    http_status = 404


class BadQuery(PaperwireError):
    """A search query that cannot be read. `position` is the 0-based character offset, in the
    query as typed, of the part that is wrong (a UI can put a caret under it)."""

    exit_code = 2
    http_status = 400

    def __init__(self, message: str, *, position: int = 0) -> None:
        super().__init__(message)
        self.position = position


_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_PG_DISK_FULL = "53100"
_SQLITE_FULL = 13
_SHORT_WRITE = re.compile(r"\d+ requested and \d+ written")


def disk_full(exc: BaseException) -> str | None:
    """The one line to show when `exc` (or what caused it) is a full disk, quota or file-size
    limit: from the OS, SQLite ("database or disk is full") or PostgreSQL (53100); else None."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for candidate in (current, getattr(current, "orig", None)):
            if isinstance(candidate, OSError) and candidate.errno in _FULL_ERRNOS:
                where = f" writing {candidate.filename}" if candidate.filename else ""
                return _full(f"{candidate.strerror}{where}")
            if isinstance(candidate, OSError) and _SHORT_WRITE.fullmatch(str(candidate)):
                return _full("a file could not be written whole")  # numpy's tofile()
            if getattr(candidate, "sqlite_errorcode", None) == _SQLITE_FULL:
                return _full("the database file cannot grow")
            if getattr(candidate, "sqlstate", None) == _PG_DISK_FULL:
                return _full("PostgreSQL cannot extend its files")
        current = current.__cause__ or current.__context__
    return None


def _full(what: str) -> str:
    return (
        f"the disk is full ({what}): free some space and run the same command again "
        "(what was stored before is intact)"
    )
