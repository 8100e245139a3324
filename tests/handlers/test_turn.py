"""A turn's facts are read-only and read what several handlers ask for (the user's row, the last pushed location)
once; its records (bot.records.turn) do every write and follow them in the facts."""
from __future__ import annotations

import dataclasses

import pytest

from bot.records.models import WechatUser
from bot.records.turn import _OPEN_TICKET, STATUS_QUERY
from bot.store.db import transaction
from handlers import Turn
from tests.statements import statements_sent


def test_a_turn_reads_the_users_row_and_last_location_once(farmer):
    ctx = farmer.ctx
    with transaction(ctx.sessions) as session:
        session.add(WechatUser(openid=farmer.openid, township="石宝镇", profile={"name": "王大明"}))
    ctx.store.set(f"location:{farmer.openid}", {"lat": 30.29, "lon": 108.03}, ttl=60)
    store_reads: list[str] = []
    real_get = ctx.store.get

    def counting_get(key):
        store_reads.append(key)
        return real_get(key)

    ctx.store.get = counting_get
    try:
        with statements_sent(ctx.engine) as statements, transaction(ctx.sessions) as session:
            turn = Turn(ctx=ctx, open_session=lambda: session, inbound=farmer.inbound(text="转人工"))
            users = [turn.facts.user, turn.user()]
            places = [turn.facts.location, turn.location()]
            turn.records.update_profile(phone="13800138000", profile={"member_type": "农户"})
            changed = turn.facts.user
    finally:
        del ctx.store.get
    assert users[0].township == "石宝镇" and users[0].name == "王大明" and users[0] is users[1]
    assert (changed.id, changed.township, changed.phone) == (users[0].id, "石宝镇", "13800138000")
    assert (changed.name, changed.member_type) == ("王大明", "农户") and users[0].phone is None  # a new snapshot
    assert places == [(30.29, 108.03)] * 2
    assert sum("FROM wechat_users" in s for s in statements) == 1
    assert store_reads == [f"location:{farmer.openid}"]


def test_a_new_user_written_in_the_turn_is_the_one_its_facts_show(farmer):
    ctx = farmer.ctx
    with transaction(ctx.sessions) as session:
        turn = Turn(ctx=ctx, open_session=lambda: session, inbound=farmer.inbound(text="你好"))
        assert turn.facts.user is None
        turn.records.update_profile(township="石宝镇")
        assert turn.facts.user.openid == farmer.openid and turn.facts.user.township == "石宝镇"


def test_a_handler_cannot_write_through_the_facts(farmer):
    """The facts are read-only all the way down: the message, the parse's slots (a copy), the user's snapshot and
    its profile; writing is the records' alone, and a turn offers no session or row to change."""
    ctx = farmer.ctx
    with transaction(ctx.sessions) as session:
        session.add(WechatUser(openid=farmer.openid, township="石宝镇", profile={"name": "王大明"}))
    with transaction(ctx.sessions) as session:
        turn = Turn(ctx=ctx, open_session=lambda: session, inbound=farmer.inbound(text="我是石宝镇的"))
        facts = turn.facts
        for name, value in (("user", None), ("parse", None), ("inbound", None), ("pack", None), ("location", None),
                            ("open_ticket", None), ("anything", 1)):
            with pytest.raises(AttributeError):
                setattr(facts, name, value)
        with pytest.raises(dataclasses.FrozenInstanceError):
            facts.user.township = "新立镇"
        with pytest.raises(TypeError):
            facts.user.profile["name"] = "李四"
        with pytest.raises(dataclasses.FrozenInstanceError):
            facts.inbound.text = "别的"
        facts.slots["township"] = "新立镇"  # a copy: the facts do not change
        assert "township" not in facts.slots
        assert not any(hasattr(turn, name) for name in ("session", "ensure_user", "insert_once", "center_row", "read"))
        assert not hasattr(facts, "records") and not hasattr(facts, "session")
    with ctx.sessions() as session:
        user = session.query(WechatUser).one()
        assert (user.township, user.profile) == ("石宝镇", {"name": "王大明"})


