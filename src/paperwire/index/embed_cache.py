"""A content-addressed cache of encoder outputs (pooled vector + token vectors per text), so that
re-running `paperwire eval` or rebuilding an index does not pay for the model again.

Layout: `<root>/<encoder name slug>-<hash>/` holds chunks, each `<id>.pooled.npy` (float32
[n, dim]), `<id>.tokens.npy` (float16, all tokens concatenated), `<id>.offsets.npy` ([n+1]) and
`<id>.json` (the texts' hashes, in row order). The json is written last and renamed into place,
so it marks a complete chunk: a killed run keeps every finished chunk and merely re-encodes the
one it was in. Token vectors are kept as float16 (half the disk; they are stored as 1 bit per
dimension downstream anyway) and returned the same way whether fresh or cached, so a re-run gives
bit-identical results to the first.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from paperwire.index.encoders import Encoder, Kind

log = logging.getLogger(__name__)

CACHE_VERSION = 1


def text_key(text: str, kind: Kind) -> str:
    """The address of one text's outputs (queries and documents are encoded differently)."""
    return hashlib.blake2b(f"{kind}\0{text}".encode(), digest_size=16).hexdigest()


@dataclass(slots=True)
class _Chunk:
    pooled: np.ndarray
    tokens: np.ndarray
    offsets: np.ndarray


class EmbedCache:
    """The cache folder of one encoder. Safe for several processes adding at once (chunk ids
    are unique and a chunk appears only once complete); reads see chunks present at open."""

    def __init__(self, root: Path, encoder_name: str, dim: int) -> None:
        self.encoder_name, self.dim = encoder_name, dim
        slug = re.sub(r"[^A-Za-z0-9._-]+", "_", encoder_name)[:60]
        digest = hashlib.blake2b(encoder_name.encode(), digest_size=4).hexdigest()
        self.folder = Path(root) / f"{slug}-{digest}"
        self.folder.mkdir(parents=True, exist_ok=True)
        self._where: dict[str, tuple[str, int]] = {}  # text key -> (chunk id, row)
        self._chunks: dict[str, _Chunk] = {}
        for index_file in sorted(self.folder.glob("*.json")):
            self._read_index(index_file)

    def _read_index(self, index_file: Path) -> None:
        try:
            meta = json.loads(index_file.read_text())
            ok = meta["version"] == CACHE_VERSION and meta["encoder"] == self.encoder_name
        except (OSError, ValueError, KeyError) as exc:
            log.warning("ignoring cache chunk %s: %s", index_file, exc)
            return
        if ok:
            chunk = index_file.stem
            self._where.update((key, (chunk, row)) for row, key in enumerate(meta["keys"]))

    def __len__(self) -> int:
        return len(self._where)

    def _chunk(self, chunk_id: str) -> _Chunk:
        if chunk_id not in self._chunks:
            base = self.folder / chunk_id
            self._chunks[chunk_id] = _Chunk(
                np.load(f"{base}.pooled.npy", mmap_mode="r"),
                np.load(f"{base}.tokens.npy", mmap_mode="r"),
                np.load(f"{base}.offsets.npy"),
            )
        return self._chunks[chunk_id]

    def get(self, key: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(pooled float32 [dim], tokens float32 [n, d]) or None when not cached."""
        where = self._where.get(key)
        if where is None:
            return None
        try:
            chunk = self._chunk(where[0])
            lo, hi = chunk.offsets[where[1]], chunk.offsets[where[1] + 1]
            pooled = np.array(chunk.pooled[where[1]], np.float32)
            return pooled, np.array(chunk.tokens[lo:hi], np.float32)
        except (OSError, ValueError, IndexError) as exc:  # a damaged chunk: re-encode
            log.warning("cache chunk %s unreadable (%s): re-encoding", where[0], exc)
            self._where = {k: w for k, w in self._where.items() if w[0] != where[0]}
            return None

    def put(self, keys: Sequence[str], pooled: np.ndarray, tokens: Sequence[np.ndarray]) -> None:
        """Write one chunk; it becomes visible (to this and later processes) at the end."""
        if not keys:
            return
        chunk_id = f"{os.getpid()}-{os.urandom(6).hex()}"
        base = self.folder / chunk_id
        lens = [len(t) for t in tokens]
        flat = np.concatenate([np.asarray(t, np.float16).reshape(-1, t.shape[-1]) for t in tokens])
        arrays: dict[str, Any] = {
            "pooled": np.asarray(pooled, np.float32),
            "tokens": flat,
            "offsets": np.concatenate([[0], np.cumsum(lens)]).astype(np.int64),
        }
        for name, arr in arrays.items():
            _write_replace(Path(f"{base}.{name}.npy"), lambda fh, a=arr: np.save(fh, a))
        meta = {"version": CACHE_VERSION, "encoder": self.encoder_name, "keys": list(keys)}
        _write_replace(Path(f"{base}.json"), lambda fh: fh.write(json.dumps(meta).encode()))
        self._where.update((key, (chunk_id, row)) for row, key in enumerate(keys))


def _write_replace(path: Path, write: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("wb") as fh:
        write(fh)
    os.replace(tmp, path)


def iter_cached(
    encoder: Encoder,
    texts: Sequence[str],
    *,
    kind: Kind,
    cache_dir: Path,
    chunk_size: int = 256,
    batch_size: int = 32,
) -> Iterator[tuple[int, np.ndarray, list[np.ndarray]]]:
    """(first position, pooled [n, dim], token vectors) for consecutive chunks of `texts`,
    encoding only what the cache lacks and caching it chunk by chunk. Tokens are float16
    precision as float32. Lets a caller fill an index without holding every token in memory."""
    cache = EmbedCache(Path(cache_dir), encoder.name, encoder.dim)
    for start in range(0, len(texts), chunk_size):
        part = texts[start : start + chunk_size]
        keys = [text_key(t, kind) for t in part]
        got = {k: v for k in set(keys) if (v := cache.get(k)) is not None}
        missing = sorted({k: t for k, t in zip(keys, part, strict=True) if k not in got}.items())
        if missing:
            pooled, tokens = encoder.encode_both(
                [t for _, t in missing], kind=kind, batch_size=batch_size
            )
            tokens = [t.astype(np.float16).astype(np.float32) for t in tokens]
            cache.put([k for k, _ in missing], pooled, tokens)
            got.update((k, (pooled[i], tokens[i])) for i, (k, _) in enumerate(missing))
        pooled_out = np.stack([got[k][0] for k in keys]) if keys else np.zeros((0, encoder.dim))
        yield start, pooled_out.astype(np.float32), [got[k][1] for k in keys]


def encode_cached(
    encoder: Encoder,
    texts: Sequence[str],
    *,
    kind: Kind,
    cache_dir: Path,
    chunk_size: int = 256,
    batch_size: int = 32,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """`encoder.encode_both(texts, kind=kind)` through the cache, all at once."""
    pooled = np.zeros((len(texts), encoder.dim), np.float32)
    tokens: list[np.ndarray] = []
    for start, p, t in iter_cached(
        encoder, texts, kind=kind, cache_dir=cache_dir, chunk_size=chunk_size, batch_size=batch_size
    ):
        pooled[start : start + len(p)] = p
        tokens.extend(t)
    return pooled, tokens
