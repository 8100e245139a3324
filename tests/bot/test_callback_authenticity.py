"""Forged callbacks: safe mode refuses plaintext; a signed (timestamp, nonce) carries one message only."""
from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.settings import Settings
from bot.wechat.protocol import sign

from .conftest import sim_for

AES = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def test_the_mode_defaults_to_safe_with_a_key_and_plain_without(monkeypatch):
    for name in ("NONGBOT_WECHAT_AES_KEY", "NONGBOT_WECHAT_MODE"):  # the defaults, not the shell's deployment
        monkeypatch.delenv(name, raising=False)
    assert Settings(wechat_token="t", wechat_aes_key=AES).message_mode == "safe"
    assert Settings(wechat_token="t").message_mode == "plain"
    assert Settings(wechat_token="t", wechat_aes_key=AES, wechat_mode="Compat").message_mode == "compat"


@pytest.fixture
def app_in(make_ctx, sqlite_engine, echo):
    from bot.store.sql import SqlStore

    def build(**overrides):
        return TestClient(create_app(ctx=make_ctx(sqlite_engine, SqlStore(sqlite_engine), **overrides),
                                     responder=echo))
    return build


def test_safe_mode_refuses_plaintext_and_answers_encrypted_and_compat(app_in, echo):
    with app_in(wechat_mode="safe") as http:
        forged = sim_for(http, "plain").text("转人工 伪造的明文消息")
        assert forged.status == 403 and not echo.calls
        for mode in ("aes", "compat"):
            reply = sim_for(http, mode).text("你好")
            assert reply.status == 200 and reply.encrypted and reply.text == "收到：你好"
    assert [c.text for c in echo.calls] == ["你好", "你好"]


def test_compat_mode_still_answers_plaintext(app_in, echo):
    with app_in(wechat_mode="compat") as http:
        assert sim_for(http, "plain").text("你好").text == "收到：你好"


@pytest.mark.parametrize("mode", ["plain", "aes"])
def test_a_signed_nonce_is_good_for_its_own_message_only(make_ctx, engine, store, echo, mode):
    """On both stores: the same message again (WeChat's retry) gets the first answer; another message under
    the same timestamp and nonce is refused and reaches nobody."""
    with TestClient(create_app(ctx=make_ctx(engine, store), responder=echo)) as http:
        sim = sim_for(http, mode)
        params = sim.params()
        first_fields = sim.fields("text", Content="你好")
        first = sim.post(first_fields, params)
        again = sim.post(first_fields, params)
        forged = sim.post(sim.fields("text", Content="转人工 伪造的第二条消息"), params)
        assert first.status == 200 and first.text == "收到：你好"
        assert again.status == 200 and again.text == first.text
        assert forged.status == 403
        assert [c.text for c in echo.calls] == ["你好"]


def test_the_verification_requests_signature_cannot_carry_a_message(client, echo):
    sim = sim_for(client, "plain")
    params = sim.params()
    got = client.get("/wechat", params={**params, "echostr": "12345"})
    assert got.status_code == 200 and got.text == "12345"
    assert client.get("/wechat", params={**params, "echostr": "12345"}).text == "12345"  # WeChat may re-send it
    assert sim.post(sim.fields("text", Content="转人工"), params).status == 403
    assert not echo.calls


def test_an_empty_token_signs_nothing(make_ctx, sqlite_engine, echo):
    from bot.store.sql import SqlStore

    with TestClient(create_app(ctx=make_ctx(sqlite_engine, SqlStore(sqlite_engine), wechat_token="",
                                            wechat_aes_key=None, wechat_mode=None), responder=echo)) as http:
        ts, nonce = str(int(time.time())), "42"
        params = {"signature": sign("", ts, nonce), "timestamp": ts, "nonce": nonce}
        assert http.get("/wechat", params={**params, "echostr": "1"}).status_code == 403
        assert sim_for(http, "plain").post(sim_for(http, "plain").fields("text", Content="x"), params).status == 403


class FlakyStore:
    """The embedded store, with `add` failing the first `failures` times (a dropped connection)."""

    def __init__(self, inner, failures: int) -> None:
        self.inner, self.failures = inner, failures

    def add(self, key, value, ttl):  # noqa: ANN001, ANN201
        if self.failures:
            self.failures -= 1
            raise ConnectionError("store connection dropped")
        return self.inner.add(key, value, ttl)

    def __getattr__(self, name):  # noqa: ANN001, ANN204
        return getattr(self.inner, name)


@pytest.mark.parametrize("failures, status", [(1, 200), (2, 503)])
def test_a_failing_store_costs_one_retry_or_answers_503_never_500(make_ctx, sqlite_engine, echo, failures, status):
    from bot.store.sql import SqlStore

    ctx = make_ctx(sqlite_engine, SqlStore(sqlite_engine))
    with TestClient(create_app(ctx=ctx, responder=echo)) as http:
        ctx.store = FlakyStore(ctx.store, 0)
        http.app.webhook.nonces.store = FlakyStore(SqlStore(sqlite_engine), failures)
        assert sim_for(http, "aes").text("你好").status == status
