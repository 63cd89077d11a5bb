"""paperwire's exceptions: each says what was wrong and, where it helps, what is allowed."""

from __future__ import annotations


class PaperwireError(Exception):
    """Base class: an error meant for the user, shown without a traceback."""

    exit_code = 1


class ConfigError(PaperwireError):
    """Settings or arguments that cannot work."""

    exit_code = 2


class SourceError(PaperwireError):
    """An input could not be read at all (unreachable server, missing file, wrong format)."""


class NotFound(PaperwireError):
    """Something asked for by id does not exist."""

    exit_code = 4


class BadQuery(PaperwireError):
    """A search query that cannot be read. `position` is the 0-based character offset, in the
    query as typed, of the part that is wrong (a UI can put a caret under it)."""

    exit_code = 2

    def __init__(self, message: str, *, position: int = 0) -> None:
        super().__init__(message)
        self.position = position
