"""Operations routes: /healthz (liveness), /readyz (store and index reachable), /metrics
(Prometheus text), and the middleware that counts and times requests by route template."""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperwire.ops import metrics
from paperwire.web.site import Site

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)


@router.get("/healthz")
async def healthz() -> Response:
    """The process answers: nothing else is checked (a liveness probe)."""
    return JSONResponse({"status": "ok"}, headers={"cache-control": "no-store"})


@router.get("/readyz")
def readyz(request: Request) -> Response:
    """200 when the store answers a query and the index is loaded, else 503 with the reason."""
    site: Site = request.app.state.site
    checks: dict[str, str] = {}
    try:
        from paperwire.store.pipeline import store_reachable

        store_reachable(site.store)
        checks["store"] = "ok"
    except Exception as exc:  # any failure means "not ready", said in the answer
        checks["store"] = f"unreachable: {type(exc).__name__}"
        log.warning("readyz: the store is unreachable: %s", exc)
    try:
        site.index.status()
        checks["index"] = "ok"
    except Exception as exc:
        checks["index"] = f"unreadable: {type(exc).__name__}"
        log.warning("readyz: the index is unreadable: %s", exc)
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status_code=200 if ready else 503,
        headers={"cache-control": "no-store"},
    )


@router.get("/metrics")
def metrics_text(request: Request) -> Response:
    site: Site = request.app.state.site
    if not site.settings.metrics:
        from paperwire.errors import NotFound

        raise NotFound("metrics are switched off (PAPERWIRE_METRICS)")
    try:
        from paperwire.index.manager import index_status

        status = site.cached("metrics-index", lambda: index_status(site.store, site.index), 5.0)
        metrics.INDEX_LAG.set(status["lags_store_by"])
        metrics.EMBEDDED_FRACTION.set(status["embedded_fraction"])
    except Exception:  # the counters are still worth answering with
        log.exception("metrics: could not read the index status")
    return Response(metrics.render(), media_type=metrics.CONTENT_TYPE)


def _route_of(scope: Scope) -> str:
    route: Any = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    if str(scope.get("path", "")).startswith("/static/"):
        return "/static"
    return "unmatched"  # 404s: never the raw path (unbounded label values)


class RequestMetrics:
    """Counts and times every HTTP request by method, route template and status."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]

        async def send_noting_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            route, method = _route_of(scope), str(scope.get("method", ""))
            metrics.REQUESTS.labels(method=method, route=route, status=str(status[0])).inc()
            metrics.REQUEST_SECONDS.labels(method=method, route=route).observe(
                time.perf_counter() - started
            )
