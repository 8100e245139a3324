"""WeChat's retries never repeat side effects, and slow answers go out later through the outbox.

Run on every storage combination: SQLite and PostgreSQL, each with the embedded store and Redis.
"""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import select

from bot.app import create_app
from bot.records.models import MessageLog, OutboxMessage
from bot.dialog.unit import Outcome
from tests.bot.conftest import EchoResponder, sim_for
from tests.live import serve_in_thread


def _triple(sim, fields, spacing: float = 0.1):
    """The same callback (same signed params) three times, overlapping, as WeChat retries."""
    params = sim.params()
    results: list = [None, None, None]

    def send(i: int) -> None:
        results[i] = sim.post(fields, params=params)

    threads = []
    for i in range(3):
        t = threading.Thread(target=send, args=(i,))
        t.start()
        threads.append(t)
        time.sleep(spacing)
    for t in threads:
        t.join()
    return results


@pytest.mark.parametrize("mode", ["plain", "aes"])
def test_three_concurrent_retries_of_one_msgid_do_the_work_once(make_ctx, engine, store, mode):
    echo = EchoResponder(delay=0.5)
    ctx = make_ctx(engine, store)
    with serve_in_thread(create_app(ctx=ctx, responder=echo)) as url, httpx.Client(base_url=url, timeout=10) as http:
        sim = sim_for(http, mode)
        replies = _triple(sim, sim.fields("text", Content="我要转人工"))
    assert len(echo.calls) == 1
    assert [r.status for r in replies] == [200, 200, 200]
    assert {r.text for r in replies} == {"收到：我要转人工"}
    with ctx.sessions() as session:
        logged = session.scalars(select(MessageLog).where(MessageLog.direction == "in")).all()
    assert len(logged) == 1


def test_event_retries_are_deduplicated_on_sender_createtime_and_event(make_ctx, engine, store):
    echo = EchoResponder(delay=0.3)
    ctx = make_ctx(engine, store)
    with serve_in_thread(create_app(ctx=ctx, responder=echo)) as url, httpx.Client(base_url=url, timeout=10) as http:
        sim = sim_for(http, "aes")
        replies = _triple(sim, sim.fields("event", Event="subscribe", EventKey="qrscene_center_shibao", Ticket="T"))
    assert len(echo.calls) == 1
    assert len({r.text for r in replies}) == 1


def test_same_msgid_from_two_users_is_two_messages(client, echo):
    a, b = sim_for(client, "plain", "oUserA"), sim_for(client, "plain", "oUserB")
    a.text("我的", MsgId=777)
    b.text("也是我的", MsgId=777)
    assert [c.openid for c in echo.calls] == ["oUserA", "oUserB"]


def test_a_retry_after_the_answer_gets_the_same_answer_without_rework(client, echo):
    sim = sim_for(client, "aes")
    fields = sim.fields("text", Content="托管多少钱")
    first = sim.post(fields)
    again = sim.post(fields)
    assert first.text == again.text == "收到：托管多少钱"
    assert len(echo.calls) == 1


def test_location_events_are_never_answered_nor_deduplicated(client, echo, ctx):
    sim = sim_for(client, "aes")
    for _ in range(3):
        reply = sim.event("LOCATION", Latitude=30.29, Longitude=108.03, Precision=65)
        assert reply.body == b"success"
    assert echo.calls == []
    assert ctx.store.get(f"location:{sim.openid}") == {"lat": 30.29, "lon": 108.03}


def test_overrunning_the_budget_answers_success_now_and_queues_the_reply(make_ctx, engine, store):
    echo = EchoResponder(delay=1.0)
    ctx = make_ctx(engine, store, reply_budget_seconds=0.3)
    app = create_app(ctx=ctx, responder=echo)
    with serve_in_thread(app) as url, httpx.Client(base_url=url, timeout=10) as http:
        sim = sim_for(http, "aes")
        fields = sim.fields("text", Content="慢慢算")
        started = time.perf_counter()
        first = sim.post(fields)
        elapsed = time.perf_counter() - started
        retry = sim.post(fields)
        queued = _wait_for_outbox(ctx)
    assert first.body == b"success" and elapsed < 0.9
    assert retry.body == b"success"
    assert len(echo.calls) == 1
    assert [(m.openid, m.payload["text"]) for m in queued] == [(sim.openid, "收到：慢慢算")]


def _wait_for_outbox(ctx, timeout: float = 5.0) -> list[OutboxMessage]:
    deadline = time.monotonic() + timeout
    while True:
        with ctx.sessions() as session:
            queued = session.scalars(select(OutboxMessage)).all()
        if queued or time.monotonic() > deadline:
            return queued
        time.sleep(0.05)


def test_a_failing_responder_gets_an_apology_not_a_server_error(client, echo):
    def boom(inbound):
        raise RuntimeError("database on fire")

    echo.reply_factory = boom
    reply = sim_for(client, "aes").text("你好")
    assert reply.status == 200 and "开了个小差" in reply.text


