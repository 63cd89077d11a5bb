"""The embedded backend: lexical BM25F, dense vectors and MaxSim token rerank in plain files.

Folder layout: `lexical/`, `dense/`, `tokens/` (each written atomically by its part),
`embedded.npz` (which text each embedded key was encoded from) and `embedlog/` (batches the
embedding job finished since the last fold; folded in on load). `state.json` holds the index's
instance id and encoder; what of the store it has applied is kept in the store
(`store.changes`), and readers reload when `state.json` changes (`version()`).

Search modes:
- bm25: the lexical index alone.
- dense: the encoder's cosine alone (papers not embedded yet are invisible to it).
- hybrid: fusion of the lexical and dense top `depth` lists.
- hybrid+rerank: the lexical list re-run with an RM3-expanded query (feedback: the top 10 of
  the hybrid fusion), the dense list, and a third, ColBERT MaxSim of the query's token vectors
  against each candidate's 1-bit token vectors, fused as hybrid is.
Both hybrid modes also fuse a term-proximity list (the user's query terms side by side in a
candidate; index/lexical/proximity.py).
Hybrid modes use whatever is embedded: a paper without vectors still ranks through BM25.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import shutil
import uuid
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np

from paperwire.index.analyze import Analyzer
from paperwire.index.backend import IndexBackend, IndexStatus, Mode, Query
from paperwire.index.base import Doc, Hits, IndexFormatError, top_k
from paperwire.index.dense import DenseIndex
from paperwire.index.embedlog import EmbedLog, text_hash
from paperwire.index.encoders import Encoder, load_encoder
from paperwire.index.fusion import rrf, score_fusion
from paperwire.index.late import TokenStore
from paperwire.index.lexical import LexicalIndex, LexQuery
from paperwire.index.prf import PrfConfig, expand

log = logging.getLogger(__name__)
T = TypeVar("T")
STATE_VERSION = 1
DATE_SORT_POOL = 1000  # sort:date orders this many most relevant matches by date
QUERY_CACHE = 1024  # query vectors remembered
SIMILAR_TERMS = 32  # distinctive terms of a paper's text that make its BM25 query


@dataclass
class FusionConfig:
    """How lists are combined. Defaults picked on SciFact *train* queries (`benchmarks/fusion.py`):
    every list is scored on every candidate of the union (no missing scores), then z-scored and
    summed; train nDCG@10 0.7440 for hybrid+rerank against 0.7399 for the former min-max fusion
    of the lists' own top 100 (test 0.7372 vs 0.7328), before RM3 feedback (`prf`)."""

    method: Literal["rrf", "score"] = "score"
    hybrid_weights: tuple[float, float] = (1.0, 1.0)  # lexical, dense
    rerank_weights: tuple[float, float, float] = (1.0, 1.0, 1.0)  # lexical, dense, maxsim
    depth: int = 100  # candidates taken from each list
    rrf_k: int = 60
    similar_weights: tuple[float, float] = (1.0, 1.0)  # lexical, dense (`paperwire eval similar`)
    normalise: Literal["zscore", "minmax"] = "zscore"
    # RM3 expansion of the lexical query from the first (lexical + dense) fusion, hybrid+rerank
    # only (index/prf.py). Picked on train (benchmarks/fusion.py, stage 2): 10 documents, 10
    # terms, weight 0.2 give 0.7464 against 0.7440 without (test 0.7388 vs 0.7372). It loses on
    # BM25 alone (train 0.6991 at best against 0.7036) and in plain hybrid.
    prf: PrfConfig = field(default_factory=lambda: PrfConfig(fb_docs=10, fb_terms=10, weight=0.2))
    # Weight of a term-proximity list (ordered bigrams of the query's terms, sequential
    # dependence; index/lexical/proximity.py) in hybrid and in hybrid+rerank; 0 leaves it out.
    # Picked on train (benchmarks/fusion.py, stage 4): hybrid 0.7347 -> 0.7414, hybrid+rerank
    # 0.7464 -> 0.7499; test 0.7370 -> 0.7387 and 0.7388 -> 0.7414 (run once, for the picks).
    proximity: tuple[float, float] = (0.1, 0.2)


@dataclass
class IndexState:
    version: int = STATE_VERSION
    instance: str = field(default_factory=lambda: uuid.uuid4().hex)  # see IndexBackend.instance
    encoder: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _damaged_as_format_error(path: Path, load: Callable[[Path], T]) -> T:
    """load(path), any failure to read it (truncated, overwritten, wrong type) as
    IndexFormatError: a damaged file is one clear message, never a traceback."""
    try:
        return load(path)
    except IndexFormatError:
        raise
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as exc:
        raise IndexFormatError(f"{path}: damaged ({exc})") from exc


