"""The Milvus collection of papers: one row per paper, made from a `Doc` by `paper_row`.

Full text is our analyzer's terms (stemmed, stopwords dropped) joined by spaces, so that Milvus's
BM25 function (its `standard` tokenizer splits them again, unchanged) ranks the same terms as the
embedded index; the title's terms are repeated TITLE_WEIGHT times, as the embedded BM25F weighs
the title field (3) against abstract and authors (1). Filters are exact tokens in an array field
(`cat:cs.lg`, `author:zeng`, `year:2025`, `has:code`, as `filter_tokens` makes them).

A paper without vectors yet holds a zero vector and `has_vec` false (Milvus vectors cannot be
null); dense searches filter on `has_vec`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from paperwire.index.analyze import Analyzer
from paperwire.index.base import Doc
from paperwire.index.lexical import filter_tokens

TITLE_WEIGHT = 3
MAX_TEXT = 60_000  # bytes of analysed text kept (Milvus VARCHAR limit 65,535)
MAX_TAGS = 1024  # filter tokens kept per paper (the array field's capacity)
MAX_TAG = 256  # characters per filter token
META_SUFFIX = "_meta"  # the collection holding the index's own state
# A row's fields other than its vector (the sparse one is made by the server from `text`).
SCALAR_FIELDS = ["pk", "text", "tags", "day", "title_n", "abstract_n"]


def create_papers(client: Any, name: str, dim: int) -> None:
    from pymilvus import DataType, Function, FunctionType

    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("pk", DataType.INT64, is_primary=True)
    schema.add_field(
        "text",
        DataType.VARCHAR,
        max_length=65_535,
        enable_analyzer=True,
        enable_match=True,  # TEXT_MATCH: word filters and phrase candidates
        analyzer_params={"tokenizer": "standard"},
    )
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_field("vec", DataType.FLOAT_VECTOR, dim=dim)
    schema.add_field("has_vec", DataType.BOOL)
    schema.add_field("hash", DataType.INT64)  # text hash the vector came from (0: none)
    schema.add_field(
        "tags", DataType.ARRAY, element_type=DataType.VARCHAR, max_capacity=MAX_TAGS,
        max_length=MAX_TAG,
    )  # fmt: skip
    schema.add_field("day", DataType.INT64)  # days since 1970-01-01, -1 unknown
    schema.add_field("title_n", DataType.INT64)  # terms of the title, for phrase checks
    schema.add_field("abstract_n", DataType.INT64)
    schema.add_function(
        Function(
            name="text_bm25",
            function_type=FunctionType.BM25,
            input_field_names=["text"],
            output_field_names=["sparse"],
        )
    )
    index = client.prepare_index_params()
    index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
    # Vectors are L2-normalised: inner product is the cosine, as in the embedded DenseIndex.
    index.add_index("vec", index_type="AUTOINDEX", metric_type="IP")
    index.add_index("day", index_type="INVERTED")
    client.create_collection(name, schema=schema, index_params=index)


def create_meta(client: Any, name: str) -> None:
    """A one-row collection for the index state (Milvus needs a vector field in each)."""
    from pymilvus import DataType

    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("state", DataType.VARCHAR, max_length=65_535)
    schema.add_field("v", DataType.FLOAT_VECTOR, dim=2)
    index = client.prepare_index_params()
    index.add_index("v", index_type="FLAT", metric_type="L2")
    client.create_collection(name, schema=schema, index_params=index)


def analysed_fields(doc: Doc, analyzer: Analyzer) -> tuple[list[str], list[str], list[str]]:
    return (
        analyzer.analyze(doc.title),
        analyzer.analyze(doc.abstract),
        analyzer.analyze(" ".join(doc.authors)),
    )


def paper_text(title: list[str], abstract: list[str], authors: list[str]) -> str:
    text = " ".join([*title * TITLE_WEIGHT, *abstract, *authors])
    if len(text.encode()) > MAX_TEXT:  # a pathological abstract: keep its start
        text = text.encode()[:MAX_TEXT].decode(errors="ignore").rsplit(" ", 1)[0]
    return text


def paper_row(
    doc: Doc,
    analyzer: Analyzer,
    dim: int,
    *,
    vector: np.ndarray | None = None,
    vector_hash: int = 0,
) -> dict[str, Any]:
    title, abstract, authors = analysed_fields(doc, analyzer)
    tags = [t[:MAX_TAG] for t in filter_tokens(doc)][:MAX_TAGS]
    has_vec = vector is not None
    return {
        "pk": int(doc.key),
        "text": paper_text(title, abstract, authors),
        "vec": (vector if has_vec else np.zeros(dim, np.float32)).astype(np.float32).tolist(),  # type: ignore[union-attr]
        "has_vec": has_vec,
        "hash": int(vector_hash) if has_vec else 0,
        "tags": tags,
        "day": int(doc.day) if doc.day is not None and doc.day >= 0 else -1,
        "title_n": len(title),
        "abstract_n": len(abstract),
    }


def with_vector(row: dict[str, Any], vector: np.ndarray, vector_hash: int) -> dict[str, Any]:
    """A stored row (its SCALAR_FIELDS, read back) with this vector."""
    out = {f: row[f] for f in SCALAR_FIELDS}
    out["tags"] = list(out["tags"])
    out.update(vec=np.asarray(vector, np.float32).tolist(), has_vec=True, hash=int(vector_hash))
    return out


def phrase_spans(row: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(title terms, abstract terms) of a stored row: where a phrase may occur."""
    terms = str(row["text"]).split(" ")
    n_title, n_abstract = int(row["title_n"]), int(row["abstract_n"])
    start = n_title * TITLE_WEIGHT
    return terms[:n_title], terms[start : start + n_abstract]
