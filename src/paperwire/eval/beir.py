"""Loading a BEIR-format folder and scoring runs (nDCG@10, recall@100, MRR@10 with ranx)."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from paperwire.errors import SourceError

METRICS = ("ndcg@10", "recall@100", "mrr@10")


@dataclass
class BeirSet:
    name: str
    doc_ids: list[str]  # position = index key
    titles: list[str]
    texts: list[str]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]  # of the chosen split

    def split_queries(self) -> dict[str, str]:
        """The queries that have judgements in the split."""
        return {q: t for q, t in self.queries.items() if q in self.qrels}


def _jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        raise SourceError(
            f"{path}: missing (a BEIR folder has corpus.jsonl, queries.jsonl, qrels/<split>.tsv)"
        )
    rows = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise SourceError(f"{path.name}:{number}: broken JSON: {exc.msg}") from exc
    return rows


def _qrels(path: Path) -> dict[str, dict[str, int]]:
    if not path.exists():
        raise SourceError(f"{path}: missing qrels for this split")
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8") as fh:
        reader = csv.reader(fh, delimiter="\t")
        for row in reader:
            if len(row) < 3 or row[0] == "query-id":
                continue
            if int(row[2]) > 0:
                qrels.setdefault(row[0], {})[row[1]] = int(row[2])
    return qrels


def load_beir(folder: Path, *, split: str = "test") -> BeirSet:
    folder = Path(folder)
    corpus = _jsonl(folder / "corpus.jsonl")
    queries = {str(q["_id"]): q["text"] for q in _jsonl(folder / "queries.jsonl")}
    return BeirSet(
        name=folder.name,
        doc_ids=[str(d["_id"]) for d in corpus],
        titles=[d.get("title") or "" for d in corpus],
        texts=[d.get("text") or "" for d in corpus],
        queries=queries,
        qrels=_qrels(folder / "qrels" / f"{split}.tsv"),
    )


def score_run(
    qrels: dict[str, dict[str, int]],
    run: dict[str, dict[str, float]],
    metrics: tuple[str, ...] = METRICS,
) -> dict[str, float]:
    """nDCG@10, recall@100 and MRR@10 (or `metrics`) averaged over the judged queries (ranx; a
    query with no results counts as 0)."""
    means, _ = score_run_per_query(qrels, run, metrics)
    return means


def score_run_per_query(
    qrels: dict[str, dict[str, int]],
    run: dict[str, dict[str, float]],
    metrics: tuple[str, ...] = METRICS,
) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """(the means of `score_run`, and per metric each judged query's score)."""
    try:
        from ranx import Qrels, Run, evaluate
    except ImportError as exc:
        from paperwire.errors import ConfigError

        raise ConfigError("evaluation needs ranx: pip install 'paperwire[eval]'") from exc

    if not qrels:  # ranx cannot score an empty set
        return {m: 0.0 for m in metrics}, {m: {} for m in metrics}
    full_run = Run({q: run.get(q) or {"__none__": 0.0} for q in qrels})
    result = evaluate(Qrels(qrels), full_run, list(metrics))
    if isinstance(result, float):  # ranx returns a bare float for a single metric
        result = {metrics[0]: result}
    per_query = {m: {q: float(v) for q, v in full_run.scores[m].items()} for m in metrics}
    return {m: round(float(result[m]), 4) for m in metrics}, per_query
