"""The index follower: applies what the store gained to the index, every few seconds.

Papers reach the store from anywhere (an ingest, the pipeline's harvest, a paper submitted on
any web host); each write is a numbered store change (`store.changes`). The follower runs in
the one index writer, `paperwire worker` (between its pipeline cycles), or, with the embedded
index and no worker, in `paperwire serve`'s main process (never in a web process). It looks at
the store's newest change every `index_poll_interval` seconds and, when the index lacks some,
runs `update_index`; the readers then reload the index (its `version()` moved).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from paperwire.index.backend import IndexBackend
from paperwire.settings import Settings
from paperwire.store import Store, open_store
from paperwire.store.changes import latest_change

log = logging.getLogger(__name__)


class IndexFollower:
    def __init__(self, settings: Settings, *, store: Store | None = None) -> None:
        self.settings = settings
        self._own_store = store is None
        self._store = store
        self._index: IndexBackend | None = None
        self._seen_version: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.updates = 0

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = open_store(self.settings)
        return self._store

    def _current_index(self) -> IndexBackend:
        """The index, reopened when another writer (a CLI `index embed`) saved it since: saving
        an index read before would undo that writer's work."""
        from paperwire.index.manager import open_backend

        if self._index is None or self._index.version() != self._seen_version:
            self._index = open_backend(self.settings)
            self._seen_version = self._index.version()
        return self._index

    def run_once(self) -> dict[str, Any] | None:
        """Apply the store's new changes, if any; the update's counts, or None (nothing new)."""
        from paperwire.index.manager import applied, update_index

        index = self._current_index()
        done = applied(self.store, index)
        if done is not None and done.seq >= latest_change(self.store):
            return None
        result = update_index(self.store, index)
        self._seen_version = index.version()
        self.updates += 1
        log.info("index follower: %s papers applied", result["papers_read"])
        return result

    def poll(self) -> None:
        """`run_once`, its failures logged (the store or the index server down: tried again at
        the next poll; the store keeps every change meanwhile)."""
        try:
            self.run_once()
        except Exception:
            log.exception("the index follower could not update the index; retrying")
            self._index = None  # reopen: the failure may have left it half-applied in memory

    def run(self) -> None:
        while not self._stop.is_set():
            self.poll()
            self._stop.wait(max(0.5, self.settings.index_poll_interval))

    def start(self) -> IndexFollower:
        self._thread = threading.Thread(target=self.run, name="index-follower", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._own_store and self._store is not None:
            self._store.close()
