"""The outbound WeChat client against the local fake API: token sharing, retries on token errors, typed errors."""
from __future__ import annotations

import time

import pytest

from bot.wechat.api import (PermanentError, QuotaExceeded, TransientError, WechatApi, WindowClosed,
                            make_wechat_api)
from tests.fakes.threads import run_in_threads


@pytest.fixture
def settings(make_settings, fake_wechat):
    return make_settings(**fake_wechat.settings_overrides())


@pytest.fixture
def embedded(sqlite_engine):
    """One store for tests about WeChat's answers rather than about sharing the token."""
    from bot.store.sql import SqlStore

    return SqlStore(sqlite_engine)


def test_send_text_reaches_the_user_with_one_token_fetch(settings, store, fake_wechat):
    api = WechatApi(settings, store)
    api.send_text("oFarmer1", "您好，您的托管预约已确认")
    api.send_text("oFarmer1", "第二条")
    assert fake_wechat.texts_to("oFarmer1") == ["您好，您的托管预约已确认", "第二条"]
    assert fake_wechat.token_fetches == 1


def test_send_template_carries_template_data_and_url(settings, embedded, fake_wechat):
    data = {"thing1": {"value": "预约已受理"}, "time3": {"value": "2026-05-01 09:00"}}
    answer = WechatApi(settings, embedded).send_template("oFarmer2", "TPL_NOTICE", data, url="https://example.org/b/1")
    [sent] = fake_wechat.received
    assert (sent["kind"], sent["openid"], sent["template_id"], sent["data"], sent["url"]) == (
        "template", "oFarmer2", "TPL_NOTICE", data, "https://example.org/b/1")
    assert answer["msgid"] == sent["msgid"]


def test_ten_concurrent_callers_on_two_workers_fetch_the_token_once(settings, store, fake_wechat):
    workers = [WechatApi(settings, store), WechatApi(settings, store)]
    run_in_threads(lambda n: workers[n % 2].send_text(f"oFarmer{n}", f"消息{n}"), 10)
    assert fake_wechat.token_fetches == 1
    assert len(fake_wechat.received) == 10


def test_a_restarted_worker_reuses_the_stored_token(settings, store, fake_wechat):
    WechatApi(settings, store).send_text("oFarmer1", "一")
    WechatApi(settings, store).send_text("oFarmer1", "二")
    assert fake_wechat.token_fetches == 1


@pytest.mark.parametrize("kind", ["invalid_credential", "expired_token"])
def test_token_error_refetches_once_and_sends(settings, embedded, fake_wechat, kind):
    api = WechatApi(settings, embedded)
    api.send_text("oFarmer1", "预热")
    fake_wechat.fail_next(kind)
    api.send_text("oFarmer1", "换了令牌也送达")
    assert fake_wechat.texts_to("oFarmer1") == ["预热", "换了令牌也送达"]
    assert fake_wechat.token_fetches == 2


def test_token_error_twice_in_a_row_is_permanent(settings, embedded, fake_wechat):
    fake_wechat.fail_next("invalid_credential", 2)
    with pytest.raises(PermanentError) as caught:
        WechatApi(settings, embedded).send_text("oFarmer1", "x")
    assert caught.value.errcode == 40001
    assert fake_wechat.token_fetches == 2
    assert fake_wechat.received == []


def test_revoked_token_is_refetched_once_by_concurrent_workers(settings, store, fake_wechat):
    workers = [WechatApi(settings, store), WechatApi(settings, store)]
    workers[0].send_text("oFarmer0", "预热")
    fake_wechat.invalidate_tokens()  # e.g. someone fetched a token with the same AppID elsewhere
    run_in_threads(lambda n: workers[n % 2].send_text(f"oFarmer{n}", "令牌失效后"), 6)
    assert fake_wechat.token_fetches == 2
    assert len(fake_wechat.received) == 7


def test_token_is_fetched_again_once_it_expires(settings, store, fake_wechat):
    fake_wechat.expires_in = 1  # kept for half its life when shorter than the refresh margin
    api = WechatApi(settings, store)
    api.send_text("oFarmer1", "一")
    time.sleep(0.7)
    api.send_text("oFarmer1", "二")
    assert fake_wechat.token_fetches == 2


@pytest.mark.parametrize("kind, error, errcode", [
    ("window_closed", WindowClosed, 45015),
    ("quota", QuotaExceeded, 45047),
    ("invalid_openid", PermanentError, 40003),
    ("busy", TransientError, -1),
    ("http500", TransientError, None),
])
def test_wechat_errors_become_typed_exceptions(settings, embedded, fake_wechat, kind, error, errcode):
    fake_wechat.fail_next(kind)
    with pytest.raises(error) as caught:
        WechatApi(settings, embedded).send_text("oFarmer1", "x")
    assert caught.value.errcode == errcode
    assert fake_wechat.received == []


def test_window_closed_is_not_mistaken_for_a_retryable_error(settings, embedded, fake_wechat):
    fake_wechat.fail_next("window_closed")
    with pytest.raises(PermanentError):
        WechatApi(settings, embedded).send_text("oFarmer1", "x")
    assert not issubclass(WindowClosed, TransientError)


def test_a_stalled_api_is_a_transient_error(settings, embedded, fake_wechat):
    api = WechatApi(settings, embedded, timeout=0.2)
    api.send_text("oFarmer1", "预热")
    fake_wechat.slow_seconds = 0.6
    fake_wechat.fail_next("slow")
    with pytest.raises(TransientError):
        api.send_text("oFarmer1", "慢")


def test_an_unreachable_api_is_a_transient_error(make_settings, embedded):
    settings = make_settings(wechat_api_base="http://127.0.0.1:1", wechat_secret="s")
    with pytest.raises(TransientError):
        WechatApi(settings, embedded, timeout=1).send_text("oFarmer1", "x")


@pytest.mark.parametrize("kind, error", [("busy", TransientError), ("http500", TransientError)])
def test_token_fetch_failures_are_typed(settings, embedded, fake_wechat, kind, error):
    fake_wechat.fail_next(kind, on="token")
    with pytest.raises(error):
        WechatApi(settings, embedded).send_text("oFarmer1", "x")
    WechatApi(settings, embedded).send_text("oFarmer1", "恢复后")
    assert fake_wechat.texts_to("oFarmer1") == ["恢复后"]


def test_outbound_is_off_without_a_secret(make_settings, embedded):
    assert make_wechat_api(make_settings(), embedded) is None
    assert isinstance(make_wechat_api(make_settings(wechat_secret="s"), embedded), WechatApi)
