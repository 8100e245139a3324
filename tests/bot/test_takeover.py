"""A worker killed mid-message loses nothing: WeChat's retry, 5 s later, takes the message over from the dead
owner at once (its claim names the owner's process; on the same machine a process that no longer runs is
seen at once, without waiting for its heartbeat to run out) and answers it; the record exists once."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid

import httpx
import pytest
import redis
from sqlalchemy import create_engine, func, select

from bot.records.models import Booking
from bot.wechat.simclient import WechatSim, render_callback
from bot.store import OWNER_MARK, MessageKeys, alive_key, owner_gone, process_owner
from tests.bot.conftest import AES_KEY, APPID, TOKEN
from tests.bot.test_serve_workers import CLI, _free_port, _healthy, _wait, _workers
from tests.conftest import fresh_pg_database


def _keys(name: str) -> MessageKeys:
    return MessageKeys(dedup=f"dedup:{name}", reply=f"reply:{name}", lock=f"user:{name}", memory=None,
                       dedup_ttl=60, lock_ttl=60)


def test_an_owner_is_gone_once_its_process_is_not_running():
    process = subprocess.Popen(["sleep", "60"])
    owner = process_owner(process.pid)
    assert not owner_gone(owner) and not owner_gone(process_owner())
    process.kill()
    process.wait()
    assert owner_gone(owner)
    assert not owner_gone(owner.replace("@", "@another-machine-"))  # another machine: its heartbeat decides
    assert not owner_gone(None) and not owner_gone("oldstyle-owner")


def test_a_retry_takes_over_from_a_dead_local_process_while_its_heartbeat_is_fresh(store):
    process = subprocess.Popen(["sleep", "60"])
    owner = process_owner(process.pid)
    store.set(alive_key(owner), time.time(), ttl=60)  # its heartbeat would stay fresh for a minute
    dead = f"{owner}{OWNER_MARK}{uuid.uuid4().hex}"
    keys = _keys(f"takeover:{uuid.uuid4().hex[:6]}")
    assert store.claim_message(keys, dead).locked
    retry = f"{process_owner()}{OWNER_MARK}{uuid.uuid4().hex}"
    assert not store.claim_message(keys, retry).first  # its owner still runs: a retry waits for its reply
    process.kill()
    process.wait()
    claim = store.claim_message(keys, retry)
    assert claim.first and claim.taken_over and claim.locked
    # a lock held by the dead process for another message of the same farmer is free too
    other = _keys(f"takeover:{uuid.uuid4().hex[:6]}")
    assert store.try_lock("shared-user", dead, 60) and store.try_lock("shared-user", retry, 60)
    assert store.claim_message(other, retry).first


@pytest.mark.postgres
@pytest.mark.redis
def test_kill_9_of_a_serve_worker_mid_message_then_wechats_retry_gets_the_answer_and_one_record(tmp_path, redis_url):
    """`nongbot serve --workers 2` on PostgreSQL + Redis; the confirming message is held (a test hook) after
    its record is written, uncommitted; the worker holding it is killed with SIGKILL; WeChat's retry (the
    same body and signature) gets the confirmation in time, and the booking exists once."""
    msg_id = str(9_100_000_000 + os.getpid())
    prefix = f"nongbot-test:{uuid.uuid4().hex[:8]}:"
    with fresh_pg_database("nongbot_kill") as url:
        env = dict(os.environ, NONGBOT_DATABASE_URL=url, NONGBOT_REDIS_URL=redis_url, NONGBOT_REDIS_PREFIX=prefix,
                   NONGBOT_WECHAT_TOKEN=TOKEN, NONGBOT_WECHAT_AES_KEY=AES_KEY, NONGBOT_WECHAT_APPID=APPID,
                   NONGBOT_SECRET_KEY="test-only", NONGBOT_TEST_STALL=f"{msg_id}=60")
        port = _free_port()
        server = subprocess.Popen([*CLI, "serve", "--workers", "2", "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        marks = redis.Redis.from_url(redis_url, decode_responses=True)
        try:
            _wait(lambda: len(_workers(server.pid, port)) == 2, 120, "two listening workers")
            _wait(lambda: _healthy(port), 120, "/healthz")
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
                phone = WechatSim(http, TOKEN, AES_KEY, APPID, openid="oKilled01", mode="aes")
                phone.text("我要给石宝镇30亩柑橘打药")
                assert "请核对托管预约" in phone.text("下周三，电话13800138000").text
                body, query = phone.envelope(render_callback(phone.fields("text", Content="确认", MsgId=msg_id)),
                                             phone.params())
                first: list = []

                def send_first() -> None:
                    try:
                        first.append(http.post("/wechat", params=query, content=body))
                    except httpx.HTTPError as exc:  # the worker died under it
                        first.append(exc)

                sender = threading.Thread(target=send_first)
                sender.start()
                holder = _wait(lambda: marks.get(f"{prefix}test-stall:{msg_id}"), 30, "the message to be held")
                os.kill(int(holder), signal.SIGKILL)
                sender.join(30)
                assert first and not (isinstance(first[0], httpx.Response) and b"<xml" in first[0].content)
                started = time.monotonic()
                retry = phone.read(*(lambda r: (r.status_code, r.content))(
                    http.post("/wechat", params=query, content=body)))
                took = time.monotonic() - started
            assert retry.status == 200 and retry.text and "预约已提交" in retry.text, retry.body[:200]
            assert took < 5.0, took
            assert server.poll() is None  # the supervisor replaced the worker and runs on
        finally:
            if server.poll() is None:
                server.send_signal(signal.SIGTERM)
                try:
                    server.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()
            for key in marks.scan_iter(match=prefix + "*"):
                marks.delete(key)
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                assert conn.execute(select(func.count()).select_from(Booking.__table__)).scalar() == 1
        finally:
            engine.dispose()
