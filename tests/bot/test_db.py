"""Storage: every model round-trips on SQLite and PostgreSQL, keys stay unique, and the migration is the models."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any, get_args, get_origin, get_type_hints
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Boolean, Float, Integer, String, Text, create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

from bot.store.db import alembic_config, make_engine, session_factory, upgrade
from bot.records.models import REQUEST_KINDS, Base, Ticket, UTCDateTime

# A local time far from UTC: what comes back must be the same instant, in UTC, still zone-aware.
LOCAL_MOMENT = datetime(2026, 5, 1, 9, 30, 15, 123456, tzinfo=ZoneInfo("Asia/Shanghai"))


def _sample(cls: type, column: Any, n: int) -> Any:
    """A value a column of this type must keep exactly (non-ASCII text, fractions, zones, JSON)."""
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return LOCAL_MOMENT
    if isinstance(kind, Boolean):
        return n % 2 == 0
    if isinstance(kind, Integer):
        return 40 + n
    if isinstance(kind, Float):
        return 29.75 + n
    if isinstance(kind, (String, Text)):
        length = getattr(kind, "length", None) or 200
        return f"石宝镇{n}"[:length] if length >= 4 else "农户"[:length]
    # JSON columns: the model's annotation (Mapped[dict[...]] or Mapped[list[...]]) says which shape.
    python_type = get_origin(get_args(get_type_hints(cls)[_attr(cls, column.key)])[0])
    if python_type is dict:
        return {"crop": "水稻", "area_mu": 50.5, "tags": ["托管", None, True]}
    if python_type is list:
        return ["统防统治", {"price": 25}, 3]
    raise AssertionError(f"no sample for {column} ({kind!r}): teach _sample this type")


def _mapped_classes() -> list[type]:
    by_table = {m.local_table.name: m.class_ for m in Base.registry.mappers}
    return [by_table[t.name] for t in Base.metadata.sorted_tables if t.name in by_table]


def test_every_table_is_a_mapped_model():
    assert {t.name for t in Base.metadata.sorted_tables} == {c.__table__.name for c in _mapped_classes()}


def test_every_model_round_trips(engine):
    sessions = session_factory(engine)
    written: dict[type, dict[str, Any]] = {}
    keys: dict[str, Any] = {}  # table name -> primary key of its row, for foreign keys
    with sessions() as session, session.begin():
        for n, cls in enumerate(_mapped_classes()):
            values = {}
            for column in cls.__table__.columns:
                if column.primary_key and isinstance(column.type, Integer):
                    continue
                fks = list(column.foreign_keys)
                values[column.key] = keys[fks[0].column.table.name] if fks else _sample(cls, column, n)
            obj = cls(**{_attr(cls, k): v for k, v in values.items()})
            session.add(obj)
            session.flush()
            keys[cls.__table__.name] = inspect(obj).identity[0]
            written[cls] = values
    with sessions() as session:
        for cls, values in written.items():
            pk = keys[cls.__table__.name]
            obj = session.get(cls, pk)
            assert obj is not None, cls.__name__
            for key, expected in values.items():
                got = getattr(obj, _attr(cls, key))
                assert got == expected, f"{cls.__name__}.{key}: {got!r} != {expected!r}"
                if isinstance(expected, datetime):
                    assert got.tzinfo is not None and got.utcoffset().total_seconds() == 0


def _attr(cls: type, column_key: str) -> str:
    return inspect(cls).get_property_by_column(cls.__table__.columns[column_key]).key


def test_naive_datetimes_are_taken_as_utc(engine):
    sessions = session_factory(engine)
    with sessions() as session, session.begin():
        ticket = Ticket(openid="oT", idempotency_key="naive", created_at=datetime(2026, 1, 2, 3, 4, 5))
        session.add(ticket)
    with sessions() as session:
        assert session.get(Ticket, ticket.id).created_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


@pytest.mark.parametrize("cls", [*REQUEST_KINDS.values(), Ticket], ids=lambda c: c.__name__)
def test_idempotency_key_is_unique(engine, cls):
    sessions = session_factory(engine)
    with sessions() as session, session.begin():
        session.add(cls(openid="oFarmer1", idempotency_key="oFarmer1:msg123"))
    with pytest.raises(IntegrityError), sessions() as session, session.begin():
        session.add(cls(openid="oFarmer1", idempotency_key="oFarmer1:msg123"))


def _diffs(engine) -> list[Any]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        return compare_metadata(context, Base.metadata)


def test_migrated_schema_matches_the_models(engine):
    assert _diffs(engine) == []


def test_upgrade_twice_is_a_no_op(database_url, engine):
    head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
    upgrade(database_url)
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head
    assert _diffs(engine) == []


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database_url(request, tmp_path):
    """A database with no schema at all, to migrate from nothing."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    from tests.conftest import PG_ADMIN_URL, _pg_url_for, service_missing

    name = f"nongbot_fresh_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001
        admin.dispose()
        service_missing("PostgreSQL", f"{PG_ADMIN_URL}: {str(exc).splitlines()[0]}")
    yield _pg_url_for(name)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_from_nothing_twice_gives_the_models_schema(empty_database_url):
    upgrade(empty_database_url)
    upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    try:
        assert _diffs(engine) == []
        assert set(inspect(engine).get_table_names()) >= {t.name for t in Base.metadata.sorted_tables}
    finally:
        engine.dispose()