def test_unrelated_body_with_a_replayed_msgid_is_not_processed_twice(client, echo):
    sim = sim_for(client, "plain")
    sim.post(sim.fields("text", Content="第一遍", MsgId=4242))
    second = sim.post(sim.fields("text", Content="第二遍", MsgId=4242))
    assert second.text == "收到：第一遍"
    assert len(echo.calls) == 1



def _claim_as(store, sim, fields, token: str) -> None:
    """Leave the callback's claim (and its user's lock) as a worker would that took it and then died."""
    from bot.store import MessageKeys

    key = f"msg:{sim.openid}:{fields['MsgId']}"
    claim = store.claim_message(MessageKeys(dedup=f"dedup:{key}", reply=f"reply:{key}", lock=f"user:{sim.openid}",
                                            memory=None, dedup_ttl=600, lock_ttl=60), token)
    assert claim.first and claim.locked


@contextmanager
def _served(make_ctx, engine, store, **overrides):
    """A live server on a fresh context with an echo responder: (ctx, echo, a farmer's phone)."""
    echo = EchoResponder()
    ctx = make_ctx(engine, store, **overrides)
    with serve_in_thread(create_app(ctx=ctx, responder=echo)) as url, httpx.Client(base_url=url, timeout=10) as http:
        yield ctx, echo, sim_for(http, "aes")


def _logged_in(ctx) -> list[MessageLog]:
    with ctx.sessions() as session:
        return session.scalars(select(MessageLog).where(MessageLog.direction == "in")).all()


def test_a_retry_takes_over_a_message_whose_worker_died_and_does_the_work_once(make_ctx, engine, store):
    with _served(make_ctx, engine, store) as (ctx, echo, sim):
        fields = sim.fields("text", Content="化肥哪里买")
        _claim_as(ctx.store, sim, fields, "crashed-worker|1")  # no heartbeat: that process is gone
        retry = sim.post(fields)
        again = sim.post(fields)
    assert retry.text == again.text == "收到：化肥哪里买"
    assert len(echo.calls) == 1
    assert [(row.openid, row.content) for row in _logged_in(ctx)] == [(sim.openid, "化肥哪里买")]


def test_a_retry_leaves_a_live_workers_message_alone(make_ctx, engine, store):
    from bot.store import alive_key

    with _served(make_ctx, engine, store, reply_budget_seconds=0.3) as (ctx, echo, sim):
        fields = sim.fields("text", Content="还在算")
        ctx.store.set(alive_key("busy-worker"), 1, ttl=60)
        _claim_as(ctx.store, sim, fields, "busy-worker|1")
        retry = sim.post(fields)
    assert retry.body == b"success"
    assert echo.calls == []


def test_a_takeover_after_the_dead_worker_logged_the_message_logs_it_once(make_ctx, engine, store):
    from bot.store.db import transaction

    with _served(make_ctx, engine, store) as (ctx, echo, sim):
        fields = sim.fields("text", Content="橘子有人收不")
        _claim_as(ctx.store, sim, fields, "crashed-worker|2")
        with transaction(ctx.sessions) as session:  # it died after its records, before storing the reply
            session.add(MessageLog(openid=sim.openid, direction="in", msg_type="text", msg_id=str(fields["MsgId"]),
                                   content="橘子有人收不"))
        retry = sim.post(fields)
    assert retry.text == "收到：橘子有人收不"
    assert len(_logged_in(ctx)) == 1


def test_one_farmers_burst_does_not_hold_up_other_farmers(make_ctx, sqlite_engine):
    """A farmer firing off more messages than the process has worker slots: another farmer's
    message is answered while the first farmer's are still being worked through."""
    from bot.wechat.gateway import CONCURRENT_MESSAGES
    from bot.store.sql import SqlStore

    burst, other = "oBurstFarmer0001", "oOtherFarmer0002"
    released = threading.Event()
    stuck: list[str] = []

    def reply(inbound):
        if inbound.openid == burst and not released.wait(5.0):
            stuck.append(inbound.text)   # waited for the other farmer in vain
        if inbound.openid == other:
            released.set()
        return Outcome(replies=[f"收到：{inbound.text}"])

    echo = EchoResponder(reply_factory=reply)
    ctx = make_ctx(sqlite_engine, SqlStore(sqlite_engine), reply_budget_seconds=4.5)
    with serve_in_thread(create_app(ctx=ctx, responder=echo)) as url, httpx.Client(base_url=url, timeout=15) as http:
        sim = sim_for(http, "aes", burst)
        sends = [threading.Thread(target=sim.text, args=(f"第{i}条",)) for i in range(CONCURRENT_MESSAGES + 4)]
        for t in sends:
            t.start()
        deadline = time.monotonic() + 5
        while not echo.calls and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)  # the rest of the burst is queued by now
        answer = sim_for(http, "aes", other).text("我要贷款")
        for t in sends:
            t.join()
    assert answer.text == "收到：我要贷款"
    assert stuck == []
    assert sorted(c.text for c in echo.calls if c.openid == burst) == sorted(
        f"第{i}条" for i in range(CONCURRENT_MESSAGES + 4))
