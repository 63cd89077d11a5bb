"""`paperwire backup DEST` / `paperwire restore SRC`: the store and the settings; the search
index is not backed up, since it is always rebuilt from the store.

A backup is a folder: `paperwire.db` (SQLite, copied with SQLite's online backup API: a
consistent snapshot taken while the site serves and the worker writes) or `paperwire.pgdump`
(PostgreSQL, `pg_dump --format=custom`), `secret_key` (what signs sessions and unsubscribe
links, so old mails keep working), `settings.env` (the non-default settings, secrets left out)
and `manifest.json` (what is inside, with row counts).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from paperwire import __version__
from paperwire.errors import ConfigError, PaperwireError
from paperwire.settings import Settings

MANIFEST = "manifest.json"
SQLITE_FILE = "paperwire.db"
PG_FILE = "paperwire.pgdump"
SECRET_FIELDS = {"secret_key", "smtp_password", "database_url"}  # never written to settings.env


class BackupError(PaperwireError):
    """A backup or restore that could not be done (a tool missing, a file unreadable)."""


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise ConfigError("an in-memory SQLite store cannot be backed up")
    return Path(parsed.database).expanduser()


def _pg_url(url: str) -> str:
    """The libpq URL of a SQLAlchemy PostgreSQL URL (pg_dump does not read `+psycopg`)."""
    parsed = make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


def _fresh_folder(dest: Path) -> None:
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ConfigError(f"{dest} exists and is not an empty folder: choose a new one")
    dest.mkdir(parents=True, exist_ok=True)


def _settings_env(settings: Settings) -> str:
    defaults = Settings.model_construct()
    lines = ["# paperwire settings at backup time (secrets left out); source this file or copy"]
    for name, field in Settings.model_fields.items():
        value = getattr(settings, name)
        if name in SECRET_FIELDS or value == field.default:
            continue
        if name == "home" and value == defaults.home:
            continue
        text = str(value).lower() if isinstance(value, bool) else str(value)
        lines.append(f"PAPERWIRE_{name.upper()}={json.dumps(text)}")
    return "\n".join(lines) + "\n"


def _copy_sqlite(src: Path, dest: Path) -> None:
    """SQLite's online backup: pages copied under a read transaction (WAL: writers go on)."""
    source = sqlite3.connect(src, timeout=30)
    target = sqlite3.connect(dest)
    try:
        source.execute("PRAGMA busy_timeout=30000")
        source.backup(target)
    finally:
        target.close()
        source.close()


def _table_counts(url: str) -> dict[str, int]:
    from sqlalchemy import func, select

    from paperwire.store.db import make_engine
    from paperwire.store.schema import metadata

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {
                t.name: int(conn.scalar(select(func.count()).select_from(t)) or 0)
                for t in metadata.sorted_tables
            }
    finally:
        engine.dispose()


def backup_store(settings: Settings, dest: Path) -> dict[str, Any]:
    """Back the store and the settings up into the new folder `dest`."""
    from paperwire.store import open_store

    with open_store(settings):  # the schema brought up to date: a restore knows what it gets
        pass
    _fresh_folder(dest)
    url = settings.db_url
    path = _sqlite_path(url)
    if path is not None:
        _copy_sqlite(path, dest / SQLITE_FILE)
        counts = _table_counts(f"sqlite:///{dest / SQLITE_FILE}")
        kind, file = "sqlite", SQLITE_FILE
    else:
        _pg_dump(url, dest / PG_FILE)
        counts = _table_counts(url)  # read after the dump: a guide, not the dump's exact counts
        kind, file = "postgresql", PG_FILE
    if not settings.secret_key:  # the data home's key (made now if the site never ran)
        settings.signing_key  # noqa: B018
        shutil.copy2(settings.home_dir / "secret_key", dest / "secret_key")
        os.chmod(dest / "secret_key", 0o600)
    (dest / "settings.env").write_text(_settings_env(settings))
    manifest = {
        "paperwire": __version__,
        "created": datetime.now(UTC).isoformat(),
        "database": kind,
        "file": file,
        "rows": counts,
    }
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    papers = counts.get("papers", 0)
    return manifest | {
        "folder": str(dest),
        "message": f"backed up {papers:,} papers ({kind}) and the settings to {dest}",
    }


