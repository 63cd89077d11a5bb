"""`paperwire index`, `search`, `similar` and `eval beir` as a user runs them: through the
console entry point in-process (exit codes, one-line errors) and, for stdin, as a subprocess.
The store is ten tiny papers; the encoder is the real default one (seconds for ten texts)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.clirun import run_main as run

PAPERS = [
    ("Graph neural networks for molecules",
     "We predict molecular properties with message passing graph networks.",
     ["Alice Zhang", "Bob Smith"], ["cs.LG", "q-bio.BM"], "2024-03-01", True),
    ("Protein folding with deep learning",
     "Structure prediction of proteins from amino acid sequences using attention.",
     ["Carol Jones"], ["q-bio.BM"], "2024-05-10", False),
    ("Reinforcement learning for robot control",
     "Walking policies for legged robots are trained in simulation.",
     ["Dan Brown", "Alice Zhang"], ["cs.RO", "cs.LG"], "2025-01-15", True),
    ("Quantum error correction with surface codes",
     "Decoding surface codes on noisy superconducting qubits.",
     ["Eve Davis"], ["quant-ph"], "2023-07-20", False),
    ("Efficient attention for long documents",
     "A sparse <transformer> reads long sequences of text & tables.",
     ["Frank Miller"], ["cs.CL"], "2025-02-01", True),
    ("Bayesian optimisation of hyperparameters",
     "Gaussian processes guide the search over neural network hyperparameters.",
     ["Grace Lee"], ["stat.ML", "cs.LG"], "2024-11-11", False),
    ("Galaxy rotation curves and dark matter",
     "We measure rotation curves of spiral galaxies.",
     ["Henry Wilson"], ["astro-ph.GA"], "2022-09-09", False),
    ("Machine translation with transformers",
     "Neural machine translation of low resource languages with attention.",
     ["Ivy Chen", "Bob Smith"], ["cs.CL", "cs.LG"], "2025-03-03", True),
    ("Molecular property prediction with message passing",
     "Graph networks learn chemistry from atoms and bonds.",
     ["Judy Park"], ["physics.chem-ph", "cs.LG"], "2023-12-12", True),
    ("Spiral galaxies and their dark matter halos",
     "Simulations of galaxy formation in cold dark matter.",
     ["Karl Young"], ["astro-ph.CO"], "2021-06-06", False),
]  # fmt: skip


def ids(*numbers: int) -> list[str]:
    return [f"2501.{n:05d}" for n in numbers]


def write_papers(path: Path) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for n, (title, abstract, authors, cats, day, code) in enumerate(PAPERS, start=1):
            record = {
                "title": title,
                "abstract": abstract,
                "authors": authors,
                "categories": cats,
                "arxiv_id": f"2501.{n:05d}v1",
                "announced": day,
                "links": [f"https://github.com/example/{n}"] if code else [],
            }
            fh.write(json.dumps(record) + "\n")
    return path


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "home"
    monkeypatch.setenv("PAPERWIRE_HOME", str(path))
    for name in ("PAPERWIRE_DATABASE_URL", "PAPERWIRE_ENCODER", "PAPERWIRE_SEARCH_MODE"):
        monkeypatch.delenv(name, raising=False)
    return path


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    code, out, err = run(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def one_line_error(text: str) -> str:
    assert "Traceback" not in text
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.fixture
def papers(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A home whose store holds the ten papers (not indexed yet)."""
    summary = run_json(capsys, "ingest", "jsonl", str(write_papers(tmp_path / "papers.jsonl")))
    assert summary["new"] == 10
    return home


# --- index -----------------------------------------------------------------------------------