def _read_state(path: Path) -> IndexState:
    data = json.loads(path.read_text())
    known = {f.name for f in dataclasses.fields(IndexState)}
    if "instance" not in data:  # written before the store kept the sync state: one id, kept
        data["instance"] = "legacy-" + hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:16]
    return IndexState(**{k: v for k, v in data.items() if k in known})


def _read_embedded(path: Path) -> dict[int, int]:
    with np.load(path) as z:
        return dict(zip(z["keys"].tolist(), z["hashes"].tolist(), strict=True))


class EmbeddedIndex(IndexBackend):
    name = "embedded"

    def __init__(
        self,
        folder: Path | None = None,
        *,
        encoder: Encoder | None = None,
        encoder_spec: str | None = None,
        fusion: FusionConfig | None = None,
    ) -> None:
        self.folder = Path(folder) if folder else None
        self._encoder, self.encoder_spec = encoder, encoder_spec
        self.fusion = fusion or FusionConfig()
        self.lexical = LexicalIndex()
        self.dense: DenseIndex | None = None
        self.tokens: TokenStore | None = None
        self.embedded: dict[int, int] = {}  # key -> hash of the text its vectors came from
        self.state = IndexState()
        self._folded_seq = -1
        self._discard_embeddings = False  # a rebuild found them damaged: delete at save
        self.query_vectors: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    # --- opening and saving ------------------------------------------------------------------

    @classmethod
    def open(cls, folder: Path, *, rebuild: bool = False, **kwargs: Any) -> EmbeddedIndex:
        """Load what is in `folder` (an empty index when nothing is there yet).

        A damaged part raises IndexFormatError saying to run `paperwire index build`. With
        `rebuild` (that command: the lexical part is made anew from the store) the lexical part
        is not read, and damaged embeddings are dropped (to be redone by `index embed`) and
        deleted at the next save, so no file needs deleting by hand.
        """
        index = cls(folder, **kwargs)
        folder = Path(folder)
        try:
            if not rebuild and (folder / "lexical").exists():
                index.lexical = _damaged_as_format_error(folder / "lexical", LexicalIndex.load)
            if (folder / "state.json").exists():
                index.state = _damaged_as_format_error(folder / "state.json", _read_state)
            index._load_embeddings(folder)
        except IndexFormatError as exc:
            if not rebuild:
                if "paperwire index build" in str(exc):
                    raise
                hint = "run `paperwire index build` to rebuild the index from the store"
                raise IndexFormatError(f"{exc}; {hint}") from exc
            log.warning("%s: dropping the embeddings (`paperwire index embed` redoes them)", exc)
            index.dense, index.tokens, index.embedded = None, None, {}
            index._folded_seq, index._discard_embeddings = -1, True
            index.state = IndexState(instance=index.state.instance, encoder=None)
        return index

    def _load_embeddings(self, folder: Path) -> None:
        if (folder / "dense").exists():
            self.dense = _damaged_as_format_error(folder / "dense", DenseIndex.load)
        if (folder / "tokens").exists():
            self.tokens = _damaged_as_format_error(folder / "tokens", TokenStore.load)
        if (folder / "embedded.npz").exists():
            self.embedded = _damaged_as_format_error(folder / "embedded.npz", _read_embedded)
        _damaged_as_format_error(folder / "embedlog", lambda _: self._replay_log())

    def _log(self) -> EmbedLog | None:
        return EmbedLog(self.folder / "embedlog") if self.folder else None

    def _replay_log(self) -> None:
        """Fold in batches the embedding job finished after the last save (in memory)."""
        embed_log = self._log()
        for chunk in embed_log.read() if embed_log else []:
            self.add_vectors(chunk.keys, chunk.hashes, chunk.pooled, chunk.tokens)
            self._folded_seq = chunk.seq

    def save(self) -> None:
        """Write every part (each atomically), then the state; then drop folded log chunks."""
        if self.folder is None:
            return
        self.lexical.save(self.folder / "lexical")
        self._save_embeddings()
        self._write_state()

    def _save_embeddings(self) -> None:
        assert self.folder is not None
        if self._discard_embeddings:
            for name in ("dense", "tokens", "embedlog"):
                shutil.rmtree(self.folder / name, ignore_errors=True)
            self._discard_embeddings = False
        if self.dense is not None:
            self.dense.save(self.folder / "dense")
        if self.tokens is not None:
            self.tokens.save(self.folder / "tokens")
        keys = np.fromiter(self.embedded.keys(), np.int64, len(self.embedded))
        hashes = np.fromiter(self.embedded.values(), np.int64, len(self.embedded))
        tmp = self.folder / "embedded.tmp.npz"
        np.savez(tmp, keys=keys, hashes=hashes)
        os.replace(tmp, self.folder / "embedded.npz")
        embed_log = self._log()
        if embed_log is not None and self._folded_seq >= 0:
            embed_log.clear(self._folded_seq)

    def _write_state(self) -> None:
        assert self.folder is not None
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / "state.tmp.json"
        tmp.write_text(json.dumps(asdict(self.state), indent=1))
        os.replace(tmp, self.folder / "state.json")

    # --- the encoder ---------------------------------------------------------------------

    @property
    def encoder(self) -> Encoder:
        if self._encoder is None:
            self._encoder = load_encoder(self.encoder_spec)
        return self._encoder

    def _query_vectors(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        return query_vectors(self.query_vectors, self.encoder, text)

    def remember_query(self, text: str, pooled: np.ndarray, tokens: np.ndarray) -> None:
        self.query_vectors[text] = (pooled, tokens)

    def query_tokens(self, text: str) -> np.ndarray:
        """The query's token vectors (remembered, as the search that came before used them)."""
        return self._query_vectors(text)[1]

    # --- writes --------------------------------------------------------------------------

    def upsert(self, docs: Sequence[Doc]) -> None:
        self.lexical.add(docs)
        stale = [
            d.key
            for d in docs
            if d.key in self.embedded and self.embedded[d.key] != text_hash(d.text())
        ]
        self._drop_vectors(stale)

    def remove(self, keys: Iterable[int]) -> None:
        keys = list(keys)
        self.lexical.remove(keys)
        self._drop_vectors(keys)

    def _drop_vectors(self, keys: list[int]) -> None:
        if not keys:
            return
        for key in keys:
            self.embedded.pop(key, None)
        if self.dense is not None:
            self.dense.remove(keys)
        if self.tokens is not None:
            self.tokens.remove(keys)

    def needs_embedding(self, docs: Sequence[Doc]) -> list[Doc]:
        """The docs whose current text has no vectors yet."""
        return [d for d in docs if self.embedded.get(d.key) != text_hash(d.text())]

    def embed(self, docs: Sequence[Doc], *, batch_size: int = 32) -> None:
        """Encode docs and keep their vectors; each call is one durable log chunk."""
        if not docs:
            return
        pooled, tokens = self.encoder.encode_both(
            [d.text() for d in docs], kind="doc", batch_size=batch_size
        )
        # Through float16 as the log stores them: a replayed log gives the very same index.
        pooled = pooled.astype(np.float16)
        tokens = [np.asarray(t).astype(np.float16) for t in tokens]
        keys = np.array([d.key for d in docs], np.int64)
        hashes = np.array([text_hash(d.text()) for d in docs], np.int64)
        embed_log = self._log()
        if embed_log is not None:
            chunk = embed_log.append(keys.tolist(), hashes.tolist(), pooled, tokens)
            self._folded_seq = int(chunk.stem[6:])
        self.add_vectors(keys, hashes, pooled, tokens)

    def add_vectors(
        self, keys: np.ndarray, hashes: np.ndarray, pooled: np.ndarray, tokens: Sequence[np.ndarray]
    ) -> None:
        if self.dense is None:
            self.dense = DenseIndex(dim=pooled.shape[1], encoder=self.encoder_name())
        if self.tokens is None:
            self.tokens = TokenStore(dim=pooled.shape[1], encoder=self.encoder_name())
        self.dense.add_vectors(keys, pooled.astype(np.float32))
        self.tokens.add(keys, [np.asarray(t, np.float32) for t in tokens])
        self.embedded.update(zip(keys.tolist(), hashes.tolist(), strict=True))

    def encoder_name(self) -> str:
        if self.state.encoder:
            return self.state.encoder
        self.state.encoder = self.encoder.name
        return self.state.encoder

    def fold(self) -> None:
        """Make the embedding job's finished batches part of the saved indexes."""
        if self.folder is not None:
            self._save_embeddings()
            self._write_state()

    # --- search --------------------------------------------------------------------------

    def _lex_query(self, q: Query, *, text: bool = True) -> LexQuery:
        """The query as the lexical index runs it: ranked by relevance (a date sort is done
        here, over the best DATE_SORT_POOL), with or without its text."""
        return dataclasses.replace(q, text=q.text if text else "", sort="relevance")

    def _allowed(self, q: Query) -> np.ndarray | None:
        """Keys meeting the query's constraints (None: no constraint)."""
        if not q.constrained:
            return None
        hits = self.lexical.search(self._lex_query(q, text=False), k=max(1, len(self.lexical)))
        return np.sort(hits.keys)

    def _dense_ready(self) -> bool:
        return self.dense is not None and len(self.dense) > 0

    def search(self, query: Query, *, k: int, mode: Mode = "hybrid") -> Hits:
        if not query.text.strip() and not query.constrained:
            return self._newest(k)  # the empty query: everything, newest first
        if not query.text.strip():
            return self.lexical.search(self._lex_query(query), k=k)  # filters only: by date
        want = max(k, DATE_SORT_POOL) if query.sort == "date" else k
        if mode == "bm25" or not self._dense_ready():
            hits = self.lexical.search(
                self._lex_query(query), k=max(want, self.fusion.depth) if mode != "bm25" else want
            )
        elif mode == "dense":
            qvec, _ = self._query_vectors(query.text)
            hits = self.dense.search(qvec, want, allow=self._allowed(query))  # type: ignore[union-attr]
        else:
            hits = self._hybrid(query, want, rerank=mode == "hybrid+rerank")
        return self._by_date(hits, k) if query.sort == "date" else _first(hits, k)

    def _hybrid(self, query: Query, k: int, *, rerank: bool) -> Hits:
        depth = max(k, self.fusion.depth)
        lexq = self._lex_query(query)
        lexical = self.lexical.search(lexq, k=depth)
        qvec, qtokens = self._query_vectors(query.text)
        dense = self.dense.search(qvec, depth, allow=self._allowed(query))  # type: ignore[union-attr]
        matched = lexical.total  # of the user's query: an expanded one matches more
        lists = self._complete(lexq, qvec, [lexical, dense])
        if rerank and self.fusion.prf.on:  # hybrid alone loses with it (train 0.7277, 0.7362)
            lexq, lexical = self._expanded(lexq, lists, depth)
            lists = self._complete(lexq, qvec, [lexical, dense])
        weights = list(self.fusion.hybrid_weights)
        if rerank and self.tokens is not None and len(self.tokens):
            lists.append(self._maxsim(qtokens, lists))
            weights = list(self.fusion.rerank_weights)
        proximity = self.fusion.proximity[1 if rerank else 0]
        if proximity > 0 and self.fusion.method != "rrf":
            lists.append(self._proximity(query.text, lists))
            weights.append(proximity)
        fused = self._fuse(lists, k, weights=weights)
        fused.total = max(matched, len(fused))
        return fused

    def _proximity(self, text: str, lists: list[Hits]) -> Hits:
        """The ordered-bigram proximity of the user's query terms (not the feedback's) in every
        candidate: BM25 scores the terms one by one (index/lexical/proximity.py)."""
        keys = np.unique(np.concatenate([h.keys for h in lists]))
        return top_k(keys, self.lexical.proximity(text, keys), len(keys))

    def _expanded(self, lexq: LexQuery, lists: list[Hits], depth: int) -> tuple[LexQuery, Hits]:
        """The RM3-expanded lexical query and its hits. Feedback documents are the top of the
        lexical + dense fusion, which are better feedback than BM25's own top (SciFact train
        nDCG@10 of hybrid+rerank 0.7464 against 0.7404 from BM25's top 10) or than the
        reranked fusion's (0.7456, at twice the MaxSim cost): its lists are already there."""
        prf = self.fusion.prf
        first = self._fuse(lists, prf.fb_docs, weights=self.fusion.hybrid_weights)
        expanded = expand(self.lexical, lexq, first, prf)
        return expanded, self.lexical.search(expanded, k=depth)

    def _complete(self, lexq: LexQuery, qvec: np.ndarray, lists: list[Hits]) -> list[Hits]:
        """Each list scored on every candidate of the union, so that no score is missing: BM25
        of a dense-only candidate is its true score (absent: no query term, 0), the cosine of a
        lexical-only one likewise (absent: no vector yet). A few hundred lookups: ~1 ms."""
        if self.fusion.method == "rrf":
            return lists  # ranks of the lists' own top-k: completing would change what RRF means
        union = np.unique(np.concatenate([h.keys for h in lists]))
        if not len(union):
            return lists
        scored = np.zeros(len(union), np.float32)  # no query term: BM25 0, a true score
        if lexq.text.strip():  # no text: `allow` alone would list every candidate, scored 0
            found = self.lexical.search(lexq, k=len(union), allow=union)
            scored[np.searchsorted(union, found.keys)] = found.scores
        lexical = top_k(union, scored, len(union))
        dense = self.dense.search(qvec, len(union), allow=union)  # type: ignore[union-attr]
        return [lexical, dense]

    def _maxsim(self, qtokens: np.ndarray, lists: list[Hits]) -> Hits:
        keys = np.unique(np.concatenate([h.keys for h in lists]))
        scores = self.tokens.maxsim(qtokens, keys)  # type: ignore[union-attr]
        keep = np.isfinite(scores)
        return top_k(keys[keep], scores[keep], len(keys))

    def _fuse(self, lists: list[Hits], k: int, weights: Sequence[float] | None = None) -> Hits:
        return fuse(self.fusion, lists, k, weights)

    def _newest(self, k: int) -> Hits:
        keys = self.lexical.keys()
        order = np.lexsort((keys, -self.lexical.days(keys)))[:k]
        return Hits(keys[order], np.zeros(len(order), np.float32), len(keys))

    def _by_date(self, hits: Hits, k: int) -> Hits:
        days = self.lexical.days(hits.keys)
        order = np.lexsort((hits.keys, -hits.scores, -days))[:k]
        return Hits(hits.keys[order], hits.scores[order], hits.total)

    # --- similar -------------------------------------------------------------------------

    def similar(
        self,
        *,
        keys: Sequence[int] = (),
        text: str | None = None,
        k: int,
        query: Query | None = None,
    ) -> Hits:
        """Dense neighbours of the papers' mean vector (or of the text's), fused with BM25 over
        the text's distinctive terms; the given papers themselves are left out."""
        lists = self.similar_lists(keys=keys, text=text, k=k, query=query)
        if not lists:
            return Hits.empty()
        if len(lists) == 1:
            return _first(next(iter(lists.values())), k)
        return self._fuse(list(lists.values()), k, weights=self.fusion.similar_weights)

    def similar_lists(
        self,
        *,
        keys: Sequence[int] = (),
        text: str | None = None,
        k: int,
        query: Query | None = None,
    ) -> dict[str, Hits]:
        """The lists `similar` fuses ("lexical", "dense"; those it can make), each scored on
        every candidate of both when both exist, the given papers left out."""
        query = query or Query()
        exclude = np.asarray(sorted(set(keys)), np.int64)
        depth = max(k + len(exclude), self.fusion.depth)
        lists: dict[str, Hits] = {}
        lexq = None
        if text:
            terms = self.lexical.distinctive_terms(text, SIMILAR_TERMS)
            lexq = dataclasses.replace(self._lex_query(query, text=False), text=terms, phrases=())
            lists["lexical"] = self.lexical.search(lexq, k=depth)
        vec = self._similar_vector(exclude, text)
        if vec is not None:
            lists["dense"] = self.dense.search(vec, depth, allow=self._allowed(query))  # type: ignore[union-attr]
        if len(lists) == 2 and self.fusion.method != "rrf":
            assert lexq is not None and vec is not None
            done = self._complete(lexq, vec, list(lists.values()))
            lists = dict(zip(lists, done, strict=True))
        return {name: _without(h, exclude) for name, h in lists.items()}

    def _similar_vector(self, keys: np.ndarray, text: str | None) -> np.ndarray | None:
        if not self._dense_ready():
            return None
        if len(keys):
            found, vecs = self.dense.vectors(keys)  # type: ignore[union-attr]
            if found.any():
                mean = vecs[found].mean(axis=0)
                return mean / max(float(np.linalg.norm(mean)), 1e-12)
        if text:
            return self.encoder.encode([text], kind="doc")[0]
        return None

    # --- status --------------------------------------------------------------------------

    def status(self) -> IndexStatus:
        return IndexStatus(
            backend=self.name,
            papers_indexed=len(self.lexical),
            papers_embedded=len(self.dense) if self.dense is not None else 0,
            token_vectors=len(self.tokens) if self.tokens is not None else 0,
            encoder=self.state.encoder,
            details={
                "lexical": self.lexical.stats(),
                "pending_log_chunks": len(self._log().chunks()) if self.folder else 0,  # type: ignore[union-attr]
                "fusion": asdict(self.fusion),
            },
        )

    # --- identity, and what other layers read ----------------------------------------------

    def instance(self) -> str:
        return self.state.instance

    def version(self) -> str:
        """state.json's modification time: every save (index update, embedding fold) writes it
        last, after the parts it describes."""
        if self.folder is None:
            return ""
        try:
            return str((self.folder / "state.json").stat().st_mtime_ns)
        except OSError:
            return ""

    def __len__(self) -> int:
        return len(self.lexical)

    def days(self, keys: np.ndarray) -> np.ndarray:
        return self.lexical.days(keys)

    def embedded_keys(self) -> np.ndarray:
        return self.dense.keys() if self.dense is not None else np.zeros(0, np.int64)

    def vectors(self, keys: np.ndarray | Iterable[int]) -> tuple[np.ndarray, np.ndarray]:
        if self.dense is None:
            n = len(np.asarray(list(keys) if not isinstance(keys, np.ndarray) else keys))
            return np.zeros(n, bool), np.zeros((n, 0), np.float32)
        return self.dense.vectors(keys)

    def by_vector(self, weights: np.ndarray, k: int, *, allow: np.ndarray | None = None) -> Hits:
        if self.dense is None:
            return Hits.empty()
        return self.dense.best_by_dot(weights, k, allow=allow)

    @property
    def analyzer(self) -> Analyzer:
        return self.lexical.analyzer

    def doc_freqs(self, terms: Sequence[str]) -> np.ndarray:
        return np.array([self.lexical.doc_freq(t) for t in terms], np.int64)

    def token_sims(
        self, qtokens: np.ndarray, keys: Sequence[int], hashes: Sequence[int]
    ) -> list[np.ndarray | None]:
        out: list[np.ndarray | None] = [None] * len(keys)
        store = self.tokens
        fresh = [i for i, key in enumerate(keys) if self.embedded.get(key) == hashes[i]]
        q = np.asarray(qtokens, np.float32)
        if store is None or not len(store) or not fresh or not len(q):
            return out
        bits, lens = store.doc_bits([keys[i] for i in fresh])
        # sign(v).q = 2 bits.q - sum(q), the sign vector scaled by 1/sqrt(d) (as TokenStore.maxsim)
        ones = np.unpackbits(bits, axis=1, count=store.dim).astype(np.float32)
        sims = (2.0 * (ones @ q.T) - q.sum(axis=1)) / np.float32(np.sqrt(store.dim))
        ends = np.cumsum(lens)
        for j, i in enumerate(fresh):
            if lens[j]:
                out[i] = sims[ends[j] - lens[j] : ends[j]]
        return out


def query_vectors(
    cache: dict[str, tuple[np.ndarray, np.ndarray]], encoder: Encoder, text: str
) -> tuple[np.ndarray, np.ndarray]:
    """(pooled, token vectors) of a query, remembered in `cache` for the most recent queries
    (every backend encodes its queries through here)."""
    found = cache.get(text)
    if found is None:
        pooled, tokens = encoder.encode_both([text], kind="query")
        found = cache[text] = (pooled[0], tokens[0])
        while len(cache) > QUERY_CACHE:
            cache.pop(next(iter(cache)))
    return found


def fuse(
    fusion: FusionConfig, lists: list[Hits], k: int, weights: Sequence[float] | None = None
) -> Hits:
    """The lists fused as `fusion` says (every backend fuses through here): lexical + dense, or
    lexical + dense + MaxSim, or the two lists of `similar` with `weights`."""
    if weights is None:
        weights = fusion.rerank_weights if len(lists) == 3 else fusion.hybrid_weights
    if fusion.method == "rrf":
        return rrf(lists, k=k, weights=list(weights), rrf_k=fusion.rrf_k)
    # Completed lists hold every candidate, except that the dense and MaxSim lists lack a
    # paper without vectors yet: unknown is not bad, so it takes the list's mean (z = 0).
    floors = [float(h.scores.mean()) if len(h) else None for h in lists]
    return score_fusion(lists, k=k, weights=list(weights), floors=floors, method=fusion.normalise)


def _first(hits: Hits, k: int) -> Hits:
    return Hits(hits.keys[:k], hits.scores[:k], hits.total)


def _without(hits: Hits, exclude: np.ndarray) -> Hits:
    if not len(exclude):
        return hits
    keep = ~np.isin(hits.keys, exclude)
    return Hits(hits.keys[keep], hits.scores[keep], hits.total)
