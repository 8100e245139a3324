"""A database that drops the service's connections (a restart, a failover, a proxy's idle timeout) costs the
farmer nothing: the message that meets the dead connection is answered (at worst by WeChat's retry of it,
as WeChat re-sends what got no answer), and the pool is fresh for the next one. PostgreSQL, with the
embedded store (in the same database) and with Redis."""
from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from bot.app import build_context, create_app
from bot.wechat.simclient import WechatSim
from tests.conftest import PG_ADMIN_URL, fresh_pg_database
from tests.e2e.conftest import AES, APPID, NOW, TOKEN


@pytest.fixture
def own_pg_url():
    """A database of this test's own: the connections it drops are no other test's."""
    with fresh_pg_database("nongbot_drop") as url:
        yield url


def _drop_connections(database: str) -> int:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            return len(conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                         "WHERE datname = :db AND pid <> pg_backend_pid()"), {"db": database}).all())
    finally:
        admin.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("store", ["embedded", pytest.param("redis", marks=pytest.mark.redis)])
def test_after_the_database_drops_every_connection_the_farmer_still_gets_answers(make_settings, own_pg_url, store,
                                                                                 request):
    pg_url = own_pg_url
    redis_url = request.getfixturevalue("redis_url") if store == "redis" else None
    settings = make_settings(database_url=pg_url, redis_url=redis_url, wechat_token=TOKEN, wechat_aes_key=AES,
                             wechat_appid=APPID, deliver_in_process=False)
    ctx = build_context(settings)
    ctx.clock = lambda: NOW
    if store == "redis":
        ctx.store.prefix = f"nongbot-test:{uuid.uuid4().hex[:8]}:"
    with TestClient(create_app(ctx=ctx)) as http:
        phone = WechatSim(http, TOKEN, AES, APPID, openid=f"oDrop{store}")
        assert "入会" in phone.text("我想加入农合联").text
        assert _drop_connections(pg_url.rsplit("/", 1)[1]) > 0
        callback = phone.fields("text", Content="农户")
        answers = [phone.post(callback) for _ in range(4)]  # the callback, then WeChat's three retries
        answered = [a for a in answers if a.status == 200 and a.text]
        assert answered, [(a.status, a.body[:80]) for a in answers]
        assert "姓名" in answered[0].text or "开了个小差" in answered[0].text
        assert phone.text("你好").text  # the pool is fresh: the next message is answered at once
    ctx.engine.dispose()