def test_index_update_build_and_status(papers: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = run_json(capsys, "index", "status")
    assert (status["store_papers"], status["papers_indexed"]) == (10, 0)
    assert (status["lags_store_by"], status["up_to_date"]) == (10, False)

    updated = run_json(capsys, "index", "update")
    assert (updated["papers_read"], updated["papers_indexed"]) == (10, 10)
    status = run_json(capsys, "index", "status")
    assert (status["papers_indexed"], status["lags_store_by"], status["up_to_date"]) == (
        10,
        0,
        True,
    )
    assert (status["papers_embedded"], status["embedded_fraction"]) == (0, 0.0)
    assert status["applied_seq"] == status["store_seq"] > 0
    assert (papers / "index" / "lexical" / "meta.json").exists()

    built = run_json(capsys, "index", "build")
    assert (built["papers_read"], built["papers_indexed"]) == (10, 10)

    code, out, err = run(capsys, "index", "status")
    assert code == 0, err
    assert "papers: 10 in the store, 10 indexed (up to date)" in out
    assert "embedded: 0 (0.0%)" in out


@pytest.mark.model
def test_index_embed_then_status(papers: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_json(capsys, "index", "embed", "--batch-size", "4")
    assert (result["embedded"], result["remaining"]) == (10, 0)
    status = run_json(capsys, "index", "status")
    assert (status["papers_indexed"], status["papers_embedded"], status["token_vectors"]) == (
        10,
        10,
        10,
    )
    assert status["embedded_fraction"] == 1.0 and status["pending_log_chunks"] == 0
    assert status["encoder"].startswith("all-MiniLM-L6-v2")
    again = run_json(capsys, "index", "embed")
    assert (again["embedded"], again["remaining"]) == (0, 0)


# --- search ----------------------------------------------------------------------------------


def test_search_text_and_json(papers: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "search", "attention", "--mode", "bm25")
    assert code == 0, err
    assert "3 results for 'attention'" in out
    assert "Efficient attention for long documents" in out
    assert "2501.00005" in out and "Machine translation with transformers" in out
    assert "<mark>" not in out and "&lt;" not in out

    data = run_json(capsys, "search", "attention cat:cs.CL", "--mode", "bm25")
    assert set(data) == {"query", "mode", "page", "per_page", "total", "took_ms", "sort", "hits"}
    assert (data["query"], data["mode"], data["total"], data["sort"]) == (
        "attention cat:cs.CL",
        "bm25",
        2,
        "relevance",
    )
    assert [h["id"] for h in data["hits"]] == ids(5, 8)
    hit = data["hits"][1]
    assert hit["title"] == "Machine translation with transformers"
    assert hit["authors"] == ["Ivy Chen", "Bob Smith"]
    assert hit["announced"] == "2025-03-03"
    assert hit["snippet_html"].endswith("with <mark>attention</mark>.")
    assert isinstance(hit["score"], float) and hit["score"] > 0

    page2 = run_json(capsys, "search", "attention", "--per-page", "2", "--page", "2")
    assert [h["id"] for h in page2["hits"]] == ids(2)  # default mode, no vectors: BM25 order
    assert (page2["mode"], page2["total"]) == ("hybrid+rerank", 3)

    by_date = run_json(capsys, "search", "has:code")
    assert [h["id"] for h in by_date["hits"]] == ids(8, 5, 3, 1, 9) and by_date["sort"] == "date"

    code, out, _ = run(capsys, "search", "cosmology", "--mode", "bm25")
    assert code == 0 and "no results" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["author:"], "error: author: needs a value right after the colon; it takes a name: "
         'author:lecun or author:"Yann LeCun" (column 8)'),
        (['"unclosed'], "error: this quote is never closed; quotes come in pairs, around a "
         "phrase (column 1)"),
        (["x", "--mode", "fuzzy"],
         "error: search mode 'fuzzy' is not one of: bm25, hybrid, hybrid+rerank"),
    ],
)  # fmt: skip
def test_bad_search_is_one_clear_line(
    papers: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run(capsys, "search", *args)
    assert code == 2
    assert one_line_error(err) == message
    assert out == ""


def test_bad_search_options_are_usage_errors(
    papers: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "search", "x", "--per-page", "500")
    assert code == 2 and "Traceback" not in err and "--per-page" in err


# --- similar ---------------------------------------------------------------------------------


@pytest.mark.model
def test_similar_by_id_and_from_stdin(papers: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_json(capsys, "index", "embed")["embedded"] == 10
    rows = run_json(capsys, "similar", "2501.00001", "--k", "3")
    assert rows[0]["id"] == "2501.00009" and len(rows) == 3
    assert "2501.00001" not in [r["id"] for r in rows]
    assert rows[0]["title"] == "Molecular property prediction with message passing"
    within = run_json(capsys, "similar", "2501.00001", "--filters", "cat:q-bio.BM")
    assert [r["id"] for r in within] == ids(2)

    code, out, err = run(capsys, "similar", "2501.00007")
    assert code == 0, err
    assert "Similar papers" in out and "2501.00010" in out  # titles wrap in the table

    env = os.environ | {"PAPERWIRE_HOME": str(papers)}
    done = subprocess.run(
        [sys.executable, "-m", "paperwire", "similar", "--text", "-", "--k", "2", "--json"],
        input="Halos of cold dark matter\naround spiral galaxies.\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert [r["id"] for r in json.loads(done.stdout)] == ids(10, 7)


def test_similar_errors(papers: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "similar", "2501.99999")
    assert code == 4
    assert one_line_error(err) == "error: no paper with id '2501.99999'"
    code, _, err = run(capsys, "similar")
    assert code == 2
    assert one_line_error(err) == "error: give paper ids or a text to find similar papers"


# --- eval beir -------------------------------------------------------------------------------

CORPUS = [
    ("d1", "Surface codes", "Quantum error correction with surface codes."),
    ("d2", "Dark matter", "Rotation curves of galaxies and dark matter halos."),
    ("d3", "Protein folding", "Predicting protein structure from sequence."),
    ("d4", "Machine translation", "Neural translation between languages."),
    ("d5", "Graph networks", "Message passing on molecular graphs."),
    ("d6", "Robot control", "Reinforcement learning for walking robots."),
]
QUERIES = [("q1", "surface codes"), ("q2", "protein structure"), ("q3", "dark matter halos")]


@pytest.fixture
def beir(tmp_path: Path) -> Path:
    folder = tmp_path / "tiny"
    (folder / "qrels").mkdir(parents=True)
    with (folder / "corpus.jsonl").open("w") as fh:
        for doc_id, title, text in CORPUS:
            fh.write(json.dumps({"_id": doc_id, "title": title, "text": text}) + "\n")
    with (folder / "queries.jsonl").open("w") as fh:
        for qid, text in QUERIES:
            fh.write(json.dumps({"_id": qid, "text": text}) + "\n")
    test = "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td3\t1\nq3\td2\t1\n"
    (folder / "qrels" / "test.tsv").write_text(test)
    # dev: q1 also judges d5, which shares no word with it (BM25 never retrieves it).
    (folder / "qrels" / "dev.tsv").write_text(test + "q1\td5\t1\nq2\td4\t0\n")
    return folder


def test_eval_beir_bm25_exact_metrics(
    home: Path, beir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = run_json(capsys, "eval", "beir", str(beir), "--modes", "bm25")
    assert (report["dataset"], report["split"], report["docs"], report["queries"]) == (
        "tiny",
        "test",
        6,
        3,
    )
    assert report["encoder"] is None  # bm25 alone loads no model
    (bm25,) = report["results"].values()
    # Each query's only judged document is the only one holding its words: ranked first.
    assert (bm25["ndcg@10"], bm25["recall@100"], bm25["mrr@10"]) == (1.0, 1.0, 1.0)
    assert bm25["ms_per_query"] >= 0

    dev = run_json(capsys, "eval", "beir", str(beir), "--modes", "bm25", "--split", "dev")
    r = dev["results"]["bm25"]
    # q1: d1 at rank 1, d5 never: nDCG = 1 / (1 + 1/log2(3)), recall 1/2; q2, q3 perfect
    # (q2's zero-graded d4 is not a judgement of relevance).
    ndcg_q1 = 1 / (1 + 1 / math.log2(3))
    assert r["ndcg@10"] == round((ndcg_q1 + 2) / 3, 4) == 0.871
    assert r["recall@100"] == round((0.5 + 2) / 3, 4) == 0.8333
    assert r["mrr@10"] == 1.0

    code, out, _ = run(capsys, "eval", "beir", str(beir), "--modes", "bm25")
    assert code == 0 and "tiny test: 3 queries, 6 docs" in out and "1.0000" in out


@pytest.mark.model
def test_eval_beir_all_modes(home: Path, beir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = run_json(capsys, "eval", "beir", str(beir))
    assert list(report["results"]) == ["bm25", "dense", "hybrid", "hybrid+rerank"]
    assert report["encoder"].startswith("all-MiniLM-L6-v2")
    for mode, r in report["results"].items():
        assert (r["ndcg@10"], r["recall@100"], r["mrr@10"]) == (1.0, 1.0, 1.0), mode
    assert list((home / "cache" / "embeddings").iterdir())  # embeddings cached for a re-run
    again = run_json(capsys, "eval", "beir", str(beir), "--modes", "hybrid+rerank,dense")
    assert list(again["results"]) == ["hybrid+rerank", "dense"]
    assert again["results"]["dense"]["ndcg@10"] == 1.0


def test_eval_beir_errors(
    home: Path, beir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = beir / "qrels" / "train.tsv"
    code, _, err = run(capsys, "eval", "beir", str(beir), "--split", "train", "--modes", "bm25")
    assert code == 1
    assert one_line_error(err) == f"error: {missing}: missing qrels for this split"
    code, _, err = run(capsys, "eval", "beir", str(tmp_path / "nowhere"), "--modes", "bm25")
    assert code == 1 and "corpus.jsonl: missing" in one_line_error(err)
    code, _, err = run(capsys, "eval", "beir", str(beir), "--modes", "bm25,fuzzy")
    assert code == 2
    assert one_line_error(err) == (
        "error: search mode 'fuzzy' is not one of: bm25, dense, hybrid, hybrid+rerank"
    )
