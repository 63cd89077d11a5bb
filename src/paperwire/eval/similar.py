"""`paperwire eval similar DIR`: similar papers judged by a proxy built from arXiv metadata.

There are no human judgements of "similar papers" for these listings, so relevance is inferred
from evidence in the metadata that two papers belong to the same line of work:
- grade 2: they share a code repository (a GitHub/GitLab/Hugging Face URL in the abstract or
  comments, at owner/name depth), or one names the other's arXiv id;
- grade 1: they share at least two authors (names compared without case, accents or dots) and
  their primary arXiv category, neither having more than `MAX_AUTHORS` authors (big
  collaborations share names across topics; a group's papers in another area are not "similar").

A query is a paper with 2 to `MAX_RELEVANT` such papers (up to half of the queries are papers
with a grade-2 relation, the strongest evidence, which is rare); the evaluation corpus is the
query papers, all their judged papers, and distractors drawn at random from the same primary
categories, up to `docs` papers. Each query runs through `EmbeddedIndex.similar` (the call the
similar-papers page makes) on title + abstract, with the paper itself excluded.

What it measures: how well each method surfaces papers from the same project or research group
among topically close distractors, with judgements a reader can check. What it does not measure:
similarity across groups (unjudged papers that are truly similar count as misses, so absolute
figures are low and favour no method by design), reader preference, or novelty. Authors are
indexed as they are in production but never appear in the query text, so they give the lexical
side no shortcut. Queries are split in two by a hash of their id: `dev` picks the similar-papers
fusion weights, `test` reports them.
"""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from paperwire.errors import SourceError
from paperwire.eval.beir import score_run_per_query
from paperwire.eval.stats import compare
from paperwire.index.base import Doc, Hits
from paperwire.index.embed_cache import iter_cached
from paperwire.index.embedded import EmbeddedIndex, FusionConfig
from paperwire.index.encoders import load_encoder
from paperwire.records import extract_code_links

Progress = Callable[[str, int, int], None]
MAX_AUTHORS = 15
MAX_RELEVANT = 15
K = 100
METRICS = ("ndcg@10", "map@100")
SPLITS = ("dev", "test")
_ARXIV_ID = re.compile(r"(?<![\d.])(\d{4}\.\d{4,5})(?:v\d+)?(?!\d)")


@dataclass
class Paper:
    id: str
    title: str
    abstract: str
    authors: list[str]
    categories: list[str]
    links: list[str] = field(default_factory=list)  # code repositories, owner/name
    mentions: list[str] = field(default_factory=list)  # arXiv ids named in abstract/comments


@dataclass
class SimilarSet:
    papers: list[Paper]  # position = index key
    queries: dict[str, int]  # query paper id -> key
    qrels: dict[str, dict[str, int]]  # query paper id -> {paper id: grade}
    split_of: dict[str, str]  # query paper id -> "dev" | "test"


def read_daily(folder: Path) -> dict[str, Paper]:
    """The papers of per-day listing files (`YYYY-MM-DD.jsonl[.gz]`), the last record of an id
    winning."""
    files = sorted(Path(folder).glob("*.jsonl*"))
    if not files:
        raise SourceError(f"{folder}: no per-day listing files (YYYY-MM-DD.jsonl[.gz])")
    papers: dict[str, Paper] = {}
    for path in files:
        opener: Any = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    paper = _paper(json.loads(line))
                    if paper is not None:
                        papers[paper.id] = paper
    return papers


def _paper(rec: dict[str, Any]) -> Paper | None:
    pid, title = rec.get("id"), rec.get("title")
    if not pid or not title:
        return None
    abstract, comment = rec.get("summary") or "", rec.get("comment") or ""
    links = {_repo(u) for u in extract_code_links(abstract, comment)} - {None}
    return Paper(
        id=str(pid),
        title=" ".join(str(title).split()),
        abstract=" ".join(abstract.split()),
        authors=[str(a) for a in rec.get("authors") or []],
        categories=[str(c) for c in rec.get("categories") or []],
        links=sorted(u for u in links if u),
        mentions=sorted({m for m in _ARXIV_ID.findall(f"{abstract} {comment}") if m != pid}),
    )


