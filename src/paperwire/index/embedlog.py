"""The embedding job's durable log: one chunk file per finished batch.

Encoding is the slow part (minutes to hours on a CPU), so every finished batch is written at once
as its own chunk (`chunk-<seq>.npz`, written to a temporary name and renamed): a killed job keeps
every finished batch and recomputes none of them. The dense and token indexes fold chunks in when
they are loaded, and `fold` makes them part of the saved indexes and deletes the chunks.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_CHUNK = re.compile(r"chunk-(\d{8})\.npz")


def text_hash(text: str) -> int:
    """A 63-bit hash of the text a vector was computed from (to notice edited papers)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little") >> 1


@dataclass(slots=True)
class Chunk:
    seq: int
    keys: np.ndarray  # int64 [n]
    hashes: np.ndarray  # int64 [n]
    pooled: np.ndarray  # float16 [n, dim]
    tokens: list[np.ndarray]  # float16 [t_i, dim] per doc


class EmbedLog:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def chunks(self) -> list[Path]:
        if not self.folder.exists():
            return []
        found = [p for p in self.folder.iterdir() if _CHUNK.fullmatch(p.name)]
        return sorted(found)

    def _next_seq(self) -> int:
        chunks = self.chunks()
        return int(_CHUNK.fullmatch(chunks[-1].name).group(1)) + 1 if chunks else 0  # type: ignore[union-attr]

    def append(
        self,
        keys: Sequence[int],
        hashes: Sequence[int],
        pooled: np.ndarray,
        tokens: Sequence[np.ndarray],
    ) -> Path:
        """Write one finished batch durably."""
        self.folder.mkdir(parents=True, exist_ok=True)
        lengths = np.array([len(t) for t in tokens], np.int64)
        flat = np.concatenate(tokens) if tokens else np.zeros((0, pooled.shape[1]))
        path = self.folder / f"chunk-{self._next_seq():08d}.npz"
        tmp = path.with_suffix(".tmp.npz")
        with tmp.open("wb") as fh:
            np.savez(
                fh,
                keys=np.asarray(keys, np.int64),
                hashes=np.asarray(hashes, np.int64),
                pooled=pooled.astype(np.float16),
                tokens=flat.astype(np.float16),
                lengths=lengths,
            )
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        return path

    def read(self) -> Iterator[Chunk]:
        for path in self.chunks():
            with np.load(path) as z:
                offsets = np.concatenate([[0], np.cumsum(z["lengths"])])
                tokens = [z["tokens"][a:b] for a, b in itertools.pairwise(offsets)]
                seq = int(_CHUNK.fullmatch(path.name).group(1))  # type: ignore[union-attr]
                yield Chunk(seq, z["keys"], z["hashes"], z["pooled"], tokens)

    def clear(self, up_to: int) -> None:
        """Delete chunks with seq <= up_to (after they were folded into saved indexes)."""
        for path in self.chunks():
            if int(_CHUNK.fullmatch(path.name).group(1)) <= up_to:  # type: ignore[union-attr]
                path.unlink()
        for stale in self.folder.glob("*.tmp.npz") if self.folder.exists() else []:
            stale.unlink()