def test_a_turn_given_the_claims_location_reads_no_store_even_when_there_was_none(farmer):
    ctx = farmer.ctx
    ctx.store.set(f"location:{farmer.openid}", {"lat": 1.0, "lon": 2.0}, ttl=60)  # not what the claim saw
    ctx.store.get = lambda key: pytest.fail(f"read {key} from the store")
    try:
        with transaction(ctx.sessions) as session:
            given = Turn(ctx=ctx, open_session=lambda: session, inbound=farmer.inbound(text="附近"),
                         pushed_location={"lat": 30.29, "lon": 108.03})
            none = Turn(ctx=ctx, open_session=lambda: session, inbound=farmer.inbound(text="附近"), pushed_location=None)
            assert (given.facts.location, none.facts.location) == ((30.29, 108.03), None)
    finally:
        del ctx.store.get


def test_a_turn_handed_the_users_row_makes_no_records_until_it_writes(farmer):
    """The gateway's upsert hands the user's row: reading the facts makes no records object and sends nothing."""
    ctx = farmer.ctx
    row = WechatUser.__table__.c
    with ctx.engine.connect() as conn, conn.begin():
        handed = conn.execute(WechatUser.__table__.insert().values(openid=farmer.openid, township="石宝镇", profile={})
                              .returning(row.id, row.openid, row.center_id, row.township, row.phone, row.profile)).one()
        with statements_sent(ctx.engine) as statements:
            turn = Turn(ctx=ctx, open_session=None, inbound=farmer.inbound(text="你好"), user_row=handed,
                        pushed_location=None, connection=conn)
            assert turn.facts.user.township == "石宝镇" and turn.facts.location is None
            turn.finish()
        assert turn._records is None and statements == []
        conn.rollback()


def test_reads_on_the_gateways_connection_match_the_sessions_and_see_its_open_transaction(farmer):
    """On PostgreSQL the records' reads run on psycopg's cursor under the gateway's connection: the same rows
    as the session's execute, the transaction's unwritten-yet rows included, and no session opened."""
    from sqlalchemy.orm import Session

    from bot.records.models import Booking, Ticket

    ctx = farmer.ctx
    with ctx.engine.connect() as conn, conn.begin():
        with Session(bind=conn) as session:
            session.add_all([Ticket(openid=farmer.openid, idempotency_key="t1", status="pending"),
                             Ticket(openid=farmer.openid, idempotency_key="t2", status="resolved"),
                             Ticket(openid="oSomeoneElse", idempotency_key="t3", status="open"),
                             Booking(openid=farmer.openid, idempotency_key="b1", status="rejected",
                                     status_reason="重复")])
            session.flush()
        opened: list[Session] = []

        def open_session() -> Session:
            opened.append(Session(bind=conn))
            return opened[-1]

        on_connection = Turn(ctx=ctx, open_session=open_session, inbound=farmer.inbound(text="6"), connection=conn)
        alone = Turn(ctx=ctx, open_session=lambda: Session(bind=conn), inbound=farmer.inbound(text="6"))
        values = {"openid": farmer.openid}
        for statement in (STATUS_QUERY, _OPEN_TICKET):
            rows = on_connection.records.read(statement, values)
            assert [tuple(r) for r in rows] == [tuple(r) for r in alone.records.read(statement, values)] != []
        assert [r.status for r in on_connection.records.statuses()] == ["rejected", "resolved", "pending"]
        assert on_connection.facts.open_ticket.id == alone.facts.open_ticket.id
        assert len(opened) == (0 if ctx.engine.dialect.name == "postgresql" else 1)  # once, when read on SQLite
        conn.rollback()


def test_once_the_turn_has_a_session_its_reads_see_what_the_session_holds_unflushed(farmer):
    """A read after the turn wrote through its session (pending, not flushed yet) sees that write, on
    every database: the session's autoflush, which the cursor alone would skip."""
    from sqlalchemy.orm import Session

    from bot.records.models import Ticket

    ctx = farmer.ctx
    values = {"openid": farmer.openid}
    with ctx.engine.connect() as conn, conn.begin():
        turn = Turn(ctx=ctx, open_session=lambda: Session(bind=conn), inbound=farmer.inbound(text="转人工"),
                    connection=conn)
        assert turn.records.read(_OPEN_TICKET, values) == []
        turn.records.session.add(Ticket(openid=farmer.openid, idempotency_key="pending-1", status="open"))
        assert len(turn.records.read(_OPEN_TICKET, values)) == 1
        conn.rollback()
