"""Every fast path of the message path, in one place, behind one setting: `NONGBOT_FAST_PATHS`.

A fast path does what the library would do, with less CPU, by going around the library's general
machinery. There are two:

- `DriverStatement`: a Core statement compiled once for PostgreSQL and run on psycopg's cursor under a
  SQLAlchemy Connection (the webhook's user upsert, message log and dialog state; the dialog's reads
  through `bot.records.turn.TurnRecords.read`, compiled here by `driver_statement`). SQLAlchemy's execution costs ~80 µs of CPU a statement here on top of psycopg's.
- `evalsha`: the Redis store's claim and finish sent straight to the wire on a connection of the
  calling thread's own, around redis-py's per-command path (~40 µs a call).

`NONGBOT_FAST_PATHS=0` (or false/no/off) turns both off: statements run through SQLAlchemy's
`Connection.execute`, scripts through redis-py's `Script`. Default on. CI runs the end-to-end tests
both ways; the replies and records are the same. Read when a component is built (the gateway, a
store), so a process runs one way throughout.

Statement events (`before_cursor_execute`, what `echo` and the tests that count statements listen to)
see a `DriverStatement`'s SQL too: it fires the engine's listeners itself when there are any.
"""
from __future__ import annotations

import os
from typing import Any

from psycopg.rows import namedtuple_row

SETTING = "NONGBOT_FAST_PATHS"
_OFF = {"0", "false", "no", "off"}


def enabled() -> bool:
    """Whether the fast paths are on (NONGBOT_FAST_PATHS, default on)."""
    return os.environ.get(SETTING, "1").strip().lower() not in _OFF


def on_psycopg(engine: Any) -> bool:
    """Whether `DriverStatement` runs on `engine`: fast paths on, PostgreSQL through psycopg."""
    return enabled() and engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg"


class DriverStatement:
    """A Core statement compiled once for PostgreSQL and run on the psycopg cursor under a SQLAlchemy
    Connection, inside that connection's transaction. The statement must name every value it writes (no
    Python-side column defaults left to fill); bound values go through their types' bind processors as
    SQLAlchemy would send them. Build one only where `on_psycopg(engine)`."""

    def __init__(self, statement: Any, dialect: Any) -> None:
        compiled = statement.compile(dialect=dialect)
        if compiled.insert_prefetch or compiled.update_prefetch:
            names = ", ".join(c.name for c in (*compiled.insert_prefetch, *compiled.update_prefetch))
            raise ValueError(f"give these columns' values in the statement: {names}")
        if compiled.post_compile_params:  # an expanding IN, rendered per execution by SQLAlchemy only
            raise ValueError("one bound value per parameter: no expanding IN")
        self.sql = str(compiled)
        self._compiled = compiled
        self._processors = {name: process for bind, name in compiled.bind_names.items()
                            if (process := bind.type._cached_bind_processor(dialect)) is not None}

    def execute(self, conn: Any, values: dict[str, Any]) -> Any:
        """Runs on `conn`'s DBAPI connection; answers the cursor (rows as named tuples)."""
        params = self._compiled.construct_params(values)
        for name, process in self._processors.items():
            params[name] = process(params[name])
        dbapi = conn.connection.driver_connection
        cursor = dbapi.cursor(row_factory=namedtuple_row)
        sql = self.sql
        if conn._has_events or conn.engine._has_events:  # the tests counting statements see this one too
            for listener in conn.dispatch.before_cursor_execute:
                sql, params = listener(conn, cursor, sql, params, None, False)
        try:
            cursor.execute(sql, params, prepare=True)
        except Exception as exc:
            if conn.dialect.is_disconnect(exc, dbapi, cursor):
                # As SQLAlchemy does with its own statements: the connection is dropped from the pool, and the
                # caller's rollback and next begin get a live one (the gateway answers with its apology).
                conn.invalidate(exc)
            raise
        return cursor


class CoreStatement:
    """The same interface as `DriverStatement` through SQLAlchemy's own execution (fast paths off, or
    not PostgreSQL): `execute(conn, values)` answers a result whose rows have the same names."""

    def __init__(self, statement: Any) -> None:
        self.statement = statement

    def execute(self, conn: Any, values: dict[str, Any]) -> Any:
        return conn.execute(self.statement, values)


def statement(engine: Any, stmt: Any) -> DriverStatement | CoreStatement:
    """`stmt` compiled for the fast path where it runs, else run by SQLAlchemy; same `execute`."""
    return DriverStatement(stmt, engine.dialect) if on_psycopg(engine) else CoreStatement(stmt)


_driver_statements: dict[tuple[str, str, int], DriverStatement | None] = {}


def driver_statement(engine: Any, stmt: Any) -> DriverStatement | None:
    """`stmt` (a module's constant) compiled once for the fast path where it runs; None where it does not
    (fast paths off, not PostgreSQL through psycopg): the caller then runs it through SQLAlchemy."""
    key = (engine.dialect.name, engine.dialect.driver, id(stmt))
    try:
        return _driver_statements[key]
    except KeyError:
        found = _driver_statements[key] = DriverStatement(stmt, engine.dialect) if on_psycopg(engine) else None
        return found
