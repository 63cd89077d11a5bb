"""The JSON API (/api/v1) over a real SQLite store and index (tests/web/conftest.py): every
route, pagination, the error object, and the OpenAPI document."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from paperwire.web.data import TRENDING_FORMULA
from tests.support.webdata import BUSY_DAY_PAPERS, HOSTILE_TITLE, records

DOI_ID = "doi:10.1234/jp.2026(7)-1"


def get(client: TestClient, url: str, status: int = 200) -> Any:
    r = client.get(url)
    assert r.status_code == status, r.text[:500]
    assert r.headers["content-type"].startswith("application/json")
    return r.json()


def error(client: TestClient, url: str, status: int) -> dict[str, Any]:
    body = get(client, url, status)
    assert set(body) == {"error"}
    assert set(body["error"]) == {"status", "message", "detail"}
    assert body["error"]["status"] == status
    assert "Traceback" not in body["error"]["message"]
    result: dict[str, Any] = body["error"]
    return result


def ids(papers: list[dict[str, Any]]) -> list[str]:
    return [p["id"] for p in papers]


def test_latest_day_and_pagination(client: TestClient) -> None:
    first = get(client, "/api/v1/days/latest")
    assert first["kind"] == "day" and first["key"] == "2026-07-01"
    assert first["pagination"] == {"page": 1, "per_page": 30, "total": BUSY_DAY_PAPERS, "pages": 2}
    assert first["prev"] == "2026-06-30" and first["next"] is None
    assert len(first["papers"]) == 30
    second = get(client, "/api/v1/days/2026-07-01?page=2")
    assert len(second["papers"]) == BUSY_DAY_PAPERS - 30
    small = get(client, "/api/v1/days/latest?per_page=10&page=4")
    assert ids(small["papers"]) == [f"2607.{n:05d}" for n in range(31, 36)]
    assert small["pagination"]["pages"] == 4
    paper = first["papers"][0]
    assert paper["abs_link"] == "https://arxiv.org/abs/2607.00001"
    assert paper["day"] == "2026-07-01" and paper["authors"] == ["Author 1", "Ada Lovelace"]


def test_the_page_and_the_api_show_the_same_data(client: TestClient) -> None:
    api = ids(get(client, "/api/v1/days/2026-06-30")["papers"])
    html = client.get("/day/2026-06-30").text
    positions = [html.index(f">{paper_id}</span>") for paper_id in api]
    assert positions == sorted(positions)


def test_weeks_months_categories(client: TestClient) -> None:
    week = get(client, "/api/v1/weeks/2026-07-02")
    assert week["key"] == "2026-06-29" and week["first_day"] == "2026-06-29"
    assert week["last_day"] == "2026-07-05" and week["prev"] == "2026-06-22"
    assert week["days"] == [
        {"day": "2026-06-30", "papers": 4},
        {"day": "2026-07-01", "papers": BUSY_DAY_PAPERS},
    ]
    month = get(client, "/api/v1/months/2026-06")
    assert month["pagination"]["total"] == 6 and month["next"] == "2026-07"
    cats = get(client, "/api/v1/categories")
    counts = {c["category"]: c["papers"] for c in cats["categories"]}
    assert counts["hep-th"] == 1 and counts["cs.CR"] == 1 and counts["cs.LG"] > counts["cs.CL"]
    hep = get(client, "/api/v1/categories/hep-th")
    assert ids(hep["papers"]) == ["hep-th/9901001"]
    assert error(client, "/api/v1/categories/cs.XX", 404)["message"].startswith("no papers")
    error(client, "/api/v1/categories/no%20such!", 400)


def test_trending(client: TestClient) -> None:
    week = get(client, "/api/v1/trending")
    assert TRENDING_FORMULA in week["note"]
    assert ids(week["papers"])[:2] == ["2607.00003", "2607.00001"]
    assert week["first_day"] == "2026-06-25" and week["last_day"] == "2026-07-01"
    day = get(client, "/api/v1/trending?period=day")
    assert day["pagination"]["total"] == BUSY_DAY_PAPERS
    assert (
        "period: Input should be 'day', 'week' or 'month'"
        in (error(client, "/api/v1/trending?period=year", 400)["message"])
    )


@pytest.mark.parametrize(
    ("path", "title"),
    [
        ("hep-th/9901001", "Duality in string theory"),
        ("doi:10.1234/jp.2026%287%29-1", "A journal paper without an arXiv id"),
        ("2607.00001v1", "Paper number 1 on robust transformers"),
        ("2607.00201", HOSTILE_TITLE),
    ],
)
def test_paper_by_id(client: TestClient, path: str, title: str) -> None:
    body = get(client, f"/api/v1/papers/{path}")
    assert body["paper"]["title"].startswith(title)
    assert body["more_like_this"]
    assert body["paper"]["id"] not in ids(body["similar"])


def test_hostile_values_are_data_not_links(client: TestClient) -> None:
    paper = get(client, "/api/v1/papers/2607.00201")["paper"]
    assert paper["pdf_link"] == "https://arxiv.org/pdf/2607.00201"  # not javascript:
    assert paper["title"] == HOSTILE_TITLE  # JSON carries the text as it is


def test_unknown_paper(client: TestClient) -> None:
    assert "nope" in error(client, "/api/v1/papers/nope", 404)["message"]
    error(client, "/api/v1/papers/%00", 404)


def test_search(client: TestClient) -> None:
    body = get(client, "/api/v1/search?q=strings")
    assert body["searched"] and body["pagination"]["total"] == 1
    hit = body["hits"][0]
    assert hit["id"] == "hep-th/9901001" and "<mark>strings</mark>" in hit["snippet_html"]
    assert hit["score"] > 0
    assert body["took_ms"] >= 0 and body["sort"] == "relevance"
    filtered = get(client, "/api/v1/search?q=robust+cat:cs.CL+-attention+sort:date")
    assert ids(filtered["hits"]) == [DOI_ID] and filtered["sort"] == "date"
    assert filtered["filters"] == ["category: cs.CL", "without: attention"]
    paged = get(client, "/api/v1/search?q=robust&per_page=5&page=2&mode=bm25")
    assert len(paged["hits"]) == 5 and paged["pagination"]["page"] == 2
    assert paged["pagination"]["total"] == len(records()) - 2  # not string theory, not entmax
    empty = get(client, "/api/v1/search?q=")
    assert empty["searched"] is False and empty["hits"] == []


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("/api/v1/search?q=%22open", "never closed"),
        ("/api/v1/search?q=x&mode=dense", "mode: Input should be 'bm25', 'hybrid'"),
        ("/api/v1/search?q=x&page=0", "page"),
        ("/api/v1/search?q=x&per_page=1000", "per_page"),
        ("/api/v1/days/2026-02-30", "is not a day"),
        ("/api/v1/months/26-01", "is not a month"),
        ("/api/v1/days/latest?page=x", "page"),
        ("/api/v1/similar?ids=2607.00001&k=0", "k"),
    ],
)
def test_bad_requests_are_400(client: TestClient, url: str, needle: str) -> None:
    assert needle in error(client, url, 400)["message"]


def test_search_page_past_the_results_window_is_404(client: TestClient) -> None:
    assert "past the last page" in error(client, "/api/v1/search?q=x&page=999", 404)["message"]
    assert (
        "past the last page"
        in error(client, "/api/v1/search?q=x&page=11&per_page=100", 404)["message"]
    )


def test_bad_query_detail_points_at_the_problem(client: TestClient) -> None:
    err = error(client, "/api/v1/search?q=robust%20%22open", 400)
    assert err["detail"] == {"position": 7}
    validation = error(client, "/api/v1/days/latest?page=0", 400)
    assert validation["detail"][0]["where"] == "page"


def test_similar(client: TestClient) -> None:
    body = get(client, "/api/v1/similar?ids=hep-th/9901001&k=3")
    assert len(body["papers"]) == 3 and "hep-th/9901001" not in ids(body["papers"])
    both = get(client, "/api/v1/similar?ids=2607.00001&ids=2607.00002&k=5")
    assert not {"2607.00001", "2607.00002"} & set(ids(both["papers"]))
    text = get(client, "/api/v1/similar?text=branes+and+string+duality&k=1")
    assert ids(text["papers"]) == ["hep-th/9901001"]
    only_cl = get(client, "/api/v1/similar?ids=2607.00001&filters=cat:hep-th")
    assert set(ids(only_cl["papers"])) <= {"hep-th/9901001"}
    assert "nope" in error(client, "/api/v1/similar?ids=nope", 404)["message"]
    error(client, "/api/v1/similar?ids=%00", 404)


def test_status(client: TestClient) -> None:
    body = get(client, "/api/v1/status")
    assert body["papers"] == len(records()) and body["days"] == 4
    assert body["index"]["papers_indexed"] == len(records())
    assert body["index"]["up_to_date"] is True and body["index"]["lags_store_by"] == 0
    assert body["index"]["papers_embedded"] == 0  # lexical only: search and similar still work
    assert body["settings"]["database"] == "sqlite"


def test_unknown_routes_and_methods_use_the_error_object(client: TestClient) -> None:
    error(client, "/api/v1/nothing-here", 404)
    r = client.post("/api/v1/search?q=x")
    assert r.status_code == 405 and r.json()["error"]["status"] == 405


def test_openapi_document(client: TestClient) -> None:
    doc = get(client, "/openapi.json")
    paths = set(doc["paths"])
    for path in (
        "/api/v1/days/latest",
        "/api/v1/days/{day}",
        "/api/v1/weeks/{day}",
        "/api/v1/months/{month}",
        "/api/v1/categories",
        "/api/v1/categories/{category}",
        "/api/v1/trending",
        "/api/v1/papers/{paper_id}",
        "/api/v1/search",
        "/api/v1/similar",
        "/api/v1/status",
    ):
        assert path in paths, path
    assert not any(p.startswith("/paper") or p == "/" for p in paths)  # HTML stays out
    listing = doc["components"]["schemas"]["Listing"]
    assert "pagination" in listing["properties"]
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in docs.text
    assert "<script>" not in docs.text  # no inline script: the CSP stays 'self'
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
