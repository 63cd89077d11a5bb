"""The lexical index: vocabulary, document frequencies, add/remove, search, save/load, and the
merge policy (tiered: see the package docstring)."""

from __future__ import annotations

import json
import logging
import math
import re
import threading
from array import array
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from paperwire.days import day_of
from paperwire.index.analyze import Analyzer
from paperwire.index.base import (
    Doc,
    Hits,
    IndexFormatError,
    atomic_dir,
    read_meta,
    write_meta,
)
from paperwire.index.lexical.proximity import proximity as ordered_proximity
from paperwire.index.lexical.query import LexQuery, Search
from paperwire.index.lexical.segments import (
    EMPTY_U32,
    FIELDS,
    Encoded,
    Segment,
    build_segment,
    check_segment,
    concat_segments,
    doc_lengths,
    gather_ranges,
    load_segment,
    save_segment,
)
from paperwire.index.names import author_tokens

log = logging.getLogger(__name__)

KIND = "lexical"
LAYOUT_VERSION = 1  # of the files inside the folder; base.FORMAT_VERSION covers meta.json
# Picked on SciFact *train* (benchmarks/lexical.py --scifact, 120 settings): title 3, k1 1.5,
# b 0.75 gives train nDCG@10 0.7036 (the argmax, title 4 / b 0.9, 0.7037: a tie), test 0.6928;
# title weight 1 (one flat field, as bm25s) gives 0.6857 on test, unstemmed at best 0.6737.
DEFAULT_WEIGHTS: Mapping[str, float] = {"title": 3.0, "abstract": 1.0, "authors": 1.0}
_BUILD_CHUNK = 1 << 17  # docs per build step: bounds the build's temporary arrays (~0.3 GB)


def filter_tokens(doc: Doc) -> list[str]:
    """The exact filter tokens a document is indexed under."""
    tokens = [f"cat:{c.strip().lower()}" for c in doc.categories if c.strip()]
    for name in doc.authors:
        tokens.extend(author_tokens(name))
    if doc.day is not None and doc.day >= 0:
        tokens.append(f"year:{day_of(doc.day).year}")
    if doc.has_code:
        tokens.append("has:code")
    return list(dict.fromkeys(tokens))


class _WordIds(dict[str, int]):
    """word -> term id (-1: dropped), filled on first sight: the hot loop of indexing."""

    def __init__(self, index: LexicalIndex) -> None:
        super().__init__()
        self.index = index

    def __missing__(self, word: str) -> int:
        term = self.index.analyzer.term(word)
        tid = self.index._term_id(term) if term else -1
        self[word] = tid
        return tid