def _repo(url: str) -> str | None:
    """host/owner/name of a code link (deeper paths name the same repository)."""
    parts = url.lower().split("/")[2:5]
    return "/".join(parts) if len(parts) == 3 and parts[2] else None


def _author_key(name: str) -> str:
    s = unicodedata.normalize("NFKD", name)
    s = "".join(c for c in s if not unicodedata.combining(c)).lower().replace(".", " ")
    return " ".join(s.split())


def judgements(papers: dict[str, Paper]) -> dict[str, dict[str, int]]:
    """Every paper's related papers with their grades (see the module docstring)."""
    related: dict[str, dict[str, int]] = defaultdict(dict)
    by_pair: dict[tuple[str, str], list[str]] = defaultdict(list)
    for p in papers.values():
        names = sorted({_author_key(a) for a in p.authors} - {""})
        if len(names) <= MAX_AUTHORS:
            for pair in itertools.combinations(names, 2):
                by_pair[pair].append(p.id)
    for ids in by_pair.values():
        for a, b in itertools.permutations(ids, 2):
            if papers[a].categories[:1] == papers[b].categories[:1]:
                related[a][b] = 1
    by_repo: dict[str, list[str]] = defaultdict(list)
    for p in papers.values():
        for repo in p.links:
            by_repo[repo].append(p.id)
        for other in p.mentions:
            if other in papers:
                related[p.id][other] = related[other][p.id] = 2
    for ids in by_repo.values():
        for a, b in itertools.permutations(ids, 2):
            related[a][b] = 2
    return related


def _rank(text: str, seed: int) -> str:
    return hashlib.blake2b(f"{seed}:{text}".encode(), digest_size=8).hexdigest()


