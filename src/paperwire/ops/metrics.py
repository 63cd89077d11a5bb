"""Prometheus metrics (prometheus_client): requests, search latency, pipeline counters, lag.

`paperwire serve --workers N` runs N processes. With `PROMETHEUS_MULTIPROC_DIR` set (an empty
folder, the same for every process, emptied before each start) every process writes its
samples there and `/metrics` answers with the sum over all of them (prometheus_client's
multiprocess mode); without it, each answer covers the one process that served it.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

CONTENT_TYPE = CONTENT_TYPE_LATEST
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter(
    "paperwire_http_requests", "HTTP requests answered", ["method", "route", "status"]
)
REQUEST_SECONDS = Histogram(
    "paperwire_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template",
    ["method", "route"],
    buckets=_BUCKETS,
)
SEARCH_SECONDS = Histogram(
    "paperwire_search_duration_seconds", "Search latency by mode", ["mode"], buckets=_BUCKETS
)
INGESTED = Counter(
    "paperwire_ingest_records", "Records ingested by the pipeline", ["source", "outcome"]
)
EMBEDDED = Counter("paperwire_embedded_papers", "Papers embedded by the pipeline")
DIGESTS = Counter("paperwire_digests", "Digest outcomes of the pipeline", ["outcome"])
STEPS = Counter("paperwire_pipeline_steps", "Pipeline step runs", ["step", "status"])
INDEX_LAG = Gauge(
    "paperwire_index_lag_papers",
    "Papers changed in the store and not yet in the search index",
    multiprocess_mode="max",
)
EMBEDDED_FRACTION = Gauge(
    "paperwire_embedded_fraction",
    "Share of indexed papers that have embeddings",
    multiprocess_mode="max",
)


def render() -> bytes:
    """The exposition text: every process's samples in multiprocess mode, else this one's."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)
