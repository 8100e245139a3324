"""What the webhook records per callback: the user, its 客服 window, the message log. On SQLite and PostgreSQL."""
from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.app import create_app
from bot.models import MessageLog, WechatUser
from tests.bot.conftest import EchoResponder, sim_for


def _user(ctx, openid):
    with ctx.sessions() as session:
        return session.scalar(select(WechatUser).where(WechatUser.openid == openid))


def test_a_message_opens_a_message_window_that_a_later_click_does_not_cut_short(make_ctx, engine, store):
    ctx = make_ctx(engine, store)
    with TestClient(create_app(ctx=ctx, responder=EchoResponder())) as http:
        sim = sim_for(http, "aes", "oWindow01")
        sim.text("我要贷款5万")
        opened = _user(ctx, sim.openid)
        sim.event("CLICK", EventKey="menu_loan")
        after_click = _user(ctx, sim.openid)
    assert opened.window_opened_by == "message" and opened.window_opened_at is not None
    assert (after_click.window_opened_by, after_click.window_opened_at) == ("message", opened.window_opened_at)
    assert after_click.last_seen >= opened.last_seen and after_click.first_seen == opened.first_seen


def test_a_click_from_a_new_user_opens_a_short_window_and_unsubscribe_is_remembered(make_ctx, engine, store):
    ctx = make_ctx(engine, store)
    with TestClient(create_app(ctx=ctx, responder=EchoResponder())) as http:
        sim = sim_for(http, "aes", "oWindow02")
        sim.event("CLICK", EventKey="menu_loan")
        clicked = _user(ctx, sim.openid)
        sim.event("unsubscribe")
        gone = _user(ctx, sim.openid)
        sim.event("subscribe", EventKey="")
        back = _user(ctx, sim.openid)
    assert (clicked.window_opened_by, clicked.subscribed) == ("click", True)
    assert gone.subscribed is False and gone.window_opened_by == "click"
    assert back.subscribed is True and back.window_opened_by == "subscribe"


def test_each_message_is_logged_in_and_out_once(make_ctx, engine, store):
    ctx = make_ctx(engine, store)
    with TestClient(create_app(ctx=ctx, responder=EchoResponder())) as http:
        sim = sim_for(http, "aes", "oLog01")
        fields = sim.fields("text", Content="化肥哪里买")
        sim.post(fields)
        sim.post(fields)
    with ctx.sessions() as session:
        rows = session.scalars(select(MessageLog).where(MessageLog.openid == "oLog01").order_by(MessageLog.id)).all()
    assert [(r.direction, r.content, r.extra) for r in rows] == [("in", "化肥哪里买", {}),
                                                                 ("out", "收到：化肥哪里买", {"via": "passive"})]
    assert rows[0].msg_id == str(fields["MsgId"])
