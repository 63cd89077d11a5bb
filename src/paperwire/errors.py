"""paperwire's exceptions: each says what was wrong and, where it helps, what is allowed."""

from __future__ import annotations


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
