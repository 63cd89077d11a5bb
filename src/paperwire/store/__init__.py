"""The store: the only package that speaks SQL or knows where data lives on disk."""

from paperwire.store.db import Store, open_store

__all__ = ["Store", "open_store"]
