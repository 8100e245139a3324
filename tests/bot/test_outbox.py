"""The outbox: written in the caller's transaction, delivered once by concurrent workers, retried, dead-lettered."""
from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from bot.store.db import make_engine, session_factory, transaction
from bot.records.models import OutboxMessage
from bot.wechat.outbox import (OutboxWorker, backoff_seconds, enqueue, enqueue_text, requeue, run_worker,
                        start_in_process)
from bot.store.sql import SqlStore
from bot.wechat.api import WechatApi
from tests.fakes.threads import run_in_threads


class Clock:
    """The worker's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = datetime.now(timezone.utc) + timedelta(seconds=1)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def settings(make_settings, fake_wechat, engine):
    return make_settings(database_url=engine.url.render_as_string(hide_password=False),
                         outbox_poll_seconds=0.05, **fake_wechat.settings_overrides())


@pytest.fixture
def sessions(engine):
    return session_factory(engine)


@pytest.fixture
def api(settings, engine):
    return WechatApi(settings, SqlStore(engine), timeout=2)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def worker(sessions, api, clock) -> OutboxWorker:
    return OutboxWorker(sessions, api, clock=clock)


def queue_text(sessions, openid="oFarmer1", text="您的预约已确认", dedup_key=None) -> int:
    with transaction(sessions) as session:
        return enqueue_text(session, openid, text, source="test", dedup_key=dedup_key).id


def row(sessions, outbox_id: int) -> OutboxMessage:
    with sessions() as session:
        return session.get(OutboxMessage, outbox_id)


def count_rows(sessions) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(OutboxMessage))


def test_queued_text_is_delivered_once(sessions, worker, fake_wechat):
    outbox_id = queue_text(sessions)
    assert worker.deliver_due() == 1
    assert worker.deliver_due() == 0
    assert fake_wechat.texts_to("oFarmer1") == ["您的预约已确认"]
    sent = row(sessions, outbox_id)
    assert (sent.status, sent.attempts, sent.last_error, sent.claimed_until) == ("sent", 1, None, None)
    assert sent.sent_at is not None and sent.sent_at.tzinfo is not None


def test_template_message_is_delivered_with_its_data(sessions, worker, fake_wechat):
    data = {"thing1": {"value": "工单已回复"}, "thing2": {"value": "请查看"}}
    with transaction(sessions) as session:
        enqueue(session, openid="oFarmer2", kind="template", source="test",
                payload={"template_id": "TPL1", "data": data, "url": "https://example.org/t/1"})
    assert worker.deliver_due() == 1
    [sent] = fake_wechat.received
    assert (sent["template_id"], sent["data"], sent["url"]) == ("TPL1", data, "https://example.org/t/1")


def test_unknown_kind_is_refused_at_enqueue(sessions):
    with pytest.raises(ValueError), transaction(sessions) as session:
        enqueue(session, openid="o", kind="image", payload={}, source="test")
    assert count_rows(sessions) == 0


def test_two_workers_deliver_fifty_messages_exactly_once(sessions, settings, engine, clock, fake_wechat):
    for n in range(50):
        queue_text(sessions, openid=f"oFarmer{n % 7}", text=f"消息{n}")
    second_engine = make_engine(settings.database_url)
    try:
        workers = [OutboxWorker(sessions, WechatApi(settings, SqlStore(engine)), clock=clock, batch=5),
                   OutboxWorker(session_factory(second_engine), WechatApi(settings, SqlStore(second_engine)),
                                clock=clock, batch=5)]

        def drain(n: int) -> int:
            delivered = 0
            while (got := workers[n].deliver_due()) or _pending(sessions):
                delivered += got
            return delivered

        delivered = run_in_threads(drain, 2)
    finally:
        second_engine.dispose()
    texts = [m["text"] for m in fake_wechat.received]
    assert sorted(texts) == sorted(f"消息{n}" for n in range(50))
    assert sum(delivered) == 50
    with sessions() as session:
        assert set(session.scalars(select(OutboxMessage.status))) == {"sent"}


def _pending(sessions) -> bool:
    with sessions() as session:
        return bool(session.scalar(select(func.count()).select_from(OutboxMessage)
                                   .where(OutboxMessage.status.in_(("pending", "sending")))))


@pytest.mark.parametrize("failure", ["busy", "http500"])
def test_transient_failure_is_retried_later_then_delivered(sessions, worker, clock, fake_wechat, failure):
    outbox_id = queue_text(sessions)
    fake_wechat.fail_next(failure)
    assert worker.deliver_due() == 0
    waiting = row(sessions, outbox_id)
    assert (waiting.status, waiting.attempts) == ("pending", 1)
    assert waiting.last_error and waiting.next_attempt_at > clock.now
    assert worker.deliver_due() == 0  # not due yet: nothing is sent in a tight loop
    assert len(fake_wechat.attempts) == 1
    clock.advance(BACKOFF_MAX_FIRST)
    assert worker.deliver_due() == 1
    assert fake_wechat.texts_to("oFarmer1") == ["您的预约已确认"]
    assert row(sessions, outbox_id).status == "sent"


BACKOFF_MAX_FIRST = 60.0


def test_backoff_grows_exponentially_with_jitter_and_a_cap():
    assert backoff_seconds(1, rand=lambda: 0.0) == 2.5
    assert backoff_seconds(1, rand=lambda: 1.0) == 5.0
    assert backoff_seconds(4, rand=lambda: 1.0) == 40.0
    assert backoff_seconds(40, rand=lambda: 1.0) == 3600.0
    assert backoff_seconds(1) <= BACKOFF_MAX_FIRST


def test_transient_failures_end_dead_after_max_attempts(sessions, api, clock, fake_wechat):
    worker = OutboxWorker(sessions, api, clock=clock, max_attempts=3)
    outbox_id = queue_text(sessions)
    fake_wechat.fail_next("busy", 3)
    for _ in range(3):
        assert worker.deliver_due() == 0
        clock.advance(3600)
    dead = row(sessions, outbox_id)
    assert (dead.status, dead.attempts) == ("dead", 3)
    assert "gave up after 3 attempts" in dead.last_error
    assert worker.deliver_due() == 0
    assert fake_wechat.received == []


@pytest.mark.parametrize("failure, code", [("window_closed", "45015"), ("quota", "45047"),
                                           ("invalid_openid", "40003")])
def test_refused_message_goes_dead_at_once_with_the_reason(sessions, worker, clock, fake_wechat, failure, code):
    outbox_id = queue_text(sessions)
    fake_wechat.fail_next(failure)
    assert worker.deliver_due() == 0
    dead = row(sessions, outbox_id)
    assert dead.status == "dead" and code in dead.last_error
    clock.advance(24 * 3600)
    assert worker.deliver_due() == 0
    assert len(fake_wechat.attempts) == 1


def test_requeued_dead_letter_is_sent_again(sessions, worker, clock, fake_wechat):
    outbox_id = queue_text(sessions)
    fake_wechat.fail_next("window_closed")
    worker.deliver_due()
    with transaction(sessions) as session:
        requeue(session, outbox_id)
    clock.advance(1)
    assert worker.deliver_due() == 1
    assert fake_wechat.texts_to("oFarmer1") == ["您的预约已确认"]
    with pytest.raises(ValueError), transaction(sessions) as session:
        requeue(session, outbox_id)  # a sent message is never sent twice
    assert row(sessions, outbox_id).status == "sent"


def test_a_restarted_worker_picks_up_a_row_left_sending(sessions, api, clock, fake_wechat):
    outbox_id = queue_text(sessions)
    crashed = OutboxWorker(sessions, api, clock=clock, claim_seconds=120)
    [claimed] = crashed.claim()  # ... and the process dies before sending
    assert row(sessions, outbox_id).status == "sending"
    restarted = OutboxWorker(sessions, api, clock=clock)
    assert restarted.deliver_due() == 0  # the claim still holds
    clock.advance(121)
    assert restarted.deliver_due() == 1
    assert fake_wechat.texts_to("oFarmer1") == ["您的预约已确认"]
    assert row(sessions, outbox_id).attempts == 2


def test_a_worker_whose_claim_ran_out_sends_nothing_more(sessions, api, clock, fake_wechat):
    for n in range(3):
        queue_text(sessions, text=f"消息{n}")
    slow_clock = Clock()
    worker = OutboxWorker(sessions, api, clock=slow_clock, claim_seconds=30)
    real_send = api.send_text

    def send_slowly(openid: str, text: str) -> dict:
        slow_clock.advance(20)  # each send takes 20 s of the worker's 30 s claim
        return real_send(openid, text)

    api.send_text = send_slowly
    assert worker.deliver_due() == 1  # the second send would start inside the safety margin
    with sessions() as session:
        rest = session.scalars(select(OutboxMessage).where(OutboxMessage.status != "sent")).all()
    assert [(r.status, r.attempts, r.claimed_until) for r in rest] == [("pending", 0, None)] * 2  # handed back
    api.send_text = real_send
    assert worker.deliver_due() == 2
    assert sorted(fake_wechat.texts_to("oFarmer1")) == ["消息0", "消息1", "消息2"]


def test_sent_rows_are_purged_after_the_retention_and_nothing_else(sessions, api, clock, fake_wechat):
    worker = OutboxWorker(sessions, api, clock=clock, keep_sent_seconds=3 * 24 * 3600)
    old_ids = [queue_text(sessions, text=f"旧消息{n}") for n in range(3)]
    assert worker.deliver_due() == 3
    fake_wechat.fail_next("window_closed")
    dead_id = queue_text(sessions, text="发不出去")
    worker.deliver_due()
    clock.advance(2 * 24 * 3600)
    recent_id = queue_text(sessions, text="新消息")
    assert worker.deliver_due() == 1
    pending_id = queue_text(sessions, openid="oOther", text="还没到时间")
    with transaction(sessions) as session:
        session.get(OutboxMessage, pending_id).next_attempt_at = clock.now + timedelta(days=30)

    assert worker.purge_sent() == 0  # the first ones are two days old: kept
    clock.advance(24 * 3600 + 60)
    assert worker.purge_sent() == 3
    with sessions() as session:
        left = {r.id: r.status for r in session.scalars(select(OutboxMessage))}
    assert left == {dead_id: "dead", recent_id: "sent", pending_id: "pending"}
    assert not set(old_ids) & set(left)


def test_retention_never_drops_below_the_kf_window_and_purges_hourly(sessions, api, clock, fake_wechat):
    worker = OutboxWorker(sessions, api, clock=clock, keep_sent_seconds=60)  # raised to 48 h
    queue_text(sessions, text="第一条")
    assert worker.deliver_due() == 1
    clock.advance(1800)
    queue_text(sessions, text="第二条")
    assert worker.deliver_due() == 1
    clock.advance(47 * 3600)
    assert worker.purge_if_due() == 0  # 47.5 h and 47 h old: the 客服 quota still counts them
    clock.advance(45 * 60)
    assert worker.purge_if_due() == 0  # the first is past 48 h, but the last purge was 45 minutes ago
    clock.advance(15 * 60)
    assert worker.purge_if_due() == 1
    clock.advance(3600)
    assert worker.purge_if_due() == 1
    assert count_rows(sessions) == 0


def test_enqueue_then_rollback_leaves_nothing(sessions):
    with sessions() as session:
        session.begin()
        enqueue_text(session, "oFarmer1", "不会发出", source="test", dedup_key="reply:o1:1")
        enqueue_text(session, "oFarmer1", "也不会", source="test")
        session.rollback()
    assert count_rows(sessions) == 0


def test_same_dedup_key_returns_the_first_row(sessions):
    first = queue_text(sessions, text="第一次", dedup_key="reply:oFarmer1:123:0")
    again = queue_text(sessions, text="重试", dedup_key="reply:oFarmer1:123:0")
    with transaction(sessions) as session:
        a = enqueue_text(session, "oFarmer1", "同一事务", source="test", dedup_key="k2")
        b = enqueue_text(session, "oFarmer1", "同一事务", source="test", dedup_key="k2")
        assert a is b
    assert first == again
    assert count_rows(sessions) == 2
    assert row(sessions, first).payload == {"text": "第一次"}


def test_concurrent_enqueues_of_one_dedup_key_make_one_row(sessions, engine):
    ids = run_in_threads(lambda n: queue_text(sessions, text=f"第{n}次", dedup_key="reply:oRace:9"), 6)
    assert len(set(ids)) == 1
    assert count_rows(sessions) == 1


def test_disabled_outbound_keeps_messages_pending(sessions, clock):
    outbox_id = queue_text(sessions)
    assert OutboxWorker(sessions, None, clock=clock).deliver_due() == 0
    assert row(sessions, outbox_id).status == "pending"


def _wait_for(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_in_process_worker_delivers_until_stopped(sessions, settings, api, fake_wechat):
    stop = start_in_process(SimpleNamespace(settings=settings, sessions=sessions, wechat_api=api))
    try:
        outbox_id = queue_text(sessions, text="进程内送达")
        assert _wait_for(lambda: row(sessions, outbox_id).status == "sent")
    finally:
        stop()
    assert fake_wechat.texts_to("oFarmer1") == ["进程内送达"]


def test_standalone_worker_delivers_until_stopped(sessions, settings, fake_wechat):
    stop = threading.Event()
    thread = threading.Thread(target=run_worker, args=(settings, stop), daemon=True)
    thread.start()
    try:
        outbox_id = queue_text(sessions, text="独立进程送达")
        assert _wait_for(lambda: row(sessions, outbox_id).status == "sent")
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
    assert fake_wechat.texts_to("oFarmer1") == ["独立进程送达"]
