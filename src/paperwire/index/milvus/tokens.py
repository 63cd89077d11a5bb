"""Where the Milvus backend keeps token vectors for the MaxSim rerank.

Milvus Lite has no multi-vector (struct array) fields and no binary vectors, and a token file
on one host's disk is not readable by the others, so the packed sign bits live in the shared
store (`paperwire.store.tokens`): one row per paper, read for the ~200 candidates of a query.
`MemoryTokens` keeps them in this process instead (`paperwire eval`, whose corpus is not in the
store).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np

from paperwire.index.late import TokenStore
from paperwire.store import Store
from paperwire.store.tokens import TokenBits, count_token_bits, delete_token_bits, put_token_bits
from paperwire.store.tokens import token_bits as read_token_bits

Packed = dict[int, tuple[int, np.ndarray]]  # key -> (text hash, packed bits [n_tokens, nbytes])


class TokenSource(ABC):
    """Per key, token vectors as packed sign bits and the hash of the text they came from."""

    def __init__(self, dim: int) -> None:
        self.dim, self.nbytes = dim, (dim + 7) // 8

    @abstractmethod
    def add(self, keys: np.ndarray, hashes: np.ndarray, tokens: Sequence[np.ndarray]) -> None: ...

    @abstractmethod
    def remove(self, keys: Sequence[int]) -> None: ...

    @abstractmethod
    def packed(self, keys: Sequence[int]) -> Packed:
        """The stored bits of these keys (those that have some)."""

    @abstractmethod
    def __len__(self) -> int: ...

    def maxsim(self, qtokens: np.ndarray, keys: np.ndarray) -> np.ndarray:
        """As TokenStore.maxsim (-inf for a key without tokens), over the bits read back."""
        found = self.packed(keys.tolist())
        have = [int(k) for k in keys.tolist() if k in found]
        if not have:
            return np.full(len(keys), -np.inf, np.float32)
        parts = [found[k][1] for k in have]
        offsets = np.concatenate([[0], np.cumsum([len(p) for p in parts])]).astype(np.int64)
        tokens = TokenStore.from_packed(
            self.dim, np.asarray(have, np.int64), offsets, np.concatenate(parts)
        )
        return tokens.maxsim(qtokens, keys)

    def token_sims(
        self, qtokens: np.ndarray, keys: Sequence[int], hashes: Sequence[int]
    ) -> list[np.ndarray | None]:
        """As EmbeddedIndex.token_sims: per key its tokens' similarities with the query's, or
        None when it has none for the text whose hash is given."""
        q = np.asarray(qtokens, np.float32)
        found = self.packed(keys) if len(q) else {}
        out: list[np.ndarray | None] = []
        for key, wanted in zip(keys, hashes, strict=True):
            got = found.get(int(key))
            if got is None or got[0] != int(wanted) or not len(got[1]):
                out.append(None)
                continue
            ones = np.unpackbits(got[1], axis=1, count=self.dim).astype(np.float32)
            # sign(v).q = 2 bits.q - sum(q), scaled by 1/sqrt(d) as TokenStore.maxsim is
            out.append((2.0 * (ones @ q.T) - q.sum(axis=1)) / np.float32(np.sqrt(self.dim)))
        return out


def _pack(tokens: np.ndarray) -> np.ndarray:
    return np.packbits(np.asarray(tokens, np.float32) > 0, axis=1)


class MemoryTokens(TokenSource):
    """Token bits in this process."""

    def __init__(self, dim: int) -> None:
        super().__init__(dim)
        self.rows: Packed = {}

    def add(self, keys: np.ndarray, hashes: np.ndarray, tokens: Sequence[np.ndarray]) -> None:
        for key, h, t in zip(keys.tolist(), hashes.tolist(), tokens, strict=True):
            self.rows[int(key)] = (int(h), _pack(np.asarray(t).reshape(-1, self.dim)))

    def remove(self, keys: Sequence[int]) -> None:
        for key in keys:
            self.rows.pop(int(key), None)

    def packed(self, keys: Sequence[int]) -> Packed:
        return {int(k): self.rows[int(k)] for k in keys if int(k) in self.rows}

    def __len__(self) -> int:
        return len(self.rows)


class StoreTokens(TokenSource):
    """Token bits in the shared store, so that every host reranks with the same vectors."""

    def __init__(self, store: Store, dim: int) -> None:
        super().__init__(dim)
        self.db = store

    def add(self, keys: np.ndarray, hashes: np.ndarray, tokens: Sequence[np.ndarray]) -> None:
        rows = [
            TokenBits(
                int(k), int(h), self.dim, _pack(np.asarray(t).reshape(-1, self.dim)).tobytes()
            )
            for k, h, t in zip(keys.tolist(), hashes.tolist(), tokens, strict=True)
        ]
        put_token_bits(self.db, rows)

    def remove(self, keys: Sequence[int]) -> None:
        delete_token_bits(self.db, [int(k) for k in keys])

    def packed(self, keys: Sequence[int]) -> Packed:
        found = read_token_bits(self.db, [int(k) for k in keys])
        return {
            k: (row.text_hash, np.frombuffer(row.bits, np.uint8).reshape(-1, self.nbytes))
            for k, row in found.items()
            if row.dim == self.dim
        }

    def __len__(self) -> int:
        return count_token_bits(self.db)