class LexicalIndex:
    """BM25F over title, abstract and authors, with filters, phrases and date sorting.

    Searches may run in several threads at once; writes (add, remove, merge, save) need the
    caller to hold off searches (one writer, as the store does)."""

    def __init__(
        self,
        *,
        k1: float = 1.5,
        b: float = 0.75,
        weights: Mapping[str, float] | None = None,
        analyzer: Analyzer | None = None,
        merge_factor: int = 10,
        max_segments: int = 16,
    ) -> None:
        given = dict(DEFAULT_WEIGHTS if weights is None else weights)
        unknown = set(given) - set(FIELDS)
        if unknown:
            raise ValueError(f"unknown fields {sorted(unknown)}: allowed are {list(FIELDS)}")
        self.k1, self.b = float(k1), float(b)
        self.weights = np.array([float(given.get(f, 0.0)) for f in FIELDS], np.float32)
        self.analyzer = analyzer or Analyzer()
        self.merge_factor, self.max_segments = merge_factor, max_segments
        self.terms: list[str] = []
        self.vocab: dict[str, int] = {}
        self._df = np.zeros(0, np.int64)  # live docs per scored term (filter tokens stay 0)
        self.segments: list[Segment] = []
        self._n_live = 0
        self._total_len = 0.0  # weighted length summed over live docs
        self._word_ids = _WordIds(self)
        self._local = threading.local()  # per-thread score buffers: searches may run in threads

    # --- vocabulary and counts

    def _term_id(self, term: str) -> int:
        tid = self.vocab.get(term)
        if tid is None:
            tid = self.vocab[term] = len(self.terms)
            self.terms.append(term)
        return tid

    def _grow_df(self) -> None:
        if len(self._df) < len(self.terms):
            grown = np.zeros(max(len(self.terms), 2 * len(self._df)), np.int64)
            grown[: len(self._df)] = self._df
            self._df = grown

    def doc_freq(self, term: str) -> int:
        """Live documents containing an index term (an analysed term such as "model", or a
        filter token such as "cat:cs.lg")."""
        tid = self.vocab.get(term)
        if tid is None:
            return 0
        if ":" not in term:
            return int(self._df[tid]) if tid < len(self._df) else 0
        return sum(int(np.count_nonzero(s.live[s.filter_postings(tid)])) for s in self.segments)

    def __len__(self) -> int:
        return self._n_live

    def keys(self) -> np.ndarray:
        """Live keys, ascending."""
        if not self.segments:
            return np.zeros(0, np.int64)
        return np.sort(np.concatenate([s.keys[s.live] for s in self.segments]))

    def stats(self) -> dict[str, int]:
        return {
            "docs": self._n_live,
            "segments": len(self.segments),
            "terms": len(self.terms),
            "postings": sum(len(s.docs) for s in self.segments),
            "bytes": sum(s.nbytes() for s in self.segments) + self._df.nbytes,
        }

    def avgdl(self) -> float:
        return self._total_len / self._n_live if self._n_live else 0.0

    # --- adding and removing

    def add(self, docs: Sequence[Doc]) -> None:
        unique = list({d.key: d for d in docs}.values())  # the last copy of a key wins
        if not unique:
            return
        keys = np.array([d.key for d in unique], np.int64)
        if keys.min() < 0:
            raise ValueError("document keys must be non-negative")
        self.remove(keys)
        enc = self._encode(unique)
        dl = doc_lengths(enc.fwd_off, self.weights)
        total = self._total_len + float(dl.sum(dtype=np.float64))
        avgdl = total / (self._n_live + len(unique))
        parts = [
            build_segment(enc.slice(a, a + _BUILD_CHUNK), self.weights, self.k1, self.b, avgdl)
            for a in range(0, len(unique), _BUILD_CHUNK)
        ]
        seg = parts[0] if len(parts) == 1 else concat_segments(parts, len(self.terms))
        del parts, enc
        self._grow_df()
        self._df[seg.tids] += np.diff(seg.indptr)  # a term's run length is its df here
        self._n_live += seg.n
        self._total_len = total
        self.segments.append(seg)
        self._auto_merge()

    def _encode(self, docs: Sequence[Doc]) -> Encoded:
        get, words = self._word_ids.__getitem__, self.analyzer.words
        # array("i") holds 4 bytes a token (a list of ints ~36: 6 GB at 1M docs); dropped
        # words (-1) are filtered afterwards in numpy, faster than a filter per field here.
        tokens, offs, ftoks, foffs = array("i"), array("q", [0]), array("I"), array("q", [0])
        for d in docs:
            for text in (d.title, d.abstract, " ".join(d.authors)):
                tokens.extend(map(get, words(text)))
                offs.append(len(tokens))
            ftoks.extend([self._term_id(t) for t in filter_tokens(d)])
            foffs.append(len(ftoks))
        raw = np.frombuffer(tokens, np.int32) if tokens else np.zeros(0, np.int32)
        dropped = np.flatnonzero(raw < 0)
        offsets = np.frombuffer(offs, np.int64)
        return Encoded(
            keys=np.array([d.key for d in docs], np.int64),
            day=np.array([-1 if d.day is None else d.day for d in docs], np.int32),
            fwd=raw[raw >= 0].astype(np.uint32),
            fwd_off=offsets - np.searchsorted(dropped, offsets),  # minus drops before each
            filt=np.frombuffer(ftoks, np.uint32) if ftoks else EMPTY_U32,
            filt_off=np.frombuffer(foffs, np.int64).copy(),
        )

    def remove(self, keys: Iterable[int]) -> None:
        wanted = np.unique(np.fromiter(keys, np.int64))
        if len(wanted) == 0:
            return
        self._grow_df()
        for seg in self.segments:
            ords = seg.ordinals(wanted)
            ords = ords[seg.live[ords]]
            if len(ords) == 0:
                continue
            seg.live[ords] = False
            self._df[: len(self.terms)] -= np.bincount(
                self._doc_terms(seg, ords), minlength=len(self.terms)
            )
            self._n_live -= len(ords)
            self._total_len -= float(seg.dl[ords].sum(dtype=np.float64))
        if self._n_live == 0:
            self._total_len = 0.0  # no float residue once empty

    def _doc_terms(self, seg: Segment, ords: np.ndarray) -> np.ndarray:
        """Distinct scored term ids of each of these docs (with repeats across docs)."""
        off = seg.fwd_off
        out = []
        for f, w in enumerate(self.weights):
            if w <= 0:
                continue
            s, e = off[3 * ords + f], off[3 * ords + f + 1]
            out.append((gather_ranges(seg.fwd, s, e), np.repeat(ords.astype(np.int64), e - s)))
        toks = np.concatenate([t for t, _ in out]).astype(np.int64)
        owner = np.concatenate([o for _, o in out])
        return np.unique(owner * (len(self.terms) + 1) + toks) % (len(self.terms) + 1)

    # --- merging

    def merge(self, *, force: bool = False) -> None:
        """Apply the tiered merge policy (see the module docstring); `force` merges every
        segment into one. Scores are unchanged either way; tombstoned docs are dropped."""
        if force:
            if len(self.segments) > 1 or any(s.n_live() < s.n for s in self.segments):
                self._replace(list(range(len(self.segments))))
            return
        self._auto_merge()

    def _auto_merge(self) -> None:
        while True:
            group = self._merge_candidates()
            if not group:
                return
            self._replace(group)

    def _merge_candidates(self) -> list[int]:
        tiers: dict[int, list[int]] = {}
        for i, s in enumerate(self.segments):
            live = s.n_live()
            if live * 2 < s.n and s.n > 1000:
                return [i]  # mostly removed docs: rewrite it alone to reclaim the space
            tier = int(math.log(live, self.merge_factor)) if live > 0 else -1
            tiers.setdefault(tier, []).append(i)
        for tier in sorted(tiers):
            if tier == -1 or len(tiers[tier]) >= self.merge_factor:
                return tiers[tier] if tier == -1 else tiers[tier][: self.merge_factor]
        if len(self.segments) > self.max_segments:
            by_size = sorted(range(len(self.segments)), key=lambda i: self.segments[i].n_live())
            return sorted(by_size[: len(self.segments) - self.max_segments + 1])
        return []

    def _replace(self, group: list[int]) -> None:
        chosen = [self.segments[i] for i in group]
        merged = concat_segments(chosen, len(self.terms))
        log.debug("merged %d segments into %d docs", len(chosen), merged.n)
        keep = [s for i, s in enumerate(self.segments) if i not in set(group)]
        self.segments = [*keep, merged] if merged.n else keep

    # --- searching: see the second half of this module

    def search(
        self, query: LexQuery | str, k: int = 10, *, allow: np.ndarray | None = None
    ) -> Hits:
        """The k best matches. `allow`: sorted int64 keys, the only ones that may be returned.

        `Hits.total` is the exact number of matching documents, except for phrase queries whose
        candidates are too many to verify them all (over ~300k tokens to scan, about 2,000
        abstracts): then it counts the verified matches, a lower bound."""
        q = LexQuery(text=query) if isinstance(query, str) else query
        return Search(self, q, k, allow).run()

    def _buffer(self, name: str, n: int) -> np.ndarray:
        """A float32 scratch array of this thread, grown as needed (contents undefined)."""
        buf: np.ndarray | None = getattr(self._local, name, None)
        if buf is None or len(buf) < n:
            buf = np.zeros(n, np.float32)
            setattr(self._local, name, buf)
        return buf[:n]

    def days(self, keys: np.ndarray) -> np.ndarray:
        """Listing day per key (days since 1970-01-01; -1 unknown or not indexed)."""
        keys = np.asarray(keys, np.int64)
        out = np.full(len(keys), -1, np.int64)
        for seg in self.segments:
            if not seg.n:
                continue
            pos = np.minimum(np.searchsorted(seg.skeys, keys), seg.n - 1)
            hit = seg.skeys[pos] == keys
            ords = seg.sperm[pos[hit]]
            live = seg.live[ords]
            out[np.flatnonzero(hit)[live]] = seg.day[ords[live]]
        return out

    def distinctive_terms(self, text: str, n: int = 32) -> str:
        """The text's n words with the highest tf-idf here, as a query string ("more like
        this"): a long pasted abstract becomes a short, fast OR query. URLs, single letters
        (formula variables), numbers and years ("2005b") are left out: rare, so high idf, but
        they say nothing about the topic."""
        counts: dict[str, int] = {}
        word_of: dict[str, str] = {}
        for word in self.analyzer.words(_URL.sub(" ", text)):
            if not _distinctive_word(word):
                continue
            term = self.analyzer.term(word)
            if term and term in self.vocab:
                counts[term] = counts.get(term, 0) + 1
                word_of.setdefault(term, word)
        if not counts:
            return ""
        terms = list(counts)
        tids = np.array([self.vocab[t] for t in terms], np.int64)
        weight = np.array([counts[t] for t in terms]) * self.idf(tids)
        order = np.lexsort((np.array(terms), -weight))[:n]
        return " ".join(word_of[terms[i]] for i in order)

    def proximity(self, text: str, keys: np.ndarray) -> np.ndarray:
        """Ordered-bigram proximity of the text's terms in each of `keys` (see proximity.py)."""
        return ordered_proximity(self, text, keys)

    def idf(self, tids: np.ndarray) -> np.ndarray:
        """Lucene BM25 idf of global term ids, from live document frequencies."""
        df = self._df[tids].astype(np.float64)
        return np.log1p((self._n_live - df + 0.5) / (df + 0.5))

    # --- persistence

    def save(self, path: Path) -> None:
        path = Path(path)
        names = []
        with atomic_dir(path) as tmp:
            for i, seg in enumerate(self.segments):
                name = f"seg-{i:04d}"
                save_segment(seg, tmp / name)
                names.append(name)
            np.save(tmp / "df.npy", self._df[: len(self.terms)])
            (tmp / "vocab.json").write_text(json.dumps(self.terms, ensure_ascii=False))
            write_meta(tmp, KIND, **self._params(), segments=names, docs=self._n_live,
                       total_len=self._total_len, terms=len(self.terms))  # fmt: skip
        for name, seg in zip(names, self.segments, strict=True):
            seg.source = path / name

    def _params(self) -> dict[str, Any]:
        return {
            "layout_version": LAYOUT_VERSION,
            "k1": self.k1,
            "b": self.b,
            "weights": dict(zip(FIELDS, map(float, self.weights), strict=True)),
            "analyzer": self.analyzer.config(),
            "merge_factor": self.merge_factor,
            "max_segments": self.max_segments,
        }

    @classmethod
    def load(cls, path: Path) -> LexicalIndex:
        path = Path(path)
        meta = read_meta(path, KIND)
        try:
            if meta.get("layout_version") != LAYOUT_VERSION:
                raise ValueError(f"layout v{meta.get('layout_version')}, not v{LAYOUT_VERSION}")
            index = cls(
                k1=meta["k1"], b=meta["b"], weights=meta["weights"],
                analyzer=Analyzer.from_config(meta["analyzer"]),
                merge_factor=meta["merge_factor"], max_segments=meta["max_segments"],
            )  # fmt: skip
            index.terms = list(json.loads((path / "vocab.json").read_text()))
            index.vocab = {t: i for i, t in enumerate(index.terms)}
            index._df = np.array(np.load(path / "df.npy"), np.int64)
            index.segments = [load_segment(path / name) for name in meta["segments"]]
            index._n_live, index._total_len = int(meta["docs"]), float(meta["total_len"])
            index._check(len(index.terms))
        except (OSError, ValueError, KeyError, TypeError, EOFError) as exc:
            raise IndexFormatError(f"{path}: damaged lexical index ({exc})") from exc
        return index

    def _check(self, vocab: int) -> None:
        if len(self._df) != vocab:
            raise ValueError("df and vocabulary differ in length")
        if sum(s.n_live() for s in self.segments) != self._n_live:
            raise ValueError("live document count does not match the segments")
        for s in self.segments:
            check_segment(s, vocab)


_URL = re.compile(r"(?:https?://|www\.)\S+|\S+\.(?:com|org|io|net)/\S*", re.I)
_URL_WORDS = frozenset(
    ["http", "https", "www", "github", "gitlab", "com", "org", "io", "net", "html", "huggingface"]
)
_NUMBERISH = re.compile(r"\d+(?:\.\d+)?|(?:19|20)\d\d[a-z]|[a-z]")  # 42, 0.5, 2005b, x


def _distinctive_word(word: str) -> bool:
    return not (_NUMBERISH.fullmatch(word) or word in _URL_WORDS)
