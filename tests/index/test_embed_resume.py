"""SIGKILL in the middle of `paperwire index embed`, then a re-run: the batches finished before
the kill are not encoded again, and the index searches as an uninterrupted run's does."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from paperwire.cli import main
from paperwire.index.embedded import EmbeddedIndex
from paperwire.index.embedlog import EmbedLog
from paperwire.index.encoders import load_encoder
from paperwire.search.service import search
from paperwire.store import open_store

N = 60
BATCH = 4
TOPICS = (
    "lattice plasma neutrino galaxy protein enzyme polymer catalyst graphene superconductor",
    "glacier monsoon volcano earthquake aquifer coral forest wetland desert tundra",
    "vaccine antibody tumor neuron synapse genome virus bacteria insulin hormone",
    "robot drone satellite rocket turbine battery reactor antenna sensor laser",
    "compiler database kernel cache router encryption blockchain parser scheduler firewall",
    "auction pricing inflation taxation lending insurance pension tariff currency labor",
)
WORDS = [word for line in TOPICS for word in line.split()]
# ~170 wordpieces a paper, so that the 15 batches take a couple of seconds on 2 cores: time
# enough to kill the job between two of them.
TEMPLATES = [
    "We study how {a} interacts with {b} in settings where {c} matters.",
    "Earlier work on {a} ignored the role of {b}, which we measure directly.",
    "Our experiments combine {a} data with {c} observations over several years.",
    "The {b} model predicts {a} behaviour better than previous {c} baselines.",
    "A simple estimator of {c} reduces the error of {a} forecasts.",
    "We release code for simulating {a} under changing {b} conditions.",
    "The results suggest that {b} controls most of the variation in {a}.",
    "Field data on {c} confirm the predicted {a} response.",
    "We discuss what {a} and {b} imply for future {c} research.",
    "Limitations include the small {c} sample and noisy {b} readings.",
    "Theory links {a} stability to the strength of {b} coupling.",
    "Finally, {c} effects on {a} are weaker than expected.",
]
QUERIES = [
    "plasma and neutrino",
    "enzyme catalysis",
    "volcano earthquake risk",
    "battery chemistry",
    "database cache",
    "how forests store carbon",
    "vaccine antibody response",
    "currency inflation -tariff cat:cs.LG",
]


def write_papers(path: Path) -> Path:
    assert len(WORDS) == N
    with path.open("w") as fh:
        for i in range(N):
            a, b, c = WORDS[i], WORDS[(i + 7) % N], WORDS[(i + 23) % N]
            paper = {
                "title": f"{a.capitalize()} and {b} in {c} systems",
                "abstract": " ".join(t.format(a=a, b=b, c=c) for t in TEMPLATES),
                "authors": [f"Author {i}"],
                "categories": ["cs.LG"],
                "arxiv_id": f"2502.{i + 1:05d}",
                "announced": f"2025-02-{i % 28 + 1:02d}",
            }
            fh.write(json.dumps(paper) + "\n")
    return path


def run_json(capsys: pytest.CaptureFixture[str], home: Path, *args: str) -> Any:
    """`paperwire --home HOME ARGS --json` in-process."""
    capsys.readouterr()
    try:
        main(["--home", str(home), *args, "--json"])
    except SystemExit as exc:
        assert exc.code == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def embed_job(home: Path) -> subprocess.Popen[str]:
    env = os.environ | {"PAPERWIRE_HOME": str(home)}
    env.pop("PAPERWIRE_ENCODER", None)
    cmd = [sys.executable, "-m", "paperwire", "index", "embed", "--batch-size", str(BATCH)]
    return subprocess.Popen(
        [*cmd, "--json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def kill_after_chunks(home: Path, chunks: int) -> None:
    log = EmbedLog(home / "index" / "embedlog")
    proc = embed_job(home)
    deadline = time.monotonic() + 120
    while len(log.chunks()) < chunks and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert proc.poll() is None, "the embedding job finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def rankings(home: Path, encoder: Any) -> dict[tuple[str, str], list[str]]:
    store = open_store(url=f"sqlite:///{home / 'paperwire.db'}")
    index = EmbeddedIndex.open(home / "index", encoder=encoder)
    try:
        return {
            (query, mode): [h["id"] for h in search(store, index, query, mode=mode).hits]
            for query in QUERIES
            for mode in ("bm25", "hybrid", "hybrid+rerank")
        }
    finally:
        store.close()


@pytest.mark.model
def test_sigkill_during_embed_then_rerun_recomputes_no_finished_batch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    papers = write_papers(tmp_path / "papers.jsonl")
    reference, killed = tmp_path / "reference", tmp_path / "killed"
    for home in (reference, killed):
        assert run_json(capsys, home, "ingest", "jsonl", str(papers))["new"] == N

    done = run_json(capsys, reference, "index", "embed", "--batch-size", str(BATCH))
    assert (done["embedded"], done["remaining"]) == (N, 0)

    kill_after_chunks(killed, 2)
    logged = sum(len(chunk.keys) for chunk in EmbedLog(killed / "index" / "embedlog").read())
    assert 2 * BATCH <= logged < N and logged % BATCH == 0  # whole batches only
    assert not (killed / "index" / "dense").exists()  # nothing folded: all of it is in the log
    status = run_json(capsys, killed, "index", "status")
    assert (status["papers_embedded"], status["pending_log_chunks"]) == (logged, logged // BATCH)

    rerun = run_json(capsys, killed, "index", "embed", "--batch-size", str(BATCH))
    assert (rerun["embedded"], rerun["remaining"]) == (N - logged, 0)  # nothing done twice
    status = run_json(capsys, killed, "index", "status")
    assert (status["papers_indexed"], status["papers_embedded"], status["token_vectors"]) == (
        N,
        N,
        N,
    )
    assert (status["pending_log_chunks"], status["up_to_date"]) == (0, True)
    assert not EmbedLog(killed / "index" / "embedlog").chunks()

    encoder = load_encoder(None)
    expected = rankings(reference, encoder)
    # A vaccine paper and the antibody paper lead: the latter's "predicted antibody response"
    # holds two query words side by side (term proximity), which lifts it over the other
    # vaccine paper, 2502.00021.
    top = expected[("vaccine antibody response", "hybrid+rerank")][:2]
    assert set(top) == {"2502.00022", "2502.00058"}
    assert rankings(killed, encoder) == expected
