"""Embedding the demo corpus while the site already answers.

The site serves as soon as the store and the lexical index exist (a few seconds); vectors are
computed in a separate, lower-priority process in rounds. Each round folds its vectors into the
saved index (a new `state.json`), which the running site picks up (`web/site.py`): search
quality improves round by round, and /about says how much is embedded.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
from multiprocessing.process import BaseProcess

from paperwire.settings import Settings

ROUND = 300  # papers per round: ~10 s on 2 busy cores, so the site sees progress often
NICENESS = 10  # the site's requests come first


def embed_in_rounds(settings: Settings, round_size: int = ROUND) -> None:
    """Embed every paper that lacks vectors, `round_size` at a time, printing one line a round
    (stderr: it shares the console with the server's log lines)."""
    with contextlib.suppress(OSError):  # not allowed here: run at normal priority
        os.nice(NICENESS)
    try:
        _rounds(settings, round_size)
    except KeyboardInterrupt:  # Ctrl-C reaches the whole process group: the server says it
        return


def _rounds(settings: Settings, round_size: int) -> None:
    from paperwire.index.manager import embed_index, open_index
    from paperwire.store import open_store

    index = open_index(settings)
    with open_store(settings) as store:
        total = len(index)
        while embed_index(store, index, limit=round_size)["embedded"]:
            done = index.status().papers_embedded
            print(
                f"demo: embedded {done:,} of {total:,} papers ({100 * done / max(total, 1):.0f}%)",
                file=sys.stderr,
                flush=True,
            )
    print("demo: all papers embedded, hybrid search is complete", file=sys.stderr, flush=True)


def start_background_embedding(settings: Settings) -> BaseProcess:
    """`embed_in_rounds` in its own process (spawned: no state shared with the server)."""
    proc = multiprocessing.get_context("spawn").Process(
        target=embed_in_rounds, args=(settings,), name="paperwire-demo-embed", daemon=True
    )
    proc.start()
    return proc


def stop(proc: BaseProcess, grace: float = 10.0) -> None:
    """Stop the embedding process: what it finished stays (each batch is durable at once)."""
    if proc.is_alive():
        proc.terminate()
        proc.join(grace)
    if proc.is_alive():
        proc.kill()
        proc.join(5)
