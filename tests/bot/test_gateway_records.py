"""What the webhook records per callback: the user, its 客服 window, the message log. On SQLite and PostgreSQL."""
from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.app import create_app
from bot.dialog.unit import Outcome
from bot.records.models import MessageLog, WechatUser
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


class _WritingResponder:
    """Writes a row through the message's connection (as the dialog's records do), then maybe fails."""

    def __init__(self, engine, fail: bool = False) -> None:
        self.engine, self.fail = engine, fail

    def respond(self, unit):
        with Session(bind=unit.connection) as session:
            session.add(WechatUser(openid=f"{unit.inbound.openid}-side"))
            session.flush()
        if self.fail:
            raise RuntimeError("after writing")
        return Outcome(replies=["好的"])


def test_the_responders_records_and_the_message_log_commit_together(make_ctx, engine, store):
    ctx = make_ctx(engine, store)
    with TestClient(create_app(ctx=ctx, responder=_WritingResponder(engine))) as http:
        sim_for(http, "aes", "oOneTx01").text("入会")
    assert _user(ctx, "oOneTx01-side") is not None
    with ctx.sessions() as session:
        logged = session.scalars(select(MessageLog.direction).where(MessageLog.openid == "oOneTx01")).all()
    assert sorted(logged) == ["in", "out"]


def test_when_the_message_log_fails_the_responders_records_roll_back_with_it(make_ctx, engine, store, monkeypatch):
    ctx = make_ctx(engine, store)
    app = create_app(ctx=ctx, responder=_WritingResponder(engine))

    def broken(*args, **kwargs):
        raise RuntimeError("log table gone")

    monkeypatch.setattr(app.state.gateway, "_log_rows", broken)
    with TestClient(app, raise_server_exceptions=False) as http:
        sim_for(http, "aes", "oOneTx02").text("入会")
    assert _user(ctx, "oOneTx02-side") is None  # no record without its log row (a retry redoes both)


def test_a_failing_responders_writes_roll_back_and_its_apology_is_logged(make_ctx, engine, store):
    ctx = make_ctx(engine, store)
    with TestClient(create_app(ctx=ctx, responder=_WritingResponder(engine, fail=True))) as http:
        reply = sim_for(http, "aes", "oOneTx03").text("入会")
    assert "开了个小差" in reply.text
    assert _user(ctx, "oOneTx03-side") is None and _user(ctx, "oOneTx03") is not None
    with ctx.sessions() as session:
        logged = session.scalars(select(MessageLog.content).where(MessageLog.openid == "oOneTx03",
                                                                  MessageLog.direction == "out")).all()
    assert len(logged) == 1 and "开了个小差" in logged[0]


def test_a_message_whose_records_fail_once_is_answered_on_wechats_retry_and_recorded_once(make_ctx, engine, store,
                                                                                         monkeypatch):
    """The first attempt's transaction rolls back (here the message log fails): its claim is released, so
    WeChat's retry of the callback runs the message again instead of being told 'success' forever."""
    ctx = make_ctx(engine, store)
    app = create_app(ctx=ctx, responder=_WritingResponder(engine))
    real, failures = app.state.gateway._log_rows, []

    def fails_once(*args, **kwargs):
        if not failures:
            failures.append(1)
            raise RuntimeError("database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(app.state.gateway, "_log_rows", fails_once)
    with TestClient(app, raise_server_exceptions=False) as http:
        sim = sim_for(http, "aes", "oOnceFail")
        fields = sim.fields("text", Content="入会")
        first = sim.post(fields)
        retry = sim.post(fields)
    assert first.status == 500
    assert retry.status == 200 and retry.text == "好的"
    assert _user(ctx, "oOnceFail-side") is not None
    with ctx.sessions() as session:
        logged = session.scalars(select(MessageLog.direction).where(MessageLog.openid == "oOnceFail")).all()
    assert sorted(logged) == ["in", "out"]