def _pg_dump(url: str, target: Path) -> None:
    tool = shutil.which("pg_dump")
    if tool is None:
        raise BackupError(
            "pg_dump is not installed here. Back PostgreSQL up with: pg_dump --format=custom "
            f"--file {target} 'postgresql://USER@HOST/DB' (Debian: apt-get install "
            "postgresql-client), then copy the data home's secret_key beside it"
        )
    done = subprocess.run(
        [tool, "--format=custom", "--no-owner", f"--file={target}", _pg_url(url)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()[-500:]}")


def _read_manifest(src: Path) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads((src / MANIFEST).read_text())
    except FileNotFoundError as exc:
        raise ConfigError(f"{src} is not a paperwire backup (no {MANIFEST})") from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{src / MANIFEST} is damaged: {exc}") from exc
    if not (src / str(manifest.get("file"))).is_file():
        raise ConfigError(f"{src} lacks its database file {manifest.get('file')!r}")
    return manifest


def restore_store(settings: Settings, src: Path, *, force: bool = False) -> dict[str, Any]:
    """Replace the store with the backup in `src`, then rebuild the search index from it.
    Stop the server and the worker first. Refuses a store with papers unless `force`."""
    manifest = _read_manifest(src)
    url = settings.db_url
    path = _sqlite_path(url)
    if (path is None) != (manifest["database"] == "postgresql"):
        raise ConfigError(
            f"the backup holds a {manifest['database']} store; the configured store is "
            f"{'sqlite' if path is not None else 'postgresql'}"
        )
    _refuse_unless_empty(settings, force)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        _copy_sqlite(src / SQLITE_FILE, path)
    else:
        _pg_restore(url, src / PG_FILE)
    key = src / "secret_key"
    if key.exists() and not settings.secret_key:
        settings.home_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy2(key, settings.home_dir / "secret_key")
    indexed = _rebuild_index(settings)
    return {
        "restored": str(src),
        "rows": _table_counts(url),
        "papers_indexed": indexed,
        "message": (
            f"restored {manifest['rows'].get('papers', 0):,} papers from {src}; lexical index "
            f"rebuilt ({indexed:,} papers); `paperwire index embed` (or the worker) refills "
            "the embeddings"
        ),
    }


def _refuse_unless_empty(settings: Settings, force: bool) -> None:
    from paperwire.store import open_store
    from paperwire.store.papers import stats

    with open_store(settings) as store:
        papers = stats(store)["papers"]
    if papers and not force:
        raise ConfigError(
            f"the store already holds {papers:,} papers: restore into a new data home, or "
            "give --force to replace it"
        )


def _pg_restore(url: str, dump: Path) -> None:
    tool = shutil.which("pg_restore")
    if tool is None:
        raise BackupError(
            f"pg_restore is not installed here. Restore with: pg_restore --clean --if-exists "
            f"--no-owner -d 'postgresql://USER@HOST/DB' {dump}"
        )
    done = subprocess.run(
        [tool, "--clean", "--if-exists", "--no-owner", f"--dbname={_pg_url(url)}", str(dump)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.strip()[-500:]}")


def _rebuild_index(settings: Settings) -> int:
    from paperwire.index.manager import index_folder, open_backend, update_index
    from paperwire.store import open_store

    shutil.rmtree(index_folder(settings), ignore_errors=True)
    with open_store(settings) as store:  # also migrates a backup made by an older release
        result = update_index(store, open_backend(settings, rebuild=True), full=True)
    return int(result["papers_indexed"])
