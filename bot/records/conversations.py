"""Where a farmer's conversation (the dialog's state) lives: the `dialog_sessions` table, read and written
on the message's own connection, inside its transaction, so it commits or rolls back with the records
the message leads to. Redis (or the embedded store) only coordinates: claims, locks, caches.

`load(conn, openid)` is the stored state (a dict) or None; `save(conn, openid, state, ttl)` upserts it.
A state older than its ttl reads as None; stale rows are deleted now and then by `purge`.
"""
from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.engine import Connection

from bot import fastpath
from bot.store.db import dialect_insert
from bot.records.models import DialogSession

_table = DialogSession.__table__
_SELECT = select(_table.c.state).where(_table.c.openid == bindparam("openid"),
                                       _table.c.expires_at > bindparam("now"))
# Keyed by what the compiled statement depends on: an engine's id() is reused once it is collected (a test's
# SQLite engine could find a PostgreSQL engine's psycopg statement under the same id).
_statements: dict[tuple[str, str, bool, str], Any] = {}


def _upsert(engine: Any) -> Any:
    stmt = dialect_insert(engine)(_table).values(openid=bindparam("openid"), state=bindparam("state"),
                                                 expires_at=bindparam("expires_at"))
    return stmt.on_conflict_do_update(index_elements=[_table.c.openid],
                                      set_={"state": stmt.excluded.state, "expires_at": stmt.excluded.expires_at})


def _statement(conn: Connection, name: str) -> Any:
    engine = conn.engine
    key = (engine.dialect.name, engine.dialect.driver, fastpath.on_psycopg(engine), name)
    found = _statements.get(key)
    if found is None:
        found = _statements[key] = fastpath.statement(engine, _SELECT if name == "select" else _upsert(engine))
    return found


def load(conn: Connection, openid: str, now: float | None = None) -> dict[str, Any] | None:
    """The conversation stored for `openid` (None: none, or expired), read in `conn`'s transaction."""
    row = _statement(conn, "select").execute(conn, {"openid": openid, "now": now or time.time()}).fetchone()
    return None if row is None else json.loads(row[0])


def save(conn: Connection, openid: str, state: Any, ttl: float, now: float | None = None) -> None:
    """Store `state` for `openid` in `conn`'s transaction, live for `ttl` seconds."""
    _statement(conn, "upsert").execute(conn, {"openid": openid, "expires_at": (now or time.time()) + ttl,
                                              "state": json.dumps(state, ensure_ascii=False, separators=(",", ":"))})


def purge(conn: Connection, now: float | None = None) -> int:
    """Delete the expired conversations; the number deleted."""
    return conn.execute(delete(_table).where(_table.c.expires_at <= (now or time.time()))).rowcount


def read(engine: Any, openid: str) -> dict[str, Any] | None:
    """`load` on a connection of its own (tools, tests)."""
    with engine.connect() as conn:
        return load(conn, openid)


def write(engine: Any, openid: str, state: Any, ttl: float = 7 * 24 * 3600.0) -> None:
    """`save` in a transaction of its own (tools, tests)."""
    with engine.begin() as conn:
        save(conn, openid, state, ttl)


def forget(engine: Any, openid: str) -> None:
    """Delete `openid`'s conversation (tools, tests)."""
    with engine.begin() as conn:
        conn.execute(delete(_table).where(_table.c.openid == openid))
