"""The connection to a Milvus server (an `IndexLocation` read from
`milvus://host:port[/collection]`): retries with backoff, and one clear error when the server
cannot be reached.

Every call to the server goes through `Connection.call`, so a server that restarts or is briefly
overloaded costs a few retries, not a failed request; a server that stays away raises
`MilvusUnavailable` (a PaperwireError: one line, no traceback). Nothing is lost then: the store
is the source of truth and `paperwire index build` rebuilds the collection from it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from paperwire.errors import Unavailable
from paperwire.index.location import IndexLocation

log = logging.getLogger(__name__)
T = TypeVar("T")

ATTEMPTS = 4  # tries per call: 0.2 + 0.4 + 0.8 s of backoff before giving up
BACKOFF = 0.2  # seconds before the first retry, doubled each time
CONNECT_TIMEOUT = 5.0  # seconds to wait for the server when connecting


class MilvusUnavailable(Unavailable):
    """The Milvus server did not answer (down, unreachable, or refusing)."""


def _transient(exc: BaseException) -> bool:
    """Errors worth a retry: the server (or the network) failing, not our request being bad."""
    from pymilvus.exceptions import MilvusException

    if not isinstance(exc, MilvusException):
        return isinstance(exc, (ConnectionError, TimeoutError, OSError))
    text = str(exc).lower()
    return any(w in text for w in ("unavailable", "connect", "timeout", "deadline", "closed"))


class Connection:
    """A MilvusClient made on first use, each call retried with backoff on server failures."""

    def __init__(
        self, address: IndexLocation, *, attempts: int = ATTEMPTS, backoff: float = BACKOFF
    ) -> None:
        self.address, self.attempts, self.backoff = address, attempts, backoff
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self._retry("connect", self._connect)
        return self._client

    def _connect(self) -> Any:
        from pymilvus import MilvusClient

        # pymilvus logs each failed call with its traceback before raising; we retry and then
        # report the failure once, so its own log would only repeat it (a traceback per try).
        logging.getLogger("pymilvus").setLevel(logging.CRITICAL)

        uri = f"http://{self.address.host}:{self.address.port}"
        return MilvusClient(uri=uri, timeout=CONNECT_TIMEOUT)

    def call(self, what: str, method: str, *args: Any, **kwargs: Any) -> Any:
        """client.<method>(*args, **kwargs), retried; `what` names it in the error."""
        return self._retry(what, lambda: getattr(self.client, method)(*args, **kwargs))

    def _retry(self, what: str, fn: Callable[[], T]) -> T:
        delay = self.backoff
        for attempt in range(1, self.attempts + 1):
            try:
                return fn()
            except Exception as exc:
                if not _transient(exc):
                    raise
                if attempt == self.attempts:
                    self._client = None  # reconnect on the next call
                    raise MilvusUnavailable(
                        f"the Milvus server at {self.address.name} did not answer ({what}, "
                        f"{self.attempts} tries): {_first_line(exc)}. Start it, or set "
                        "PAPERWIRE_INDEX=embedded; the store keeps every paper, and "
                        "`paperwire index build` rebuilds the index from it"
                    ) from exc
                log.warning("Milvus %s failed (%s); retrying in %.1fs", what, exc, delay)
                time.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._client is not None:
            try:
                self._client.close()
            finally:
                self._client = None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]
