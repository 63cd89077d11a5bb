"""Token vectors kept in the store (table `paper_tokens`): packed sign bits per index key, written
by the embedding job of a backend that cannot hold them (Milvus) and read by every host's
MaxSim rerank."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select

from paperwire.store.db import Store
from paperwire.store.papers import CHUNK
from paperwire.store.schema import paper_tokens


@dataclass(slots=True)
class TokenBits:
    paper_pk: int
    text_hash: int
    dim: int
    bits: bytes  # n_tokens rows of ceil(dim / 8) bytes


def put_token_bits(store: Store, rows: Sequence[TokenBits]) -> None:
    """Insert or replace these papers' token bits (one transaction)."""
    if not rows:
        return
    pks = [r.paper_pk for r in rows]
    values = [
        {"paper_pk": r.paper_pk, "text_hash": r.text_hash, "dim": r.dim, "bits": r.bits}
        for r in rows
    ]
    with store.engine.begin() as conn:
        for start in range(0, len(pks), CHUNK):
            chunk = pks[start : start + CHUNK]
            conn.execute(delete(paper_tokens).where(paper_tokens.c.paper_pk.in_(chunk)))
        conn.execute(paper_tokens.insert(), values)


def token_bits(store: Store, pks: Iterable[int]) -> dict[int, TokenBits]:
    """The stored token bits of these papers (those that have some)."""
    wanted = list(dict.fromkeys(int(p) for p in pks))
    out: dict[int, TokenBits] = {}
    with store.engine.connect() as conn:
        for start in range(0, len(wanted), CHUNK):
            stmt = select(paper_tokens).where(
                paper_tokens.c.paper_pk.in_(wanted[start : start + CHUNK])
            )
            for row in conn.execute(stmt):
                out[row.paper_pk] = TokenBits(row.paper_pk, row.text_hash, row.dim, row.bits)
    return out


def delete_token_bits(store: Store, pks: Iterable[int]) -> None:
    wanted = list(pks)
    with store.engine.begin() as conn:
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            conn.execute(delete(paper_tokens).where(paper_tokens.c.paper_pk.in_(chunk)))


def count_token_bits(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(paper_tokens)).scalar_one())
