"""No promise before commit: a reply that announces a record ("预约已提交（预约号 N）") reaches the farmer only
once the record is committed. When the database stalls past the reply budget, the webhook answers 'success';
if the transaction then fails, the farmer is never told about the record; if it commits, the confirmation
goes out through the outbox. PostgreSQL + Redis (a lock held on the message log stalls the message's
transaction; the stalled connection is then killed, as a database failing over would)."""
from __future__ import annotations

import time
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text

from bot.app import build_context, create_app
from bot.records.models import Booking, MessageLog, OutboxMessage
from bot.wechat.simclient import WechatSim
from tests.conftest import fresh_pg_database
from tests.e2e.conftest import AES, APPID, NOW, TOKEN

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def stalled(make_settings, redis_url):
    """A deployment on a database of its own with a 1 s reply budget, and a way to stall its message log."""
    with fresh_pg_database("nongbot_stall") as url:
        settings = make_settings(database_url=url, redis_url=redis_url, wechat_token=TOKEN, wechat_aes_key=AES,
                                 wechat_appid=APPID, deliver_in_process=False, reply_budget_seconds=1.0)
        ctx = build_context(settings)
        ctx.clock = lambda: NOW
        ctx.store.prefix = f"nongbot-test:{uuid.uuid4().hex[:8]}:"
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            app = create_app(ctx=ctx)
            with TestClient(app) as http:
                yield app.state.gateway, WechatSim(http, TOKEN, AES, APPID, openid="oStalled01"), admin
        finally:
            ctx.store.clear_prefix()
            ctx.engine.dispose()
            admin.dispose()


def _waiting_on_a_lock(admin) -> list[int]:
    with admin.connect() as conn:
        return list(conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                      "AND wait_event_type = 'Lock'")).scalars())


def _settle(gateway, seconds: float = 10.0) -> None:
    """Until the message handled past its webhook has finished (committed or rolled back)."""
    deadline = time.monotonic() + seconds
    while gateway._background and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not gateway._background


def _rows(gateway, model):
    with gateway.ctx.sessions() as session:
        return session.scalars(select(model)).all()


def _confirm_while_stalled(ctx, phone, admin):
    """Up to the summary, then '确认' while the message log is locked; answers the webhook's reply and the
    stalled backend's pid."""
    phone.text("我要给石宝镇30亩柑橘打药")
    assert "请核对托管预约" in phone.text("下周三，电话13800138000").text
    locker = admin.connect()
    locker.exec_driver_sql("BEGIN")
    locker.exec_driver_sql("LOCK TABLE message_log IN ACCESS EXCLUSIVE MODE")
    started = time.monotonic()
    reply = phone.text("确认")
    assert time.monotonic() - started < 2.5  # the budget (1 s) held, not the database
    (stalled_pid,) = _waiting_on_a_lock(admin)
    return reply, locker, stalled_pid


def test_a_stall_then_a_failed_transaction_never_tells_the_farmer_the_record_exists(stalled):
    ctx, phone, admin = stalled
    reply, locker, pid = _confirm_while_stalled(ctx, phone, admin)
    assert reply.status == 200 and reply.body == b"success"
    with admin.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    locker.exec_driver_sql("ROLLBACK")
    locker.close()
    _settle(ctx)
    assert _rows(ctx, Booking) == []
    told = [row.payload.get("text", "") for row in _rows(ctx, OutboxMessage)]
    told += [row.content or "" for row in _rows(ctx, MessageLog)]
    assert not [t for t in told if "预约已提交" in t]


def test_a_stall_that_then_commits_sends_the_confirmation_through_the_outbox(stalled):
    ctx, phone, admin = stalled
    reply, locker, _ = _confirm_while_stalled(ctx, phone, admin)
    assert reply.status == 200 and reply.body == b"success"
    locker.exec_driver_sql("ROLLBACK")  # the database comes back: the message's transaction commits
    locker.close()
    _settle(ctx)
    (booking,) = _rows(ctx, Booking)
    queued = [row.payload["text"] for row in _rows(ctx, OutboxMessage) if row.source == "reply"]
    assert len(queued) == 1 and f"预约号 {booking.id}" in queued[0] and "预约已提交" in queued[0]
