"""Opening the database: engine set-up per dialect and schema migrations."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: no cross-process lock for SQLite's first migration
    fcntl = None  # type: ignore[assignment]

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, delete, event, false, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    IntegrityError,
    NoSuchModuleError,
    OperationalError,
    ProgrammingError,
)

from paperwire.errors import ConfigError
from paperwire.settings import Settings, load_settings
from paperwire.store.schema import ingest_checkpoints

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL: readers never block the writer; NORMAL is durable at each commit in WAL mode.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def make_engine(url: str) -> Engine:
    """An engine for a SQLite or PostgreSQL URL, with the directory of a SQLite file created."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"database URL {url!r} is not valid: {exc}") from exc
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql":
        try:
            return create_engine(parsed, pool_pre_ping=True)
        except (NoSuchModuleError, ModuleNotFoundError) as exc:
            raise ConfigError(
                "PostgreSQL needs its driver: pip install 'paperwire[postgres]'"
            ) from exc
    raise ConfigError(
        f"database {parsed.get_backend_name()!r} is not supported: use sqlite:///PATH or "
        "postgresql+psycopg://USER:PASS@HOST/DB"
    )


PAPER_WRITER_LOCK = 7_270_417  # PostgreSQL advisory lock key of the paper writers


def lock_paper_writers(conn: Connection) -> None:
    """Make this transaction the only paper writer until it ends (the first statement in it).

    A batch reads the papers it may match, then writes: two ingests doing that at once both see
    "no such paper" and the second insert fails on the unique arXiv id. Holding the writer lock
    from the first statement makes the second batch wait, then read what the first committed.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(PAPER_WRITER_LOCK)))
    else:
        # SQLite: any write statement takes the database's write lock (waiting busy_timeout).
        conn.execute(delete(ingest_checkpoints).where(false()))


def _alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


# Alembic's `op` and `context` are module globals: two threads migrating at once (the index
# follower and a web worker of one `paperwire serve` process) would trip over each other.
_MIGRATING = threading.Lock()


def migrate(engine: Engine) -> bool:
    """Bring the schema to the newest migration; True when something was applied."""
    with _MIGRATING:
        return _migrate(engine)


def _migrate(engine: Engine) -> bool:
    cfg = _alembic_config()
    head = ScriptDirectory.from_config(cfg).get_current_head()
    try:
        with _other_processes_held_off(engine), engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK)))
            current = MigrationContext.configure(conn).get_current_revision()
            if current == head:
                return False
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except (OperationalError, ProgrammingError, IntegrityError) as exc:
        raise ConfigError(f"cannot open the database: {exc.orig}") from exc
    log.info("database migrated from %s to %s", current, head)
    return True


# Two processes starting at once (`serve --workers N`) both find the schema old; without a lock
# the second one's DDL fails on what the first is making. The first migrates, the others wait and
# then find the schema at head. PostgreSQL: an advisory lock held by the migrating transaction.
MIGRATION_LOCK = 7_270_418


@contextmanager
def _other_processes_held_off(engine: Engine) -> Iterator[None]:
    """SQLite: an exclusive lock on a file beside the database while migrating (SQLite's own
    locks do not cover its DDL here, and locking the database file itself with a second
    descriptor would break them). Nothing for other databases (their lock is taken in SQL)."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or fcntl is None:
        yield
        return
    with open(f"{database}.migrate-lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except (OperationalError, ProgrammingError):
        return None


class Store:
    """A migrated database. Everything that reads or writes papers takes one of these."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(settings: Settings | None = None, *, url: str | None = None) -> Store:
    """Open (and migrate) the store named by `url` or the settings."""
    settings = settings or load_settings()
    engine = make_engine(url or settings.db_url)
    migrate(engine)
    return Store(engine)