def build_set(
    papers: dict[str, Paper], *, queries: int = 200, docs: int = 2000, seed: int = 0
) -> SimilarSet:
    """A deterministic evaluation set: `queries` query papers (half dev, half test), their
    judged papers, then distractors from the queries' primary categories up to `docs`."""
    related = judgements(papers)
    candidates = sorted(
        (pid for pid, rel in related.items() if 2 <= len(rel) <= MAX_RELEVANT),
        key=lambda pid: _rank(pid, seed),
    )
    strong = [pid for pid in candidates if 2 in related[pid].values()][: queries // 2]
    chosen: list[str] = []
    members: set[str] = set()
    for pid in dict.fromkeys(strong + candidates):
        if len(chosen) == queries:
            break
        grown = members | {pid} | set(related[pid])
        if len(grown) <= docs // 2:  # at least half the corpus stays distractors
            chosen.append(pid)
            members = grown
    cats = {papers[q].categories[0] for q in chosen if papers[q].categories}
    pool = sorted(
        (p.id for p in papers.values() if p.id not in members and p.categories[:1]
         and p.categories[0] in cats),
        key=lambda pid: _rank(pid, seed + 1),
    )  # fmt: skip
    ids = sorted(members | set(pool[: max(0, docs - len(members))]))
    key_of = {pid: i for i, pid in enumerate(ids)}
    qrels = {q: {r: g for r, g in related[q].items() if r in key_of} for q in chosen}
    split_of = {q: SPLITS[int(_rank(q, seed + 2), 16) % 2] for q in chosen}
    return SimilarSet([papers[i] for i in ids], {q: key_of[q] for q in chosen}, qrels, split_of)


def build_index(
    data: SimilarSet, *, encoder_spec: str | None, cache_dir: Path, progress: Progress | None
) -> EmbeddedIndex:
    encoder = load_encoder(encoder_spec)
    index = EmbeddedIndex(None, encoder=encoder)
    docs = [
        Doc(key=i, title=p.title, abstract=p.abstract, authors=p.authors, categories=p.categories)
        for i, p in enumerate(data.papers)
    ]
    index.upsert(docs)
    texts = [d.text() for d in docs]
    for start, pooled, tokens in iter_cached(encoder, texts, kind="doc", cache_dir=cache_dir):
        keys = np.arange(start, start + len(pooled), dtype=np.int64)
        index.add_vectors(keys, np.zeros(len(keys), np.int64), pooled, tokens)
        if progress:
            progress("embed papers", start + len(pooled), len(texts))
    return index


def query_lists(index: EmbeddedIndex, data: SimilarSet) -> Iterator[tuple[str, dict[str, Hits]]]:
    """Per query paper: the lexical and dense lists `similar` fuses."""
    for qid, key in data.queries.items():
        p = data.papers[key]
        text = f"{p.title}. {p.abstract}"  # as the search service joins a paper's text
        yield qid, index.similar_lists(keys=[key], text=text, k=K)


def fused_run(
    index: EmbeddedIndex, data: SimilarSet, lists: dict[str, dict[str, Hits]]
) -> dict[str, dict[str, float]]:
    run = {}
    for qid, per in lists.items():
        if len(per) == 2:
            hits = index._fuse(list(per.values()), K, weights=index.fusion.similar_weights)
        else:
            hits = next(iter(per.values()), Hits.empty())
        run[qid] = _as_run(data, hits)
    return run


def _as_run(data: SimilarSet, hits: Hits) -> dict[str, float]:
    return {data.papers[k].id: float(s) for k, s in hits.pairs()}


WEIGHTS = ((1.0, 0.25), (1.0, 0.5), (1.0, 1.0), (1.0, 2.0), (1.0, 4.0), (0.5, 4.0))


def run_similar(
    folder: Path,
    *,
    queries: int = 200,
    docs: int = 2000,
    encoder_spec: str | None = None,
    cache_dir: Path,
    fusion: FusionConfig | None = None,
    tune: bool = False,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """nDCG@10 and MAP@100 per split for lexical-only, dense-only and the shipped fusion, with
    per-query wins/losses of the fusion against each; `tune` also scores `WEIGHTS` on dev."""
    data = build_set(read_daily(folder), queries=queries, docs=docs)
    index = build_index(data, encoder_spec=encoder_spec, cache_dir=cache_dir, progress=progress)
    if fusion is not None:
        index.fusion = fusion
    lists = dict(query_lists(index, data))
    runs = {
        "lexical": {q: _as_run(data, per.get("lexical", Hits.empty())) for q, per in lists.items()},
        "dense": {q: _as_run(data, per.get("dense", Hits.empty())) for q, per in lists.items()},
        "fusion": fused_run(index, data, lists),
    }
    report: dict[str, Any] = {
        "queries": len(data.queries),
        "docs": len(data.papers),
        "judged_per_query": round(float(np.mean([len(r) for r in data.qrels.values()])), 2),
        "similar_weights": list(index.fusion.similar_weights),
        "splits": {s: _split_report(data, runs, s) for s in SPLITS},
    }
    if tune:
        report["tuning"] = _tune(index, data, lists)
    return report


def _split_report(
    data: SimilarSet, runs: dict[str, dict[str, dict[str, float]]], split: str
) -> dict[str, Any]:
    qrels = {q: r for q, r in data.qrels.items() if data.split_of[q] == split}
    out: dict[str, Any] = {"queries": len(qrels)}
    per_query = {}
    for name, run in runs.items():
        means, per = score_run_per_query(qrels, run, METRICS)
        out[name], per_query[name] = means, per
    for other in ("lexical", "dense"):
        out[f"fusion_vs_{other}"] = {
            m: compare(per_query["fusion"][m], per_query[other][m]) for m in METRICS
        }
    return out


def _tune(
    index: EmbeddedIndex, data: SimilarSet, lists: dict[str, dict[str, Hits]]
) -> list[dict[str, Any]]:
    rows = []
    kept = index.fusion.similar_weights
    for w in WEIGHTS:
        index.fusion.similar_weights = w
        run = fused_run(index, data, lists)
        row: dict[str, Any] = {"weights": list(w)}
        for split in SPLITS:
            qrels = {q: r for q, r in data.qrels.items() if data.split_of[q] == split}
            means, _ = score_run_per_query(qrels, run, METRICS)
            row[split] = means
        rows.append(row)
    index.fusion.similar_weights = kept
    return rows
