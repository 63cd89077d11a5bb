"""The worker's lock: a lease row in the store, renewed by a heartbeat thread while held."""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading

from paperwire.errors import PaperwireError
from paperwire.store import Store
from paperwire.store.pipeline import acquire_lease, release_lease, renew_lease

log = logging.getLogger(__name__)
NAME = "pipeline"


class WorkerBusy(PaperwireError):
    """Another worker holds the pipeline's lease: this cycle is left to it."""

    exit_code = 3


class LeaseLost(PaperwireError):
    """The lease could not be renewed (the store was unreachable too long, or it was taken)."""


def holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def gone(holder: str) -> bool:
    """Whether `holder` was a process of this machine that no longer runs (SIGKILLed, say):
    its lease may be taken at once instead of waiting for it to expire."""
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False  # another lease object of this process: not gone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class Lease:
    """`with Lease(store, ttl):` holds the pipeline lease, or raises WorkerBusy."""

    def __init__(self, store: Store, ttl: float, *, name: str = NAME) -> None:
        self.store, self.ttl, self.name = store, max(ttl, 3.0), name
        self.holder = holder_id()
        self._stop = threading.Event()
        self._lost = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="pipeline-lease", daemon=True)

    def __enter__(self) -> Lease:
        if not acquire_lease(self.store, self.name, self.holder, ttl=self.ttl, replaceable=gone):
            raise WorkerBusy("another paperwire worker is running a cycle; this one is skipped")
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        try:
            release_lease(self.store, self.name, self.holder)
        except Exception:  # it expires on its own
            log.exception("could not release the pipeline lease")

    def _beat(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            try:
                ok = renew_lease(self.store, self.name, self.holder, ttl=self.ttl)
            except Exception:
                log.exception("could not renew the pipeline lease")
                continue
            if not ok:
                log.error("the pipeline lease was taken by another worker")
                self._lost.set()
                return

    def check(self) -> None:
        """Raise LeaseLost when the lease is no longer ours (call between steps)."""
        if self._lost.is_set():
            raise LeaseLost("the pipeline lease was lost; the cycle stops here")