def test_serve_and_worker_on_an_unmigrated_database_say_to_upgrade_first(empty_database_url, monkeypatch):
    from click.testing import CliRunner

    from bot.cli import main
    from bot.store.db import schema_behind

    monkeypatch.setenv("NONGBOT_DATABASE_URL", empty_database_url)
    monkeypatch.setenv("NONGBOT_WECHAT_TOKEN", "db-test-token")  # serve's own settings check passes
    assert schema_behind(empty_database_url)[0] is None
    for command in (["serve", "--port", "1"], ["worker"]):
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 1
        assert "Run `nongbot db upgrade` first" in result.output and "Traceback" not in result.output
    upgrade(empty_database_url)
    assert schema_behind(empty_database_url) is None


def test_rows_inserted_together_go_as_one_statement_on_postgresql(engine):
    """The message log's rows of one message (the farmer's line and the replies) are one INSERT."""
    from sqlalchemy import insert

    from bot.records.models import MessageLog
    from tests.statements import statements_sent

    now = datetime.now(timezone.utc)
    rows = [dict(openid="oRows", direction=direction, msg_type="text", content=text, created_at=now, extra={})
            for direction, text in (("in", "你好"), ("out", "您好！"), ("out", "还有什么要帮忙的？"))]
    with statements_sent(engine) as seen, engine.begin() as conn:
        conn.execute(insert(MessageLog.__table__), rows)
    inserts = [s for s in seen if "INSERT INTO message_log" in s]
    if engine.dialect.name == "postgresql":
        assert len(inserts) == 1 and inserts[0].count("VALUES") == 1 and inserts[0].count("), (") == 2
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT direction, content FROM message_log WHERE openid = 'oRows' ORDER BY id")).all()
    assert [tuple(r) for r in stored] == [("in", "你好"), ("out", "您好！"), ("out", "还有什么要帮忙的？")]


@pytest.fixture
def pg_engine(pg_url):
    engine = make_engine(pg_url)
    yield engine
    engine.dispose()


@pytest.mark.postgres
def test_a_driver_statement_writes_what_sqlalchemy_would_inside_the_connections_transaction(pg_engine):
    """bot.store.db.DriverStatement: the same row as SQLAlchemy's own execution (JSON, a zone-aware time made
    UTC), committed or rolled back with the SQLAlchemy connection's transaction."""
    from sqlalchemy import bindparam, insert, select

    from bot.fastpath import DriverStatement
    from bot.records.models import MessageLog

    log = MessageLog.__table__
    names = ("openid", "direction", "msg_type", "content", "extra", "created_at")
    statement = DriverStatement(insert(log).values({n: bindparam(n, type_=log.c[n].type) for n in names})
                                .returning(log.c.id, log.c.openid), pg_engine.dialect)
    row = dict(direction="in", msg_type="text", content="你好 ]]> '引号'", extra={"event_key": "中心", "n": [1, None]},
               created_at=LOCAL_MOMENT)
    with pg_engine.connect() as conn:
        conn.begin()
        kept = statement.execute(conn, dict(row, openid="oDriverKept")).fetchone()
        conn.commit()
        conn.begin()
        statement.execute(conn, dict(row, openid="oDriverDropped"))
        conn.rollback()
        conn.begin()
        conn.execute(insert(log), dict(row, openid="oCoreWritten"))
        conn.commit()
    assert kept.openid == "oDriverKept" and kept.id > 0
    with pg_engine.connect() as conn:
        found = {r.openid: r for r in conn.execute(
            select(log).where(log.c.openid.in_(["oDriverKept", "oDriverDropped", "oCoreWritten"])))}
    assert "oDriverDropped" not in found
    driver, core = found["oDriverKept"], found["oCoreWritten"]
    assert [getattr(driver, n) for n in names[1:]] == [getattr(core, n) for n in names[1:]]
    assert driver.created_at == LOCAL_MOMENT and driver.created_at.utcoffset().total_seconds() == 0
    assert driver.extra == {"event_key": "中心", "n": [1, None]}


@pytest.mark.postgres
def test_a_driver_statement_refuses_one_that_leaves_column_defaults_to_fill(pg_engine):
    from sqlalchemy import bindparam, insert

    from bot.fastpath import DriverStatement
    from bot.records.models import MessageLog

    log = MessageLog.__table__
    with pytest.raises(ValueError, match="extra, created_at|created_at, extra"):
        DriverStatement(insert(log).values(openid=bindparam("openid"), direction="in", msg_type="text"),
                        pg_engine.dialect)
