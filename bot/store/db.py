"""Database engine, sessions and schema migrations (Alembic) for SQLite and PostgreSQL."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent.parent / "migrations"


def make_engine(url: str, *, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        # Enough connections that a thread holding a records transaction never waits on another for
        # a store connection (the gateway works on at most CONCURRENT_MESSAGES at once).
        engine = create_engine(url, echo=echo, pool_size=10, max_overflow=10, pool_timeout=30,
                               connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # noqa: ANN001
            # WAL lets readers run beside the one writer; busy_timeout queues writers instead of failing.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    # No pool_pre_ping: it costs a round trip per checkout, several per message. Connections are
    # recycled before servers or proxies drop idle ones; one dropped anyway fails one statement and
    # SQLAlchemy discards the whole pool's stale connections (a WeChat retry then succeeds).
    engine = create_engine(url, echo=echo, pool_size=10, max_overflow=10, pool_recycle=300)
    # An INSERT of several rows (a message's log: the farmer's line and the replies) goes as one
    # multi-VALUES statement, not psycopg's pipelined executemany: ~15 % less CPU per message log.
    engine.dialect.use_insertmanyvalues_wo_returning = True
    return engine


def dialect_insert(engine: Engine):  # noqa: ANN201 - the dialect's INSERT, with ON CONFLICT support
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif engine.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - the CONTRACT names only these two databases
        raise RuntimeError(f"upserts need SQLite or PostgreSQL, not {engine.dialect.name}")
    return insert


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work commits on success and rolls back on error."""
    with factory() as session, session.begin():
        yield session


def alembic_config(url: str):  # noqa: ANN201
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str) -> None:
    """Create or migrate the schema at `url` to the newest revision."""
    from alembic import command

    command.upgrade(alembic_config(url), "head")


def schema_behind(url: str) -> tuple[str | None, str] | None:
    """(current revision, newest revision) when the schema at `url` needs `nongbot db upgrade`, else None."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
    return None if current == head else (current, head)


def ping(engine: Engine) -> bool:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - readiness reports any failure as not ready
        return False

