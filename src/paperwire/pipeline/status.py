"""What the pipeline did last: for `paperwire status`, /about and /api/v1/status."""

from __future__ import annotations

from typing import Any

from paperwire.index.backend import IndexBackend
from paperwire.store import Store
from paperwire.store.pipeline import last_runs, lease_holder


def steps_status(store: Store) -> dict[str, dict[str, Any]]:
    """The newest run of each step (harvest:<source>, index, embed, digest)."""
    return {step: run.as_dict() for step, run in last_runs(store).items()}


def pipeline_status(store: Store, index: IndexBackend) -> dict[str, Any]:
    from paperwire.index.manager import index_status

    status = index_status(store, index)
    held = lease_holder(store, "pipeline")
    return {
        "steps": steps_status(store),
        "worker": {"holder": held[0], "until": held[1].isoformat()} if held else None,
        "index": {
            "store_papers": status["store_papers"],
            "papers_indexed": status["papers_indexed"],
            "lags_store_by": status["lags_store_by"],
            "papers_embedded": status["papers_embedded"],
            "embedded_fraction": status["embedded_fraction"],
            "backend": status["backend"],
            "store_seq": status["store_seq"],
            "applied_seq": status["applied_seq"],
        },
    }
