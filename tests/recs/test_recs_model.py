"""With the real default encoder (marker `model`: 18 short texts, seconds on 2 cores): likes of
two protein-structure papers put the other protein papers first, among papers on galaxies and
robots written with much the same generic words."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from paperwire.community.recs import recommend
from paperwire.index.embedded import EmbeddedIndex
from paperwire.index.manager import embed_index, update_index
from paperwire.store import Store, open_store
from paperwire.store.papers import upsert_records
from paperwire.store.reading import iter_for_index
from paperwire.store.users import create_user
from tests.support.paperfactory import paper_record
from tests.support.recsdata import vote

pytestmark = pytest.mark.model

PAPERS = {
    "protein": [
        (
            "Predicting protein structure from sequence",
            "A deep model predicts the 3D fold of proteins from amino acid sequences.",
        ),
        (
            "Folding pathways of small proteins",
            "We simulate how small proteins fold into their native structure.",
        ),
        (
            "Protein-ligand binding affinity with learned potentials",
            "A learned potential estimates how strongly drug molecules bind to protein pockets.",
        ),
        (
            "Designing enzymes with generative models",
            "A generative model proposes new enzyme sequences that fold and catalyse reactions.",
        ),
        (
            "Side-chain packing for protein design",
            "We place amino acid side chains on a fixed backbone to design stable proteins.",
        ),
        (
            "Antibody structure prediction at scale",
            "Our method predicts antibody loop conformations from sequence.",
        ),
    ],
    "galaxy": [
        (
            "Dark matter halos of dwarf galaxies",
            "We measure rotation curves to infer the dark matter profile of dwarf galaxies.",
        ),
        (
            "Weak lensing maps of galaxy clusters",
            "A new method reconstructs mass maps of clusters from weak gravitational lensing.",
        ),
        (
            "Star formation in spiral arms",
            "We study how star formation rates vary along the arms of spiral galaxies.",
        ),
        (
            "Quasar redshift estimation from spectra",
            "A model estimates quasar redshifts from low resolution spectra.",
        ),
        (
            "Simulating galaxy mergers",
            "Hydrodynamic simulations follow two galaxies as they merge.",
        ),
        (
            "The cosmic web in a large survey",
            "We map filaments of the cosmic web in a wide galaxy survey.",
        ),
    ],
    "robot": [
        (
            "Learning to grasp unseen objects",
            "A robot arm learns grasps for novel objects from depth images.",
        ),
        (
            "Legged locomotion over rough terrain",
            "A quadruped robot learns to walk over rocks and stairs.",
        ),
        (
            "Dexterous in-hand manipulation",
            "A multi-fingered robot hand rotates objects using reinforcement learning.",
        ),
        (
            "Navigation for indoor mobile robots",
            "A mobile robot navigates cluttered homes with a learned map.",
        ),
        (
            "Safe control of drones in wind",
            "We design a controller that keeps quadrotors stable in gusty wind.",
        ),
        (
            "Teleoperation with haptic feedback",
            "An operator controls a remote robot arm with force feedback.",
        ),
    ],
}


def test_real_embeddings_rank_the_liked_topic_first(tmp_path: Path) -> None:
    store = open_store(url=f"sqlite:///{tmp_path / 'paperwire.db'}")
    day = date(2026, 7, 1)
    records = [
        paper_record(title=t, abstract=a, arxiv_id=f"2607.{i:05d}", announced=day, source="test")
        for i, (t, a) in enumerate((p for ps in PAPERS.values() for p in ps), start=1)
    ]
    upsert_records(store, records)
    index = EmbeddedIndex()
    update_index(store, index)
    embed_index(store, index)
    topic = {
        r.title: name for name, ps in PAPERS.items() for r in records if (r.title, r.abstract) in ps
    }
    pk_of = {r["title"]: pk for pk, r in _rows(store).items()}
    title_of = {pk: t for t, pk in pk_of.items()}
    uid = create_user(store, "model@example.org")[0].id
    liked = [PAPERS["protein"][0][0], PAPERS["protein"][1][0]]
    for title in liked:
        vote(store, uid, pk_of[title])
    found = recommend(store, index, uid, limit=4)
    assert [topic[title_of[r.paper_pk]] for r in found] == ["protein"] * 4
    assert all(r.reason.startswith("close to “") for r in found)
    store.close()


def _rows(store: Store) -> dict[int, dict[str, object]]:
    return {r["pk"]: r for rows in iter_for_index(store) for r in rows}
