"""A damaged index file: `index build` rebuilds from the store with no hand deletion, search /
status / update say so in one line, and the web site keeps serving without search (issue 17)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from paperwire.index.manager import index_folder, open_index, update_index
from paperwire.settings import Settings
from paperwire.store import open_store
from paperwire.store.papers import upsert_records
from paperwire.web import create_app
from paperwire.web.serve import bring_index_up_to_date
from tests.support.clirun import run_main
from tests.support.paperfactory import paper_record

DAMAGE = [
    "state.json",
    "embedded.npz",
    "lexical/vocab.json",
    "lexical/meta.json",
    "lexical/df.npy",
    "dense/meta.json",  # an embedding part: dropped by the rebuild, redone by `index embed`
    "tokens/keys.npy",
]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("PAPERWIRE_DATABASE_URL", raising=False)
    settings = Settings(home=tmp_path)
    records = [
        paper_record(title="Wombat burrows", arxiv_id="2607.01001"),
        paper_record(title="Quokka locomotion", arxiv_id="2607.01002"),
    ]
    with open_store(settings) as store:
        upsert_records(store, records)
        update_index(store, open_index(settings))
    return tmp_path


def damage(home: Path, name: str) -> None:
    path = index_folder(Settings(home=home)) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x00garbage, as after a disk error")


@pytest.mark.parametrize("name", DAMAGE)
def test_damaged_index_clear_errors_then_build_repairs(
    capsys: pytest.CaptureFixture[str], home: Path, name: str
) -> None:
    damage(home, name)
    for command in (("search", "wombat"), ("index", "status"), ("index", "update")):
        code, _, err = run_main(capsys, "--home", str(home), *command)
        assert code == 1, command
        assert "Traceback" not in err
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1 and ("damaged" in err or "not a paperwire index" in err)
        assert "paperwire index build" in " ".join(err.split())
    code, out, err = run_main(capsys, "--home", str(home), "index", "build")
    assert code == 0, err
    assert "2 in the index" in out
    code, out, _ = run_main(capsys, "--home", str(home), "search", "wombat", "--json")
    assert code == 0 and "Wombat burrows" in out
    code, _, _ = run_main(capsys, "--home", str(home), "index", "status")
    assert code == 0


def test_serve_with_a_damaged_index_runs_without_search_until_rebuilt(home: Path) -> None:
    settings = Settings(home=home)
    damage(home, "lexical/vocab.json")
    assert bring_index_up_to_date(settings) == {}  # `serve` goes on instead of exiting
    app = create_app(settings, check_every=0.0)
    with TestClient(app) as client:
        assert client.get("/").status_code == 200
        assert client.get("/paper/2607.01001").status_code == 200
        page = client.get("/search?q=wombat")
        assert page.status_code == 503
        assert "paperwire index build" in page.text
        api = client.get("/api/v1/search", params={"q": "wombat"})
        assert api.status_code == 503
        assert "search index is damaged" in api.json()["error"]["message"]
        problem = client.get("/api/v1/status").json()["index"]["problem"]
        assert "damaged" in problem and str(home) not in problem  # no paths in public
        assert "search index is damaged" in client.get("/about").text

        time.sleep(0.01)  # a new mtime for state.json even on coarse clocks
        with open_store(settings) as store:
            update_index(store, open_index(settings, rebuild=True), full=True)
        found = client.get("/search?q=wombat")
        assert found.status_code == 200 and "Wombat burrows" in found.text
        assert client.get("/api/v1/status").json()["index"]["problem"] is None
