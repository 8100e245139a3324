"""A Turn reads what several handlers ask for (the user's row, the last pushed location) once."""
from __future__ import annotations

import pytest

from bot.store.db import transaction
from bot.records.models import WechatUser
from handlers import Turn
from tests.statements import statements_sent


def test_a_turn_reads_the_users_row_and_last_location_once(farmer):
    ctx = farmer.ctx
    with transaction(ctx.sessions) as session:
        session.add(WechatUser(openid=farmer.openid, township="石宝镇"))
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
            users = [turn.user(), turn.user()]
            changed = turn.ensure_user()
            places = [turn.location(), turn.location()]
    finally:
        del ctx.store.get
    assert users[0].township == "石宝镇" and users[0] is users[1]
    assert changed.township == "石宝镇" and changed.id == users[0].id and turn.user() is changed
    assert places == [(30.29, 108.03)] * 2
    assert sum("FROM wechat_users" in s for s in statements) == 1
    assert store_reads == [f"location:{farmer.openid}"]


def test_a_new_user_created_in_the_turn_is_the_one_later_asked_for(farmer):
    ctx = farmer.ctx
    with transaction(ctx.sessions) as session:
        turn = Turn(ctx=ctx, open_session=lambda: session, inbound=farmer.inbound(text="你好"))
        assert turn.user() is None
        created = turn.ensure_user()
        assert turn.user() is created and created.openid == farmer.openid


def test_a_turn_given_the_claims_location_reads_no_store_even_when_there_was_none(farmer):
    ctx = farmer.ctx
    ctx.store.set(f"location:{farmer.openid}", {"lat": 1.0, "lon": 2.0}, ttl=60)  # not what the claim saw
    ctx.store.get = lambda key: pytest.fail(f"read {key} from the store")
    try:
        with transaction(ctx.sessions) as session:
            given = Turn(ctx=ctx, open_session=lambda: session, inbound=farmer.inbound(text="附近"),
                         pushed_location={"lat": 30.29, "lon": 108.03})
            none = Turn(ctx=ctx, open_session=lambda: session, inbound=farmer.inbound(text="附近"), pushed_location=None)
            assert (given.location(), none.location()) == ((30.29, 108.03), None)
    finally:
        del ctx.store.get


def test_reads_on_the_gateways_connection_match_the_sessions_and_see_its_open_transaction(farmer):
    """On PostgreSQL `Turn.read` runs on psycopg's cursor under the gateway's connection: the same rows
    as the session's execute, the transaction's unwritten-yet rows included, and no session opened."""
    from sqlalchemy.orm import Session

    from bot.records.models import Booking, Ticket
    from handlers.base import _OPEN_TICKET
    from handlers.check_status import STATUS_QUERY

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
            rows = on_connection.read(statement, values)
            assert [tuple(r) for r in rows] == [tuple(r) for r in alone.read(statement, values)] != []
        assert [r.status for r in on_connection.read(STATUS_QUERY, values)] == ["rejected", "resolved", "pending"]
        assert on_connection.open_ticket().id == alone.open_ticket().id
        assert len(opened) == (0 if ctx.engine.dialect.name == "postgresql" else 1)  # once, when read on SQLite
        conn.rollback()


def test_once_the_turn_has_a_session_its_reads_see_what_the_session_holds_unflushed(farmer):
    """A read after the turn wrote through its session (pending, not flushed yet) sees that write, on
    every database: the session's autoflush, which the cursor alone would skip."""
    from sqlalchemy.orm import Session

    from bot.records.models import Ticket
    from handlers.base import _OPEN_TICKET

    ctx = farmer.ctx
    values = {"openid": farmer.openid}
    with ctx.engine.connect() as conn, conn.begin():
        turn = Turn(ctx=ctx, open_session=lambda: Session(bind=conn), inbound=farmer.inbound(text="转人工"),
                    connection=conn)
        assert turn.read(_OPEN_TICKET, values) == []
        turn.session.add(Ticket(openid=farmer.openid, idempotency_key="pending-1", status="open"))
        assert len(turn.read(_OPEN_TICKET, values)) == 1
        conn.rollback()
