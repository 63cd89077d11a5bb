"""Ask: an extractive answer to a question, the best evidence sentences of the papers the search
engine finds, each cited, with no language model.

1. Retrieve `candidates` papers with the search index (the question in the search syntax, so
   filters such as `cat:cs.CL year:2025..` work).
2. Split each candidate's abstract into sentences (`paperwire.search.sentences`).
3. Score each sentence against the question:
   - *MaxSim*: the stored 1-bit token vectors of the paper (the ones the rerank uses), mapped
     back onto the text through the tokenizer's offsets; per query token the best cosine over
     the sentence's tokens, averaged over query tokens. Only when the stored vectors were made
     from the paper's current text (the index records a hash of it); a sentence past the
     encoder's 256 wordpieces gets its paper's mean.
   - *lexical*: the idf-weighted share of the question's analysed terms the sentence contains.
   - *prior*: the paper's retrieval rank, `exp(-rank / prior_tau)`.
   `score = w_maxsim * maxsim + w_lexical * lexical + w_prior * prior`.
4. The best sentences (at most `per_paper` a paper) are the evidence, grouped by paper. The
   best score gives the confidence (a logistic curve) and, under `floor`, "no good evidence".

Weights, floor and confidence curve were fitted on SciFact *train* (`paperwire eval ask
--split train --calibrate`, see paperwire.eval.ask); an index without token vectors uses the
lexical-only set, calibrated the same way with MaxSim left out.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from paperwire.errors import BadQuery
from paperwire.index.backend import USER_MODES, IndexBackend, Mode
from paperwire.index.base import Doc, Hits
from paperwire.index.embedlog import text_hash
from paperwire.search.query import parse_query
from paperwire.search.sentences import Sentence, split_sentences
from paperwire.search.service import check_mode
from paperwire.search.snippets import highlight_html, lowercase_words
from paperwire.store import Store
from paperwire.store.reading import papers_by_pk

MAX_QUESTION = 1000
_WORDS = re.compile(r"\w+")  # the analyzer's word pattern (paperwire.index.analyze)
ASK_COLUMNS = ("id", "title", "abstract", "authors", "announced", "abs_url", "arxiv_id", "doi")
# Words that make a question a question; they say nothing about the answer.
QUESTION_WORDS = frozenset(
    [
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "does",
        "do",
        "did",
        "can",
        "could",
        "should",
        "would",
        "is",
        "are",
        "was",
        "were",
        "paper",
        "papers",
        "work",
        "works",
        "study",
        "studies",
        "method",
        "methods",
        "approach",
        "approaches",
        "show",
        "shows",
        "use",
        "uses",
        "using",
        "any",
        "there",
    ]
)


@dataclass(frozen=True)
class AskConfig:
    """How sentences are scored and when an answer is given (see the module docstring)."""

    candidates: int = 10
    max_evidence: int = 6
    per_paper: int = 2
    w_maxsim: float = 1.0
    w_lexical: float = 0.0
    w_prior: float = 0.3
    prior_tau: float = 1.0
    floor: float = 0.6429  # best score under this: "no good evidence found"
    conf_a: float = 10.694  # confidence = 1 / (1 + exp(-(conf_a * best + conf_b)))
    conf_b: float = -7.722


# Fitted on SciFact train (809 claims) by `paperwire eval ask --split train --calibrate`
# (and `--lexical` for the second): the grid kept MaxSim alone (lexical weight 0 did best once
# MaxSim is there; words still get highlighted) and a rank prior worth 0.3 for the top paper.
DEFAULT_CONFIG = AskConfig()
LEXICAL_CONFIG = AskConfig(
    w_maxsim=0.0, w_lexical=1.0, w_prior=0.5, floor=0.7121, conf_a=4.69, conf_b=-4.187
)


@dataclass
class Candidate:
    """A retrieved paper: its index key, rank (0 = best) and text."""

    key: int
    rank: int
    title: str
    abstract: str
    row: dict[str, Any] = field(default_factory=dict)


@dataclass
class Scored:
    """One sentence of a candidate, scored."""

    cand: Candidate
    position: int  # sentence number in the abstract, from 0
    sentence: Sentence
    maxsim: float
    lexical: float
    prior: float  # the paper's rank (0 = best); `combine` turns it into the prior
    score: float = 0.0


@dataclass
class Answer:
    evidence: list[Scored]  # best first, capped per paper
    best: float  # the best sentence score (-inf without any sentence)
    confidence: float
    found: bool
    used_maxsim: bool
    terms: list[str]  # question words that count (for highlighting)


# --- scoring -----------------------------------------------------------------------------


def question_terms(index: IndexBackend, text: str) -> tuple[list[str], dict[str, float]]:
    """(the question's words that count, analysed term -> idf weight)."""
    analyze = index.analyzer.analyze
    words, terms = [], []
    for word in lowercase_words(text):
        if word in QUESTION_WORDS:
            continue
        for term in analyze(word):
            words.append(word)
            terms.append(term)
    idf = index.idf(terms) if terms else np.zeros(0)
    return words, {term: float(w) for term, w in zip(terms, idf, strict=True)}


def _lexical(index: IndexBackend, sentence: str, weights: dict[str, float]) -> float:
    total = sum(weights.values())
    if not total:
        return 0.0
    term = index.analyzer.term  # cached per word: each distinct word once
    present = {term(w) for w in set(_WORDS.findall(sentence.lower()))}
    return sum(w for t, w in weights.items() if t in present) / total


def _doc_text(c: Candidate) -> str:
    return Doc(key=c.key, title=c.title, abstract=c.abstract).text()


def sentence_maxsim(
    index: IndexBackend, text: str, cands: Sequence[Candidate], sents: Sequence[list[Sentence]]
) -> list[np.ndarray | None]:
    """Per candidate, the MaxSim of each abstract sentence (NaN where the sentence has no
    stored token), or None when its stored tokens are missing or stale."""
    out: list[np.ndarray | None] = [None] * len(cands)
    if not index.status().token_vectors:
        return out
    offsets_of = getattr(index.encoder, "token_offsets", None)
    if offsets_of is None:
        return out
    texts = [_doc_text(c) for c in cands]
    q = np.asarray(index.query_tokens(text), np.float32)
    hashes = [text_hash(t) for t in texts]
    per_doc = index.token_sims(q, [c.key for c in cands], hashes) if len(q) else out
    fresh = [i for i, sims in enumerate(per_doc) if sims is not None]
    if not fresh:
        return out
    offsets = offsets_of([texts[i] for i in fresh], kind="doc")
    for j, i in enumerate(fresh):
        doc_sims = per_doc[i]
        assert doc_sims is not None
        if len(offsets[j]) != len(doc_sims):
            continue  # vectors from another tokenisation: do not guess
        base = len(cands[i].title) + 2  # the abstract's offset in "title. abstract"
        out[i] = _per_sentence(doc_sims, offsets[j][:, 0] - base, sents[i])
    return out


def _per_sentence(sims: np.ndarray, starts: np.ndarray, sents: list[Sentence]) -> np.ndarray:
    """Per sentence the mean over query tokens of the best token inside it (NaN: no token).
    Tokens are in text order, so each sentence's tokens are one run of rows."""
    values = np.full(len(sents), np.nan, np.float32)
    bounds = np.array([s.start for s in sents], np.int64)
    ends = np.array([s.end for s in sents], np.int64)
    which = np.searchsorted(bounds, starts, side="right") - 1
    inside = (which >= 0) & (starts < ends[np.maximum(which, 0)])
    rows, which = np.flatnonzero(inside), which[inside]
    if not len(rows):
        return values
    first = np.flatnonzero(np.concatenate([[True], which[1:] != which[:-1]]))
    best = np.maximum.reduceat(sims[rows], first, axis=0)  # [sentences with tokens, n_q]
    values[which[first]] = best.mean(axis=1)
    return values


def score_sentences(
    index: IndexBackend, text: str, cands: Sequence[Candidate], *, maxsim: bool = True
) -> tuple[list[Scored], bool, list[str]]:
    """Every abstract sentence of the candidates with its parts (MaxSim, lexical, rank), not
    yet combined; (sentences, MaxSim known, the question's words that count)."""
    words, weights = question_terms(index, text)
    sents = [split_sentences(c.abstract) for c in cands]
    ms = sentence_maxsim(index, text, cands, sents) if maxsim else [None] * len(cands)
    known = [v for v in ms if v is not None and np.isfinite(v).any()]
    fill = float(np.nanmedian(np.concatenate(known))) if known else 0.0
    out = []
    for c, doc_sents, values in zip(cands, sents, ms, strict=True):
        has = values is not None and bool(np.isfinite(values).any())
        doc_fill = float(np.nanmean(values)) if has else fill  # type: ignore[arg-type]
        for n, s in enumerate(doc_sents):
            v = float(values[n]) if values is not None else math.nan
            m = v if math.isfinite(v) else doc_fill
            out.append(Scored(c, n, s, m, _lexical(index, s.text, weights), float(c.rank)))
    return out, bool(known), words


def combine(scored: list[Scored], config: AskConfig) -> list[Scored]:
    """Set each sentence's score from its parts; best first (then paper rank, position)."""
    for s in scored:
        prior = math.exp(-s.prior / config.prior_tau)
        s.score = config.w_maxsim * s.maxsim + config.w_lexical * s.lexical + config.w_prior * prior
    return sorted(scored, key=lambda x: (-x.score, x.cand.rank, x.position))


def select(scored: list[Scored], config: AskConfig, *, floor: bool = True) -> list[Scored]:
    """The evidence: the best sentences, at most `per_paper` a paper, `max_evidence` in all,
    none under the floor (unless `floor` is False, as the evaluation ranks them)."""
    evidence: list[Scored] = []
    per: dict[int, int] = {}
    for s in scored:
        if len(evidence) >= config.max_evidence or (floor and s.score < config.floor):
            break
        if per.get(s.cand.key, 0) < config.per_paper:
            per[s.cand.key] = per.get(s.cand.key, 0) + 1
            evidence.append(s)
    return evidence


def confidence(best: float, config: AskConfig) -> float:
    z = config.conf_a * best + config.conf_b if math.isfinite(best) else -50.0
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def answer(
    index: IndexBackend, text: str, cands: Sequence[Candidate], config: AskConfig = DEFAULT_CONFIG
) -> Answer:
    """The extractive answer from retrieved candidates (the eval calls this directly). Without
    usable token vectors the lexical-only configuration applies."""
    scored, used, words = score_sentences(index, text, cands, maxsim=config.w_maxsim > 0)
    if not used and config.w_maxsim:
        config = replace(
            LEXICAL_CONFIG, candidates=config.candidates, max_evidence=config.max_evidence
        )
    ranked = combine(scored, config)
    best = ranked[0].score if ranked else -math.inf
    found = bool(ranked) and best >= config.floor
    evidence = select(ranked, config) if found else []
    return Answer(evidence, best, confidence(best, config), found, used, words)


# --- the service: store, index, a question in, a dict out -----------------------------------


def retrieve(
    store: Store, index: IndexBackend, question: str, *, mode: Mode, k: int
) -> tuple[str, list[Candidate]]:
    """(the question's free text, the top k papers for it with their rows)."""
    parsed = parse_query(question)
    if not parsed.text.strip():
        raise BadQuery("ask a question in words (filters such as cat:cs.CL may come with it)")
    hits: Hits = index.search(parsed, k=k, mode=mode)
    rows = papers_by_pk(store, hits.keys.tolist(), columns=ASK_COLUMNS)
    cands: list[Candidate] = []
    for key in hits.keys.tolist():
        row = rows.get(int(key))
        if row is not None:
            cands.append(Candidate(int(key), len(cands), row["title"], row["abstract"] or "", row))
    return parsed.text, cands


def ask(
    store: Store,
    index: IndexBackend,
    question: str,
    *,
    mode: str = "hybrid+rerank",
    config: AskConfig = DEFAULT_CONFIG,
) -> dict[str, Any]:
    """The extractive answer to a question, as the page, the API and the CLI show it."""
    started = time.perf_counter()
    if not question.strip():
        raise BadQuery("ask a question, e.g. which papers reduce KV-cache memory?")
    if len(question) > MAX_QUESTION:
        raise BadQuery(f"the question is {len(question):,} characters; at most {MAX_QUESTION:,}")
    checked = check_mode(mode, allowed=USER_MODES)
    text, cands = retrieve(store, index, question, mode=checked, k=config.candidates)
    result = answer(index, text, cands, config)
    return as_dict(index, question, checked, result, time.perf_counter() - started)


def _label(confidence: float) -> str:
    return "high" if confidence >= 0.66 else "medium" if confidence >= 0.4 else "low"


def as_dict(
    index: IndexBackend, question: str, mode: str, result: Answer, seconds: float
) -> dict[str, Any]:
    analyzer = index.analyzer.analyze
    papers: dict[int, dict[str, Any]] = {}
    evidence = []
    for n, s in enumerate(result.evidence, start=1):
        row = s.cand.row
        item = {
            "eid": f"E{n}",
            "paper_id": row.get("id", str(s.cand.key)),
            "position": s.position,
            "sentence": s.sentence.text,
            "sentence_html": highlight_html(
                s.sentence.text, result.terms, analyzer=analyzer, max_chars=len(s.sentence.text) + 1
            ),
            "score": round(s.score, 4),
            "maxsim": round(s.maxsim, 4),
            "lexical": round(s.lexical, 4),
        }
        evidence.append(item)
        paper = papers.setdefault(
            s.cand.key,
            {
                "id": item["paper_id"],
                "title": row.get("title", s.cand.title),
                "authors": row.get("authors") or [],
                "announced": row.get("announced"),
                "abs_url": row.get("abs_url"),
                "rank": s.cand.rank + 1,
                "evidence": [],
            },
        )
        paper["evidence"].append(item)
    return {
        "question": question,
        "mode": mode,
        "found": result.found,
        "confidence": round(result.confidence, 3),
        "confidence_label": _label(result.confidence) if result.found else "none",
        "best_score": round(result.best, 4) if math.isfinite(result.best) else None,
        "scoring": "maxsim+lexical" if result.used_maxsim else "lexical",
        "note": ""
        if result.found
        else "No good evidence found: no sentence of the papers "
        "found scores above the floor. Try other words or fewer filters.",
        "evidence": evidence,
        "papers": list(papers.values()),
        "took_ms": round(seconds * 1000, 1),
    }
