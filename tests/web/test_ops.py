"""Operations endpoints: /healthz, /readyz (503 when the store is unreachable), /metrics in the
Prometheus text format (parsed with prometheus_client's parser) moving with requests, and the
pipeline's steps on /about and /api/v1/status."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import delete

from paperwire.settings import Settings
from paperwire.store import Store
from paperwire.store.db import make_engine
from paperwire.store.pipeline import finish_step, start_step
from paperwire.store.schema import pipeline_runs
from paperwire.web import create_app


def samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    resp = client.get("/metrics")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain")
    found = {}
    for family in text_string_to_metric_families(resp.text):
        for s in family.samples:
            found[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return found


def test_healthz_and_readyz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"store": "ok", "index": "ok"}}


def test_readyz_is_503_when_the_store_does_not_answer(settings: Settings) -> None:
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        site = client.app.state.site  # type: ignore[attr-defined]
        # A real PostgreSQL URL on a port nothing listens on: every connection is refused.
        down = Store(make_engine("postgresql+psycopg://postgres@127.0.0.1:9/paperwire"))
        site.store, kept = down, site.store
        try:
            resp = client.get("/readyz")
            assert client.get("/healthz").status_code == 200  # alive, but not ready
        finally:
            site.store = kept
            down.close()
    assert resp.status_code == 503
    body = resp.json()
    assert body["status"] == "not ready" and body["checks"]["store"].startswith("unreachable")
    assert body["checks"]["index"] == "ok"


def test_metrics_parse_and_move_with_requests(client: TestClient) -> None:
    before = samples(client)
    route = ("method", "GET"), ("route", "/paper/{paper_id:path}"), ("status", "200")
    paper_ids = [h["id"] for h in client.get("/api/v1/search?q=robust&mode=bm25").json()["hits"]]
    for paper_id in paper_ids[:3]:
        assert client.get(f"/paper/{paper_id}").status_code == 200
    client.get("/search?q=robust&mode=bm25")
    client.get("/no/such/page")
    after = samples(client)

    def delta(name: str, labels: tuple[tuple[str, str], ...]) -> float:
        return after.get((name, labels), 0.0) - before.get((name, labels), 0.0)

    assert delta("paperwire_http_requests_total", route) == len(paper_ids[:3]) > 0
    seconds = (("method", "GET"), ("route", "/paper/{paper_id:path}"))
    assert delta("paperwire_http_request_duration_seconds_count", seconds) == len(paper_ids[:3])
    # Search latency by mode: the API search and the page search, both bm25.
    assert delta("paperwire_search_duration_seconds_count", (("mode", "bm25"),)) == 2
    unmatched = ("method", "GET"), ("route", "unmatched"), ("status", "404")
    assert delta("paperwire_http_requests_total", unmatched) == 1  # never the raw path
    assert ("paperwire_index_lag_papers", ()) in after
    assert after[("paperwire_embedded_fraction", ())] >= 0.0


def test_metrics_can_be_switched_off(settings: Settings) -> None:
    off = settings.model_copy(update={"metrics": False})
    with TestClient(create_app(off), raise_server_exceptions=False) as client:
        assert client.get("/metrics").status_code == 404


def test_about_and_status_show_the_pipeline_steps(settings: Settings) -> None:
    with TestClient(create_app(settings, check_every=0)) as client:
        store = client.app.state.site.store  # type: ignore[attr-defined]
        run = start_step(store, "harvest:oai:cs", date(2026, 7, 6))
        finish_step(store, run, status="failed", seconds=1.5, error="HTTP 503: try later")
        try:
            status = client.get("/api/v1/status").json()
            page = client.get("/about").text
        finally:  # the store is shared by the web tests
            with store.engine.begin() as conn:
                conn.execute(delete(pipeline_runs))
    assert status["pipeline"]["harvest:oai:cs"]["status"] == "failed"
    assert status["pipeline"]["harvest:oai:cs"]["error"] == "HTTP 503: try later"
    assert "harvest:oai:cs" in page and "HTTP 503: try later" in page
