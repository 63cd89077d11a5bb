"""Property-based tests of the JSON API from its own OpenAPI document (schemathesis): every
operation, valid and invalid parameters, a bounded and reproducible number of examples.

Whatever the input, the API answers without a server error, and every 4xx is the API's error
object `{"error": {"status", "message", "detail"}}` with the response's status.
"""

from __future__ import annotations

from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from paperwire.settings import Settings
from paperwire.web import create_app

MAX_EXAMPLES = 25
# Values the test store holds (tests/support/webdata.py), and near misses.
REAL: dict[str, list[str]] = {
    "day": ["2026-07-01", "2026-06-30", "2026-06-24", "1999-01-04", "2026-02-30", "0001-01-01"],
    "month": ["2026-07", "2026-06", "1999-01", "2026-13", "9999-12"],
    "category": ["cs.CL", "cs.LG", "hep-th", "cs.cl", "cs.CL/../x"],
    "paper_id": [
        "2607.00001",
        "2607.00001v1",
        "2607.00001v9",
        "hep-th/9901001",
        "doi:10.1234/jp.2026(7)-1",
        "2607.99999",
    ],
}
QUERIES = [
    "robust transformers",
    "cat:cs.CL attention",
    'author:"Ada Lovelace" -robust',
    "year:2026 has:code sort:date",
    "date:2026-07 after:2026-06-30 before:2026-07-02",
    '"robust transformers" -cat:cs.LG',
    "strings sort:relevance",
    "year:2030..2020",
    'cat: "unclosed',
    "",
]


@schemathesis.check
def api_error_object(ctx: schemathesis.CheckContext, response: Any, case: Any) -> bool | None:
    """Every 4xx (and 5xx) is `{"error": {"status", "message", "detail"}}`."""
    if response.status_code < 400:
        return None
    content_type = response.headers.get("content-type", [""])
    content_type = content_type[0] if isinstance(content_type, list) else content_type
    assert content_type.startswith("application/json"), f"error as {content_type!r}"
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"error"}, f"not an error object: {body!r}"
    error = body["error"]
    assert isinstance(error, dict), f"not an error object: {body!r}"
    assert {"status", "message", "detail"} <= set(error), f"error object lacks keys: {error!r}"
    assert error["status"] == response.status_code, f"status {error['status']} in the body"
    assert isinstance(error["message"], str) and error["message"], "an empty message"
    assert "Traceback" not in error["message"]
    return True


@pytest.fixture(scope="module")
def api_schema(settings: Settings) -> Any:
    """The API's schema, over its own app (schemathesis runs the app's lifespan itself)."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(settings))
    schema.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        max_examples=MAX_EXAMPLES,
        deterministic=True,
    )

    @schema.hook
    def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
        """Half the time, a real day, month, category or paper id (random strings never are)."""
        if not isinstance(path_parameters, dict):
            return st.just(path_parameters)
        real = [
            {**path_parameters, name: value}
            for name in path_parameters
            for value in REAL.get(name, [])
        ]
        if not real:
            return st.just(path_parameters)
        return st.one_of(st.just(path_parameters), st.sampled_from(real))

    @schema.hook
    def flatmap_query(context: Any, query: dict[str, Any]) -> Any:
        """Sometimes real search queries, modes and paper ids for /search and /similar."""
        if not isinstance(query, dict):
            return st.just(query)
        real = {
            "q": st.sampled_from(QUERIES),
            "filters": st.sampled_from(QUERIES),
            "mode": st.sampled_from(["bm25", "hybrid", "hybrid+rerank", "BM25", "dense"]),
            "ids": st.lists(st.sampled_from(REAL["paper_id"]), min_size=1, max_size=3),
        }
        present = {name: strategy for name, strategy in real.items() if name in query}
        if not present:
            return st.just(query)
        replaced = st.fixed_dictionaries(present).map(lambda values: {**query, **values})
        return st.one_of(st.just(query), replaced)

    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api(case: schemathesis.Case) -> None:
    case.call_and_validate(
        checks=[not_a_server_error, api_error_object, response_schema_conformance]
    )


@pytest.mark.slow  # ~30 s on 2 cores: a server process and ~400 requests
@pytest.mark.network_local
def test_schemathesis_run_checks_all_finds_nothing(settings: Settings) -> None:
    """`schemathesis run --checks all` against `paperwire serve`, on a small budget: no ST202
    (a request the schema allows but the API rejects) nor any other failure (issue 17)."""
    import shutil
    import socket
    import subprocess
    import sys
    import time

    import httpx

    st_cli = shutil.which("schemathesis") or shutil.which("st")
    if st_cli is None:
        pytest.skip("the schemathesis command is not installed")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    cmd = [sys.executable, "-m", "paperwire", "--home", str(settings.home), "serve"]
    server = subprocess.Popen([*cmd, "--port", str(port)], stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/openapi.json"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(url, timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, "no server"
                time.sleep(0.2)
        run = subprocess.run(
            [st_cli, "run", url, "--checks", "all", "--max-examples", "10", "--seed", "1"],
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert run.returncode == 0 and "ST202" not in run.stdout, run.stdout[-4000:]
