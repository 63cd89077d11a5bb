"""`paperwire store migrate-to`: the whole SQLite store copied into a real PostgreSQL
(store/copy.py)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from paperwire.settings import Settings
from paperwire.store import Store, open_store
from paperwire.store.changes import latest_change
from paperwire.store.comments import add_comment
from paperwire.store.copy import TargetNotEmpty, copy_store
from paperwire.store.papers import find_paper, upsert_records
from paperwire.store.schema import metadata
from paperwire.store.users import create_user
from paperwire.store.votes import add_vote
from tests.support.clirun import run_main
from tests.support.paperfactory import arxiv_record

pytestmark = pytest.mark.postgres
DAY = date(2026, 7, 1)


def rows(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, times as UTC instants (SQLite returns them without a zone)."""

    def norm(value: Any) -> Any:
        if isinstance(value, datetime):
            return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
        return json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else value

    found = {}
    with store.engine.connect() as conn:
        for table in metadata.sorted_tables:
            found[table.name] = sorted(
                (tuple(norm(v) for v in r) for r in conn.execute(select(table))), key=repr
            )
    return found


@pytest.fixture
def source(tmp_path: Path) -> Store:
    store = open_store(Settings(home=tmp_path / "home"))
    upsert_records(store, [arxiv_record(n, DAY) for n in range(1, 121)])
    user, _ = create_user(store, "ada@example.org", "Ada")
    pk = find_paper(store, "2607.00003")[0]
    add_vote(store, user.id, pk)
    first = add_comment(store, paper_pk=pk, user_id=user.id, body="A first comment")
    add_comment(store, paper_pk=pk, user_id=user.id, body="A reply", parent_id=first)
    return store


def test_copy_into_postgresql_is_table_by_table_identical(source: Store, pg_url: str) -> None:
    target = open_store(url=pg_url)
    seen: list[tuple[str, int, int]] = []
    copied = copy_store(source, target, batch=50, progress=lambda *p: seen.append(p))
    assert copied["papers"] == 120 and copied["comments"] == 2 and copied["votes"] == 1
    assert ("papers", 50, 120) in seen and ("papers", 120, 120) in seen  # in batches
    assert rows(target) == rows(source)
    # New rows get fresh ids (the sequences moved past the copied ones), and the next change.
    upsert_records(target, [arxiv_record(500, DAY)])
    assert find_paper(target, "2607.00500")[0] == 121 and latest_change(target) == 2
    user, made = create_user(target, "bob@example.org")
    assert made and user.id == 2
    target.close()


def test_a_target_holding_data_is_refused_unless_forced(source: Store, pg_url: str) -> None:
    target = open_store(url=pg_url)
    upsert_records(target, [arxiv_record(900, DAY)])
    with pytest.raises(TargetNotEmpty, match=r"already holds data \(.*papers 1.*--force"):
        copy_store(source, target)
    assert [r[1] for r in rows(target)["papers"]] == ["2607.00900"]  # nothing touched
    copy_store(source, target, force=True)
    assert rows(target) == rows(source)
    target.close()


def test_the_command_copies_then_says_to_build_the_index(
    source: Store, pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = ["--home", str(tmp_path / "home")]
    code, out, err = run_main(capsys, *home, "store", "migrate-to", pg_url)
    assert code == 0, err
    assert "copied" in out and "paperwire index build" in out
    code, out, err = run_main(capsys, *home, "store", "migrate-to", pg_url)
    assert code == 1 and "--force" in err and "Traceback" not in err
    code, out, err = run_main(capsys, *home, "store", "migrate-to", pg_url, "--force", "--json")
    assert code == 0 and json.loads(out)["copied"]["papers"] == 120
