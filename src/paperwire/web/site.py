"""What every request reads: the settings, the store and the search index, opened once.

A web process only reads the index (`paperwire serve` hosts are stateless readers: the index
follower or the worker writes it). It is reloaded when the backend's `version()` token changes
(an update applied by the follower, an `index embed`): at most one look every `check_every`
seconds, and the reload happens in one request's thread while the others keep using the index
they have.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from starlette.requests import Request

from paperwire.errors import Unavailable
from paperwire.index.backend import IndexBackend
from paperwire.index.base import IndexFormatError
from paperwire.index.embedded import EmbeddedIndex
from paperwire.index.manager import index_folder, open_backend
from paperwire.settings import Settings
from paperwire.store import Store, open_store

log = logging.getLogger(__name__)
CHECK_EVERY = 5.0  # seconds between looks at the index's version token
# What the public sees of a damaged index (the log has the file and the error).
INDEX_DAMAGED = (
    "search is unavailable: the search index is damaged; the site's operator must run "
    "`paperwire index build`"
)


class Site:
    def __init__(self, settings: Settings, *, check_every: float = CHECK_EVERY) -> None:
        self.settings = settings
        self.check_every = check_every
        self.store: Store = open_store(settings)
        self.index_problem: str | None = None  # set while serving without a usable index
        self._index: IndexBackend = self._open_or_degraded()
        self._version = self._index.version()
        self._checked = time.monotonic()
        self._reloading = threading.Lock()
        self.reloads = 0
        self._cache: dict[str, tuple[float, Any]] = {}
        self._computing = threading.Lock()

    def close(self) -> None:
        self.store.close()

    def _open_or_degraded(self) -> IndexBackend:
        """The saved index; a damaged one gives an empty index and `index_problem`, so that the
        site still serves its lists and papers (search says it is down) until `paperwire index
        build` rewrites the index, which the reload below then picks up."""
        try:
            index = open_backend(self.settings)
        except IndexFormatError as exc:
            log.error("serving without search: %s", exc)
            self.index_problem = INDEX_DAMAGED
            # An empty index in the same folder: its version() moves when a rebuild is saved.
            return EmbeddedIndex(index_folder(self.settings), encoder_spec=self.settings.encoder)
        self.index_problem = None
        return index

    @property
    def index(self) -> IndexBackend:
        """The search index, reloaded first if its version changed since it was read."""
        now = time.monotonic()
        if now - self._checked >= self.check_every:
            self._checked = now
            version = self._index.version()
            # Non-blocking: a request that finds a reload under way uses the current index.
            if version != self._version and self._reloading.acquire(blocking=False):
                try:
                    self._index = open_backend(self.settings)
                    self.index_problem = None
                    self._version = version  # read before opening: a write during it reloads
                    self.reloads += 1
                    self._cache.clear()
                    release_memory()
                    log.info("search index reloaded (its version changed)")
                except Exception:  # a half-replaced part: keep serving the old index, retry
                    log.exception("could not reload the search index; keeping the one loaded")
                finally:
                    self._reloading.release()
        return self._index

    def search_index(self) -> IndexBackend:
        """The index for a search: Unavailable (503) while the index is damaged."""
        index = self.index  # first: a rebuilt index is picked up here
        if self.index_problem:
            raise Unavailable(self.index_problem)
        return index

    def cached(self, name: str, compute: Callable[[], Any], ttl: float) -> Any:
        """`compute()`, kept `ttl` seconds (and until the index is reloaded). While one request
        computes a value anew, the others get the one kept, if any, rather than wait."""
        hit = self._cache.get(name)
        if hit is not None and time.monotonic() - hit[0] < ttl:
            return hit[1]
        if not self._computing.acquire(blocking=hit is None):
            return hit[1] if hit is not None else compute()
        try:
            hit = self._cache.get(name)
            if hit is not None and time.monotonic() - hit[0] < ttl:
                return hit[1]
            value = compute()
            self._cache[name] = (time.monotonic(), value)
            return value
        finally:
            self._computing.release()


def release_memory() -> None:
    """Give the replaced index's memory back: it holds reference cycles, so without a full
    collection it lingers until the next one (rare in a server), and glibc keeps freed heap
    unless trimmed. Without this each reload of a 75k-paper index kept ~100 MB."""
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Any:
    """glibc's malloc_trim, looked up once (find_library runs ldconfig), or None elsewhere."""
    libc = ctypes.util.find_library("c")
    return getattr(ctypes.CDLL(libc), "malloc_trim", None) if libc else None


def site_of(request: Request) -> Site:
    """The Site the app opened at startup (see create_app's lifespan)."""
    site: Site = request.app.state.site
    return site
