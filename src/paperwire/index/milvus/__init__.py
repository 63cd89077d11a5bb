"""The Milvus index backend: `open_milvus("milvus://host:port[/collection]", settings)`.

Needs the `milvus` extra (pymilvus); tests and single-machine trials can use Milvus Lite's
server (`milvus-lite server --data-dir DIR --port N`), which speaks the same gRPC API.
"""

from __future__ import annotations

from typing import Any

from paperwire.errors import ConfigError
from paperwire.index.location import parse_index
from paperwire.index.milvus.client import Connection, MilvusUnavailable
from paperwire.index.milvus.index import MilvusIndex
from paperwire.settings import Settings

__all__ = ["MilvusIndex", "MilvusUnavailable", "open_milvus"]


def open_milvus(
    url: str, settings: Settings, *, local_tokens: bool = False, **kwargs: Any
) -> MilvusIndex:
    """The index in the Milvus server at `url`, its collections created when missing. Token
    vectors go to the store named by `settings`, or stay in this process with `local_tokens`
    (`eval`: its corpus is not in the store). The encoder loads when first needed (a query,
    an embedding, creating the collection). `kwargs`: MilvusIndex's (encoder, fusion)."""
    location = parse_index(url)
    if location.kind != "milvus":
        raise ConfigError(f"index {url!r} is not a milvus:// address")
    try:
        import pymilvus  # noqa: F401
    except ImportError as exc:
        raise ConfigError(
            f"index {url!r} needs the Milvus client: pip install 'paperwire[milvus]'"
        ) from exc
    kwargs.setdefault("encoder_spec", settings.encoder)
    if kwargs.get("encoder") is None:
        kwargs.pop("encoder", None)
    if not local_tokens and kwargs.get("tokens") is None:
        from paperwire.store import open_store

        kwargs["token_db"] = open_store(settings)
    index = MilvusIndex(Connection(location), **kwargs)
    return index.ensure()
