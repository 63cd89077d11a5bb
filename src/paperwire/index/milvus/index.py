"""MilvusIndex: the search index in a Milvus server that every host shares.

Same modes and features as `EmbeddedIndex`, through the same fusion (`embedded.fuse`) and the
same RM3 relevance model (`prf`); what differs is where each list comes from:
- bm25: Milvus's BM25 function over our analyzer's terms (see `schema`), filters as a Milvus
  expression (see `filters`), phrases verified on the candidates' stored terms.
- dense: Milvus's inner-product search over the encoder's vectors, same filters.
- hybrid: both top `depth` lists, each scored on every candidate of the union (as embedded's
  `_complete`), then fused. Dense: the exact cosine from the candidates' stored vectors.
  BM25: read from a deeper BM25 list (LEX_COMPLETE hits), not from a search restricted to the
  candidates, because Milvus Lite computes BM25 IDF over the rows a filter leaves (measured:
  one document scores 1.36 unfiltered, 0.41 under `pk in [..]`).
- hybrid+rerank: the lexical list re-run with the RM3-expanded query (feedback: the top of the
  first fusion; the documents' term counts read from their stored analysed text), plus ColBERT
  MaxSim over the union, token bits read from `tokens` (the shared store, see `tokens.py`).
  Milvus's BM25 function takes query text, not term weights, so the weighted expanded query
  is text with each term repeated in proportion to its weight (the function counts a term's
  repeats in the query, as the lexical index's weighted query would weigh it).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, replace
from typing import Any

import numpy as np

from paperwire.index.analyze import Analyzer
from paperwire.index.backend import IndexBackend, IndexStatus, Mode, Query
from paperwire.index.base import Doc, Hits, top_k
from paperwire.index.embedded import (
    DATE_SORT_POOL,
    SIMILAR_TERMS,
    FusionConfig,
    fuse,
    query_vectors,
)
from paperwire.index.embedlog import text_hash
from paperwire.index.encoders import Encoder, load_encoder
from paperwire.index.lexical.proximity import proximity_of_spans, term_pairs
from paperwire.index.milvus import filters, schema
from paperwire.index.milvus.client import Connection
from paperwire.index.milvus.tokens import MemoryTokens, StoreTokens, TokenSource
from paperwire.index.prf import mix, relevance_model_of
from paperwire.store import Store

log = logging.getLogger(__name__)
BATCH = 500  # rows per insert / keys per lookup: well under gRPC's 64 MB message limit
MAX_LIMIT = 16_384  # Milvus's top-k ceiling
LEX_COMPLETE = 1000  # BM25 hits read to score the hybrid candidates (see _complete_lexical)
PHRASE_OVERFETCH = 4  # candidates fetched per wanted hit when phrases must be verified
ROW_FIELDS = ["pk", "text", "title_n", "abstract_n"]
MIN_REPEATS, MAX_REPEATS = 4, 200  # query-text repeats of a weighted term (see _weighted)
DF_CACHE = 4096  # document frequencies remembered (each is a count query on the server)


class MilvusIndex(IndexBackend):
    def __init__(
        self,
        conn: Connection,
        *,
        encoder: Encoder | None = None,
        encoder_spec: str | None = None,
        fusion: FusionConfig | None = None,
        tokens: TokenSource | None = None,
        token_db: Store | None = None,
    ) -> None:
        self.conn, self.name = conn, conn.address.name
        self.collection = conn.address.collection
        self._encoder, self.encoder_spec = encoder, encoder_spec
        self.fusion = fusion or FusionConfig()
        self._analyzer = Analyzer()
        self._tokens, self._token_db = tokens, token_db
        self.state: dict[str, Any] = {}
        self.query_vectors: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._has_vectors = False
        self._dfs: dict[str, int] = {}

    # --- the collections -----------------------------------------------------------------

    @property
    def meta_name(self) -> str:
        return self.collection + schema.META_SUFFIX

    def ensure(self) -> MilvusIndex:
        """Create the collections if missing, and read (or first write) the index's state."""
        if not self._call("list collections", "has_collection", self.collection):
            schema.create_papers(self.conn.client, self.collection, self.encoder.dim)
        if not self._call("list collections", "has_collection", self.meta_name):
            schema.create_meta(self.conn.client, self.meta_name)
        self.state = self._read_state() or {}
        if not self.state.get("instance"):  # a new collection: its id, kept from now on
            self.state = {"instance": uuid.uuid4().hex, "encoder": None, "saved": ""}
            self._write_state()
        return self

    def drop(self) -> None:
        """Delete both collections (a rebuild from the store starts from nothing)."""
        for name in (self.collection, self.meta_name):
            if self._call("list collections", "has_collection", name):
                self._call("drop collection", "drop_collection", name)

    def _call(self, what: str, method: str, *args: Any, **kwargs: Any) -> Any:
        return self.conn.call(what, method, *args, **kwargs)

    def _read_state(self) -> dict[str, Any] | None:
        rows = self._call("read state", "get", self.meta_name, ids=[0], output_fields=["state"])
        return dict(json.loads(rows[0]["state"])) if rows else None

    def _write_state(self) -> None:
        data = [{"id": 0, "state": json.dumps(self.state), "v": [0.0, 0.0]}]
        self._call("write state", "upsert", self.meta_name, data=data)
        self._call("flush", "flush", self.meta_name)

    @property
    def encoder(self) -> Encoder:
        if self._encoder is None:
            self._encoder = load_encoder(self.encoder_spec)
        return self._encoder

    @property
    def analyzer(self) -> Analyzer:
        return self._analyzer

    @property
    def tokens(self) -> TokenSource:
        if self._tokens is None:
            dim, db = self.encoder.dim, self._token_db
            self._tokens = StoreTokens(db, dim) if db is not None else MemoryTokens(dim)
        return self._tokens

    # --- identity and sync ---------------------------------------------------------------

    def instance(self) -> str:
        return str(self.state.get("instance", ""))

    def version(self) -> str:
        """The state row's `saved` token: every save (index update, embedding fold) makes a
        new one, after the rows it covers were flushed."""
        state = self._read_state() or {}
        return f"{state.get('instance', '')}:{state.get('saved', '')}"

    # --- writes --------------------------------------------------------------------------

    def upsert(self, docs: Sequence[Doc]) -> None:
        """Write the papers' rows; a paper whose text is unchanged keeps its vector."""
        for start in range(0, len(docs), BATCH):
            batch = docs[start : start + BATCH]
            kept = self._vectors([d.key for d in batch])
            rows, stale = [], []
            for doc in batch:
                vec, old_hash = kept.get(doc.key, (None, 0))
                same = vec is not None and old_hash == text_hash(doc.text())
                if vec is not None and not same:
                    stale.append(doc.key)
                rows.append(self._row(doc, vec if same else None, old_hash))
            self._call("write papers", "upsert", self.collection, data=rows)
            if stale:
                self.tokens.remove(stale)

    def _row(self, doc: Doc, vec: np.ndarray | None, vec_hash: int) -> dict[str, Any]:
        return schema.paper_row(
            doc, self.analyzer, self.encoder.dim, vector=vec, vector_hash=vec_hash
        )

    def remove(self, keys: Iterable[int]) -> None:
        keys = [int(k) for k in keys]
        for start in range(0, len(keys), BATCH):
            chunk = keys[start : start + BATCH]
            self._call("delete papers", "delete", self.collection, filter=filters.keys_in(chunk))
        if keys:
            self.tokens.remove(keys)

    def save(self) -> None:
        """Make writes durable on the server, then write a new `saved` token (readers reload)."""
        self._call("flush", "flush", self.collection)
        self.state["saved"] = uuid.uuid4().hex
        self._write_state()

    # --- the embedding job ---------------------------------------------------------------

    def needs_embedding(self, docs: Sequence[Doc]) -> list[Doc]:
        hashes = {k: h for k, (_, h) in self._vectors([d.key for d in docs]).items()}
        return [d for d in docs if hashes.get(d.key) != text_hash(d.text())]

    def embed(self, docs: Sequence[Doc], *, batch_size: int = 32) -> None:
        """Encode docs and write their vectors (Milvus) and token bits (`tokens`): durable at
        once, so a killed job resumes without redoing this batch."""
        if not docs:
            return
        pooled, tokens = self.encoder.encode_both(
            [d.text() for d in docs], kind="doc", batch_size=batch_size
        )
        rows = {d.key: d for d in docs}
        hashes = np.array([text_hash(d.text()) for d in docs], np.int64)
        keys = np.array([d.key for d in docs], np.int64)
        self._write_vectors(keys, hashes, pooled, tokens, rows)

    def add_vectors(
        self, keys: np.ndarray, hashes: np.ndarray, pooled: np.ndarray, tokens: Sequence[np.ndarray]
    ) -> None:
        """Vectors computed elsewhere, for keys already upserted (their rows are read back)."""
        self._write_vectors(np.asarray(keys, np.int64), np.asarray(hashes, np.int64), pooled,
                            tokens, None)  # fmt: skip

    def _write_vectors(
        self,
        keys: np.ndarray,
        hashes: np.ndarray,
        pooled: np.ndarray,
        tokens: Sequence[np.ndarray],
        docs: dict[int, Doc] | None,
    ) -> None:
        # Through float16 as the embedded index keeps them: both backends rank the same vectors.
        pooled = np.asarray(pooled).astype(np.float16).astype(np.float32)
        for start in range(0, len(keys), BATCH):
            part = slice(start, start + BATCH)
            chunk = keys[part].tolist()
            stored = {int(r["pk"]): r for r in self._get(chunk, schema.SCALAR_FIELDS)}
            rows = []
            for key, vec, h in zip(chunk, pooled[part], hashes[part].tolist(), strict=True):
                if docs is not None and key in docs:
                    rows.append(self._row(docs[key], vec, h))
                elif key in stored:
                    rows.append(schema.with_vector(stored[key], vec, h))
            if rows:
                self._call("write vectors", "upsert", self.collection, data=rows)
        self.tokens.add(keys, hashes, [np.asarray(t, np.float32) for t in tokens])
        if self.state.get("encoder") is None and len(keys):
            self.state["encoder"] = self.encoder.name

    def fold(self) -> None:
        """Each batch is on the server as it is embedded: only readers are told (a new token)."""
        self.save()

    # --- reads of stored rows ------------------------------------------------------------

    def _query(self, expr: str, fields: list[str]) -> list[dict[str, Any]]:
        """Every row matching `expr` (paged by Milvus's query iterator)."""
        it = self._call("read papers", "query_iterator", self.collection, batch_size=2000,
                        filter=expr or "pk >= 0", output_fields=fields)  # fmt: skip
        out: list[dict[str, Any]] = []
        try:
            while batch := self.conn._retry("read papers", it.next):
                out.extend(batch)
        finally:
            it.close()
        return out

    def _get(self, keys: Sequence[int], fields: list[str]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for start in range(0, len(keys), BATCH):
            chunk = [int(k) for k in keys[start : start + BATCH]]
            out.extend(
                self._call("read papers", "get", self.collection, ids=chunk, output_fields=fields)
            )
        return out

    def _vectors(self, keys: Sequence[int]) -> dict[int, tuple[np.ndarray, int]]:
        """key -> (vector, text hash) of the keys that have vectors."""
        rows = self._get(keys, ["pk", "vec", "has_vec", "hash"])
        return {
            int(r["pk"]): (np.asarray(r["vec"], np.float32), int(r["hash"]))
            for r in rows
            if r["has_vec"]
        }

    def _count(self, expr: str) -> int:
        rows = self._call("count", "query", self.collection, filter=expr or "pk >= 0",
                          output_fields=["count(*)"])  # fmt: skip
        return int(rows[0]["count(*)"]) if rows else 0

    # --- the lists -----------------------------------------------------------------------

    def _search(self, data: Any, field: str, k: int, expr: str, q: Query, metric: str) -> Hits:
        phrases = filters.phrase_terms(q, self.analyzer)
        limit = min(MAX_LIMIT, k * PHRASE_OVERFETCH if phrases else k)
        if limit <= 0:
            return Hits.empty()
        found = self._call(
            "search", "search", self.collection, data=[data], anns_field=field, limit=limit,
            filter=expr, search_params={"metric_type": metric},
            output_fields=ROW_FIELDS[1:] if phrases else [],
        )[0]  # fmt: skip
        if phrases:
            found = [
                h for h in found if filters.phrase_holds(schema.phrase_spans(h["entity"]), phrases)
            ]
        keys = np.array([int(h["pk"]) for h in found], np.int64)
        dist = np.array([float(h["distance"]) for h in found], np.float32)
        # Milvus Lite reports BM25 as a negative distance (smaller is better); a server reports
        # the score itself. Scores are positive either way (Lucene's idf is).
        scores = -dist if metric == "BM25" and len(dist) and (dist <= 0).all() else dist
        return top_k(keys, scores, k)

    def _lexical(self, q: Query, k: int, expr: str) -> Hits:
        if q.weighted:
            return self._weighted(q, k, expr)
        terms = self.analyzer.analyze(q.text)
        if not terms:
            return Hits.empty()
        return self._search(" ".join(terms), "sparse", k, expr, q, "BM25")

    def _weighted(self, q: Query, k: int, expr: str) -> Hits:
        """BM25 of a weighted-term query (Σ_t w_t · BM25_t) in one search: Milvus's BM25
        function weighs each query term by its count in the query text, so each term is
        repeated in proportion to its weight (at least MIN_REPEATS times for the lightest,
        at most MAX_REPEATS for the heaviest) and the scores scaled back."""
        weights = {t: w for t, w in q.weighted if w > 0}
        if not weights:
            return Hits.empty()
        unit = max(min(weights.values()) / MIN_REPEATS, max(weights.values()) / MAX_REPEATS)
        words = [t for t, w in sorted(weights.items()) for _ in range(max(1, round(w / unit)))]
        hits = self._search(" ".join(words), "sparse", k, expr, q, "BM25")
        return Hits(hits.keys, hits.scores * np.float32(unit), hits.total)

    def _dense(self, qvec: np.ndarray, q: Query, k: int, expr: str) -> Hits:
        vec = np.asarray(qvec, np.float32).tolist()
        return self._search(vec, "vec", k, filters.both(expr, "has_vec == true"), q, "IP")

    def _dense_ready(self) -> bool:
        # Once vectors exist they stay (the embedding job only adds), so one yes is kept.
        if not self._has_vectors:
            self._has_vectors = self._count("has_vec == true") > 0
        return self._has_vectors

    def _query_vectors(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        return query_vectors(self.query_vectors, self.encoder, text)

    def remember_query(self, text: str, pooled: np.ndarray, tokens: np.ndarray) -> None:
        self.query_vectors[text] = (pooled, tokens)

    def query_tokens(self, text: str) -> np.ndarray:
        return self._query_vectors(text)[1]

    # --- search --------------------------------------------------------------------------

    def search(self, query: Query, *, k: int, mode: Mode = "hybrid") -> Hits:
        expr = filters.expression(query, self.analyzer)
        if not query.text.strip() and not query.weighted:
            return self._newest(k, expr, query)  # filters only (or nothing): newest first
        want = max(k, DATE_SORT_POOL) if query.sort == "date" else k
        if mode == "bm25" or not self._dense_ready():
            # Deeper than asked, for `total` (no cheap count here: TEXT_MATCH counts scan rows
            # in Milvus Lite, seconds per query): exact up to LEX_COMPLETE, then a lower bound.
            deep = self._lexical(query, max(want, LEX_COMPLETE), expr)
            depth = want if mode == "bm25" else max(want, self.fusion.depth)
            hits = Hits(deep.keys[:depth], deep.scores[:depth], len(deep))
        elif mode == "dense":
            hits = self._dense(self._query_vectors(query.text)[0], query, want, expr)
        else:
            hits = self._hybrid(query, want, expr, rerank=mode == "hybrid+rerank")
        return self._by_date(hits, k) if query.sort == "date" else _first(hits, k)

    def _hybrid(self, query: Query, k: int, expr: str, *, rerank: bool) -> Hits:
        depth = max(k, self.fusion.depth)
        qvec, qtokens = self._query_vectors(query.text)
        deep = self._lexical(query, max(depth, LEX_COMPLETE), expr)
        dense = self._dense(qvec, query, depth, expr)
        matched = len(deep)  # of the user's query: an expanded one matches more
        lists = self._complete(deep, qvec, [_first(deep, depth), dense])
        if rerank and self.fusion.prf.on:  # as embedded: hybrid alone loses with it
            expanded = self._expanded(query, lists)
            if expanded is not query:
                deep = self._lexical(expanded, max(depth, LEX_COMPLETE), expr)
                lists = self._complete(deep, qvec, [_first(deep, depth), dense])
        weights = list(self.fusion.hybrid_weights)
        if rerank:
            lists.append(self._maxsim(qtokens, lists))
            weights = list(self.fusion.rerank_weights)
        proximity = self.fusion.proximity[1 if rerank else 0]
        if proximity > 0 and self.fusion.method != "rrf":  # as embedded
            lists.append(self._proximity(query.text, lists))
            weights.append(proximity)
        fused = fuse(self.fusion, lists, k, weights)
        fused.total = max(matched, len(fused))
        return fused

    def _proximity(self, text: str, lists: list[Hits]) -> Hits:
        """The term-proximity list (index/lexical/proximity.py) over the candidates' stored
        title and abstract terms."""
        keys = _union(lists)
        pairs = term_pairs(self.analyzer.analyze(text))
        if not pairs or not len(keys):
            return top_k(keys, np.zeros(len(keys), np.float32), len(keys))
        terms = sorted({t for p in pairs for t in p})
        idf = dict(zip(terms, self.idf(terms).tolist(), strict=True))
        weights = np.array([min(idf[a], idf[b]) for a, b in pairs], np.float64)
        rows = {
            int(r["pk"]): r
            for r in self._get(keys.tolist(), ["pk", "text", "title_n", "abstract_n"])
        }
        spans = [schema.phrase_spans(rows[int(k)]) if int(k) in rows else () for k in keys]
        return top_k(keys, proximity_of_spans(pairs, weights, spans), len(keys))

    def _complete(self, deep: Hits, qvec: np.ndarray, lists: list[Hits]) -> list[Hits]:
        if self.fusion.method == "rrf":
            return lists  # ranks of the lists' own top-k (as embedded)
        return [_complete_lexical(deep, lists), self._complete_dense(qvec, lists)]

    def _expanded(self, query: Query, lists: list[Hits]) -> Query:
        """The RM3-expanded query (prf.py): feedback is the top of the lexical + dense fusion,
        each document's field-weighted term counts read from its stored analysed text (the
        title's terms are in it TITLE_WEIGHT times, as BM25F weighs them)."""
        prf = self.fusion.prf
        first = fuse(self.fusion, lists, prf.fb_docs, weights=self.fusion.hybrid_weights)
        rows = {int(r["pk"]): r for r in self._get(first.keys.tolist(), ["pk", "text"])}
        counts = [Counter(str(rows[k]["text"]).split()) if k in rows else Counter()
                  for k in first.keys.tolist()]  # fmt: skip
        model = relevance_model_of(counts, first.scores, fb_terms=prf.fb_terms)
        original = Counter(self.analyzer.analyze(query.text))
        return mix(replace(query, sort="relevance"), original, model, prf)

    def _complete_dense(self, qvec: np.ndarray, lists: list[Hits]) -> Hits:
        """The dense list scored on every candidate of the union that has a vector: the exact
        cosine, from the candidates' stored vectors (embedded's `_complete` does the same)."""
        union = _union(lists)
        vecs = self._vectors(union.tolist())
        keys = np.array([k for k in union.tolist() if k in vecs], np.int64)
        if not len(keys):
            return Hits.empty()
        mat = np.stack([vecs[int(k)][0] for k in keys])
        return top_k(keys, mat @ np.asarray(qvec, np.float32), len(keys))

    def _maxsim(self, qtokens: np.ndarray, lists: list[Hits]) -> Hits:
        keys = _union(lists)
        scores = self.tokens.maxsim(qtokens, keys)
        keep = np.isfinite(scores)
        return top_k(keys[keep], scores[keep], len(keys))

    def _newest(self, k: int, expr: str, query: Query) -> Hits:
        phrases = filters.phrase_terms(query, self.analyzer)
        rows = self._query(expr, ["pk", "day", *(ROW_FIELDS[1:] if phrases else [])])
        if phrases:
            rows = [r for r in rows if filters.phrase_holds(schema.phrase_spans(r), phrases)]
        keys = np.array([int(r["pk"]) for r in rows], np.int64)
        days = np.array([int(r["day"]) for r in rows], np.int64)
        order = np.lexsort((keys, -days))[:k]
        return Hits(keys[order], np.zeros(len(order), np.float32), len(keys))

    def _by_date(self, hits: Hits, k: int) -> Hits:
        days = self.days(hits.keys)
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
        """Dense neighbours of the papers' mean vector (or the text's), fused with BM25 over
        the text's most frequent terms; the given papers themselves are left out."""
        query = query or Query()
        expr = filters.expression(query, self.analyzer)
        exclude = np.asarray(sorted(set(keys)), np.int64)
        depth = max(k + len(exclude), self.fusion.depth)
        lists: list[Hits] = []
        if text:
            terms = self._frequent_terms(text)
            lexq = Query(text=" ".join(terms))
            lists.append(self._lexical(lexq, depth, expr) if terms else Hits.empty())
        vec = self._similar_vector(exclude, text)
        if vec is not None:
            dense = self._dense(vec, query, depth, expr)
            lists.append(self._complete_dense(vec, [*lists, dense]) if lists else dense)
        lists = [_without(h, exclude) for h in lists]
        if len(lists) == 2 and len(lists[0]) and len(lists[1]):
            return fuse(self.fusion, lists, k, weights=self.fusion.similar_weights)
        best = max(lists, key=len, default=Hits.empty())
        return _first(best, k)

    def _frequent_terms(self, text: str) -> list[str]:
        """The text's most frequent terms, longer than 2 characters and not numbers (no idf:
        each document frequency is a count query on the server)."""
        counts: dict[str, int] = {}
        for term in self.analyzer.analyze(text):
            if len(term) > 2 and not term.isdigit():
                counts[term] = counts.get(term, 0) + 1
        return sorted(counts, key=lambda t: (-counts[t], t))[:SIMILAR_TERMS]

    def _similar_vector(self, keys: np.ndarray, text: str | None) -> np.ndarray | None:
        if not self._dense_ready():
            return None
        if len(keys):
            vecs = self._vectors(keys.tolist())
            if vecs:
                mean = np.mean([v for v, _ in vecs.values()], axis=0)
                return mean / max(float(np.linalg.norm(mean)), 1e-12)
        if text:
            return self.encoder.encode([text], kind="doc")[0]
        return None

    # --- what recommendations, Ask and snippets read -------------------------------------

    def __len__(self) -> int:
        return self._count("")

    def days(self, keys: np.ndarray) -> np.ndarray:
        keys = np.asarray(keys, np.int64)
        days = {int(r["pk"]): int(r["day"]) for r in self._get(keys.tolist(), ["pk", "day"])}
        return np.array([days.get(int(k), -1) for k in keys.tolist()], np.int32)

    def embedded_keys(self) -> np.ndarray:
        rows = self._query("has_vec == true", ["pk"])
        return np.sort(np.array([int(r["pk"]) for r in rows], np.int64))

    def vectors(self, keys: np.ndarray | Iterable[int]) -> tuple[np.ndarray, np.ndarray]:
        wanted = [int(k) for k in (keys.tolist() if isinstance(keys, np.ndarray) else keys)]
        found = self._vectors(wanted)
        dim = next(iter(found.values()))[0].shape[0] if found else 0
        out = np.zeros((len(wanted), dim), np.float32)
        mask = np.zeros(len(wanted), bool)
        for i, key in enumerate(wanted):
            if key in found:
                out[i], mask[i] = found[key][0], True
        return mask, out

    def by_vector(self, weights: np.ndarray, k: int, *, allow: np.ndarray | None = None) -> Hits:
        """Exact: among `allow`, dots of their stored vectors; else Milvus's inner-product
        search (brute force on Milvus Lite; a server's AUTOINDEX may approximate)."""
        w = np.asarray(weights, np.float32)
        if allow is not None:
            found, vecs = self.vectors(allow)
            keys = np.asarray(allow, np.int64)[found]
            return top_k(keys, vecs[found] @ w, k) if len(keys) else Hits.empty()
        if not self._dense_ready():
            return Hits.empty()
        return self._search(w.tolist(), "vec", k, "has_vec == true", Query(), "IP")

    def doc_freqs(self, terms: Sequence[str]) -> np.ndarray:
        """Each a count query (TEXT_MATCH), remembered: Ask and the reasons of
        recommendations weigh a few dozen terms."""
        out = np.zeros(len(terms), np.int64)
        for i, term in enumerate(terms):
            if term not in self._dfs:
                if len(self._dfs) >= DF_CACHE:
                    self._dfs.pop(next(iter(self._dfs)))
                self._dfs[term] = self._count(f"TEXT_MATCH(text, {filters.literal(term)})")
            out[i] = self._dfs[term]
        return out

    def token_sims(
        self, qtokens: np.ndarray, keys: Sequence[int], hashes: Sequence[int]
    ) -> list[np.ndarray | None]:
        return self.tokens.token_sims(qtokens, keys, hashes)

    # --- status --------------------------------------------------------------------------

    def status(self) -> IndexStatus:
        return IndexStatus(
            backend=self.name,
            papers_indexed=self._count(""),
            papers_embedded=self._count("has_vec == true"),
            token_vectors=len(self.tokens),
            encoder=self.state.get("encoder"),
            details={"fusion": asdict(self.fusion)},
        )


def _union(lists: Sequence[Hits]) -> np.ndarray:
    parts = [h.keys for h in lists if len(h)]
    return np.unique(np.concatenate(parts)) if parts else np.zeros(0, np.int64)


def _complete_lexical(deep: Hits, lists: list[Hits]) -> Hits:
    """BM25 of every candidate of the union, read from a deeper BM25 list (LEX_COMPLETE): a
    candidate beyond it scores 0, as one without any query term does in the embedded index."""
    union = _union(lists)
    scores = np.zeros(len(union), np.float32)
    inside = np.isin(deep.keys, union)
    scores[np.searchsorted(union, deep.keys[inside])] = deep.scores[inside]
    return top_k(union, scores, len(union))


def _first(hits: Hits, k: int) -> Hits:
    return Hits(hits.keys[:k], hits.scores[:k], hits.total)


def _without(hits: Hits, exclude: np.ndarray) -> Hits:
    if not len(exclude):
        return hits
    keep = ~np.isin(hits.keys, exclude)
    return Hits(hits.keys[keep], hits.scores[keep], hits.total)
