"""A half-filled form survives losing everything in the store (Redis restarted with nothing kept on disk,
or a fresh key prefix; the embedded store's table emptied): the conversation is in the database, written
in the message's own transaction. On SQLite and PostgreSQL, with the embedded store and with Redis."""
from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from bot.app import build_context, create_app
from bot.wechat.simclient import WechatSim
from tests.e2e.conftest import AES, APPID, NOW, TOKEN


def _forget_everything(ctx) -> None:
    """What a Redis restart without persistence does to the store."""
    store = ctx.store
    if hasattr(store, "clear_prefix"):
        assert store.clear_prefix() > 0  # there was something to lose
    else:
        with ctx.engine.begin() as conn:
            assert conn.execute(text("DELETE FROM store_entries")).rowcount > 0


@pytest.mark.parametrize("kind", ["embedded", pytest.param("redis", marks=pytest.mark.redis)])
def test_a_half_filled_form_continues_after_the_store_lost_everything(make_settings, database_url, kind, request,
                                                                       deployment):
    redis_url = request.getfixturevalue("redis_url") if kind == "redis" else None
    settings = make_settings(database_url=database_url, redis_url=redis_url, wechat_token=TOKEN, wechat_aes_key=AES,
                             wechat_appid=APPID, deliver_in_process=False)
    ctx = build_context(settings)
    ctx.clock = lambda: NOW
    if kind == "redis":
        ctx.store.prefix = f"nongbot-test:{uuid.uuid4().hex[:8]}:"
    with TestClient(create_app(ctx=ctx)) as http:
        phone = WechatSim(http, TOKEN, AES, APPID, openid=f"oDurable{kind}")
        assert "哪天" in phone.text("我要给石宝镇30亩柑橘打药").text
        _forget_everything(ctx)
        assert "手机号" in phone.text("下周三").text
        _forget_everything(ctx)
        assert "请核对托管预约" in phone.text("13800138000").text
        _forget_everything(ctx)
        assert "预约已提交" in phone.text("确认").text
    ctx.engine.dispose()
    (row,) = deployment.export("bookings")
    assert (row["township"], row["area_mu"], row["date"], row["phone"]) == ("石宝镇", 30, "2026-12-02", "13800138000")


def test_a_message_that_rolls_back_leaves_the_conversation_as_it_was(phone, deployment, monkeypatch):
    """The conversation commits with the message's records and log, or not at all."""
    from bot.records import conversations as dialog_state
    from bot.wechat.gateway import Gateway

    phone.text("我要给石宝镇30亩柑橘打药")
    before = dialog_state.read(phone.ctx.engine, phone.openid)
    assert before["form"] == "book_tuoguan"

    def broken(*args, **kwargs):
        raise RuntimeError("the message log fails")

    monkeypatch.setattr(Gateway, "_record", broken)
    assert phone.text("下周三").status == 500  # WeChat retries it
    monkeypatch.undo()
    assert dialog_state.read(phone.ctx.engine, phone.openid) == before
    assert "手机号" in phone.text("下周三").text


def test_conversations_past_their_ttl_read_as_none_and_the_outbox_worker_purges_them(engine):
    from sqlalchemy import func, select

    from bot.records import conversations as dialog_state
    from bot.store.db import session_factory
    from bot.records.models import DialogSession
    from bot.wechat.outbox import OutboxWorker

    dialog_state.write(engine, "oOld", {"form": "book_tuoguan"}, ttl=-1)
    dialog_state.write(engine, "oNew", {"form": "join"}, ttl=60)
    assert dialog_state.read(engine, "oOld") is None and dialog_state.read(engine, "oNew") == {"form": "join"}
    OutboxWorker(session_factory(engine), api=None).purge_if_due()
    with engine.connect() as conn:
        assert conn.execute(select(DialogSession.openid)).scalars().all() == ["oNew"]
        assert conn.execute(select(func.count()).select_from(DialogSession)).scalar() == 1
