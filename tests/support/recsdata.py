"""The recommendation tests' papers: five topics with their own words, so that the test-only
HashEncoder (a word's vector is fixed by its hash) puts each topic in its own cluster, spread
over the ten listing days up to LATEST, plus old papers outside the 30-day window; and the
helpers that store likes the way votes.py and collections.py do (plain inserts)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from paperwire.index.embedded import EmbeddedIndex
from paperwire.index.encoders import HashEncoder
from paperwire.index.manager import embed_index, update_index
from paperwire.records import PaperRecord
from paperwire.store import Store
from paperwire.store.schema import bookmarks, collections, papers, votes
from tests.support.paperfactory import arxiv_record

LATEST = date(2026, 7, 1)
DIM = 64
PER_TOPIC = 40  # recent papers per topic (5 topics: 200 recent, over MIN_RECENT)
OLD_PER_TOPIC = 6  # papers listed 60 days before LATEST
TOPICS = {
    "protein": "protein folding amino residue enzyme peptide ligand binding conformation "
    "chaperone backbone sidechain",
    "galaxy": "galaxy dark matter halo stellar redshift telescope spiral lensing cosmic "
    "nebula quasar",
    "language": "language translation sentence corpus grammar parsing lexical dialogue "
    "multilingual syntax tokenizer",
    "robot": "robot grasping locomotion gripper manipulation legged actuator navigation "
    "torque quadruped servo",
    "quantum": "qubit entanglement superconducting decoherence photon gate fidelity "
    "hamiltonian spin lattice tunneling",
}
FILLER = "we study a new method and report results"
HOSTILE_TITLE = 'Protein <script>alert("x")</script> folding & "binding"'


def _record(
    n: int, topic: str, day: date, rng: random.Random, title: str | None = None
) -> PaperRecord:
    words = TOPICS[topic].split()
    picked = rng.sample(words, 7)
    return arxiv_record(
        n,
        day,
        title=title or f"{picked[0].capitalize()} {picked[1]} and {picked[2]}, study {n}",
        abstract=f"{FILLER}: {' '.join(picked[3:])} {' '.join(rng.sample(words, 4))}.",
    )


def records() -> list[PaperRecord]:
    rng = random.Random(7)
    out, n = [], 0
    for topic in TOPICS:
        for i in range(PER_TOPIC):
            n += 1
            title = HOSTILE_TITLE if topic == "protein" and i == PER_TOPIC - 1 else None
            out.append(_record(n, topic, LATEST - timedelta(days=i % 10), rng, title))
    for topic in TOPICS:
        for _ in range(OLD_PER_TOPIC):
            n += 1
            out.append(_record(n, topic, LATEST - timedelta(days=60), rng))
    return out


def topic_of(n: int) -> str:
    """The topic of paper number n (its arXiv id 2607.0000n)."""
    names = list(TOPICS)
    if n <= PER_TOPIC * len(names):
        return names[(n - 1) // PER_TOPIC]
    return names[(n - 1 - PER_TOPIC * len(names)) // OLD_PER_TOPIC]


def is_old(n: int) -> bool:
    return n > PER_TOPIC * len(TOPICS)


def build_index(store: Store, folder: Path | None = None) -> EmbeddedIndex:
    """A lexical + dense index of the store, embedded by HashEncoder(DIM)."""
    index = EmbeddedIndex(folder, encoder=HashEncoder(DIM))
    update_index(store, index)
    embed_index(store, index)
    return index


# --- the store: pks by number, likes as votes.py and collections.py write them -------------


def pk_of(store: Store, n: int) -> int:
    with store.engine.connect() as conn:
        pk = conn.scalar(select(papers.c.pk).where(papers.c.arxiv_id == f"2607.{n:05d}"))
    assert pk is not None, n
    return int(pk)


def number_of(store: Store, pk: int) -> int:
    with store.engine.connect() as conn:
        arxiv_id = conn.scalar(select(papers.c.arxiv_id).where(papers.c.pk == pk))
    return int(str(arxiv_id).split(".")[1])


def vote(store: Store, user_id: int, pk: int, when: datetime | None = None) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            votes.insert().values(user_id=user_id, paper_pk=pk, created=when or datetime.now(UTC))
        )


def bookmark(store: Store, user_id: int, pk: int, when: datetime | None = None) -> None:
    """Into the user's collection "Reading list" (made on first use)."""
    with store.engine.begin() as conn:
        cid = conn.scalar(
            select(collections.c.id).where(
                collections.c.user_id == user_id, collections.c.name == "Reading list"
            )
        )
        if cid is None:
            cid = conn.execute(
                collections.insert().values(
                    user_id=user_id, name="Reading list", created=datetime.now(UTC)
                )
            ).inserted_primary_key[0]
        conn.execute(
            bookmarks.insert().values(
                collection_id=cid, paper_pk=pk, created=when or datetime.now(UTC)
            )
        )
