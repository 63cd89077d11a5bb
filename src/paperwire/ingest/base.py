"""What a source is: something that yields records, each with a resumable position."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from paperwire.records import Item


@dataclass(slots=True, frozen=True)
class Cursor:
    """Where a source stands after an item.

    `state` is JSON-able and is handed back to `Source.items(resume=...)` after an interrupted run:
    the source then yields what comes after it (re-yielding a little is fine, upserts are
    idempotent; skipping is not). `done` counts progress units of `Source.total`.
    """

    state: dict[str, Any] = field(default_factory=dict)
    done: int = 0


class Source(Protocol):
    """One input: a set of files, a feed, a harvest with its parameters."""

    name: str  # recorded on every paper it contributes to: "daily-jsonl", "arxiv-oai", ...

    @property
    def key(self) -> str:
        """Stable identity of this input and its parameters: the checkpoint's key."""
        ...

    @property
    def total(self) -> int | None:
        """Progress units in all (bytes, records, pages), or None when unknown."""
        ...

    def items(self, resume: dict[str, Any] | None = None) -> Iterator[tuple[Item, Cursor]]:
        """Yield every record (or rejection) with the cursor just after it."""
        ...
