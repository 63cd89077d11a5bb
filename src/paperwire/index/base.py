"""What every index part and backend shares: documents in, scored keys out, plain files on disk."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from paperwire.errors import PaperwireError

FORMAT_VERSION = 1


@dataclass(slots=True)
class Doc:
    """One paper as the indexes see it. `key` is a non-negative int, unique in one index
    (the store's paper pk, or a BEIR doc's position)."""

    key: int
    title: str = ""
    abstract: str = ""
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    day: int | None = None  # days since 1970-01-01 of the listing day, for date filters/sorts
    has_code: bool = False

    def text(self) -> str:
        """Title and abstract as one passage (what the encoders read)."""
        return f"{self.title}. {self.abstract}" if self.abstract else self.title


@dataclass(slots=True)
class Hits:
    """Search results: keys best first with their scores (same length, aligned)."""

    keys: np.ndarray  # int64
    scores: np.ndarray  # float32
    total: int = 0  # how many documents matched (lexical); len(keys) when unknown

    @classmethod
    def empty(cls) -> Hits:
        return cls(np.zeros(0, np.int64), np.zeros(0, np.float32), 0)

    def __len__(self) -> int:
        return len(self.keys)

    def pairs(self) -> list[tuple[int, float]]:
        return [(int(k), float(s)) for k, s in zip(self.keys, self.scores, strict=True)]


def top_k(keys: np.ndarray, scores: np.ndarray, k: int) -> Hits:
    """The k best (score descending, then key ascending: rankings are deterministic)."""
    if len(keys) == 0 or k <= 0:
        return Hits.empty()
    total = len(keys)  # all candidates, counted before the cut below
    if len(keys) > k:
        # argpartition on a slightly larger cut keeps ties at the boundary for the exact sort.
        part = np.argpartition(-scores, k - 1)[:k]
        cut = scores[part].min()
        part = np.flatnonzero(scores >= cut)
        keys, scores = keys[part], scores[part]
    order = np.lexsort((keys, -scores))[:k]
    return Hits(keys[order].astype(np.int64), scores[order].astype(np.float32), total)


class atomic_dir:
    """Write a folder under a temporary name and rename it into place on success, so that a
    kill leaves either the old folder or the new one, never a half-written one."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def __enter__(self) -> Path:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.", dir=self.path.parent))
        return self.tmp

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return
        _fsync_tree(self.tmp)
        old = self.path.with_name(f".{self.path.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        if self.path.exists():
            os.rename(self.path, old)
        os.rename(self.tmp, self.path)
        shutil.rmtree(old, ignore_errors=True)


def _fsync_tree(folder: Path) -> None:
    for f in folder.rglob("*"):
        if f.is_file():
            with f.open("rb") as fh:
                os.fsync(fh.fileno())


def write_meta(folder: Path, kind: str, **params: Any) -> None:
    meta = {"format": kind, "format_version": FORMAT_VERSION, **params}
    (folder / "meta.json").write_text(json.dumps(meta, indent=1, sort_keys=True))


def read_meta(folder: Path, kind: str) -> dict[str, Any]:
    """meta.json of an index folder, checked for its kind and format version."""
    try:
        meta: dict[str, Any] = json.loads((folder / "meta.json").read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise IndexFormatError(f"{folder}: not a paperwire index ({exc})") from exc
    if meta.get("format") != kind or meta.get("format_version") != FORMAT_VERSION:
        raise IndexFormatError(
            f"{folder}: is {meta.get('format')} v{meta.get('format_version')}, expected "
            f"{kind} v{FORMAT_VERSION}: rebuild it with `paperwire index build`"
        )
    return meta


class IndexFormatError(PaperwireError):
    """An index folder that is missing, damaged, or of another format version."""
