"""Pytest fixtures for local fakes of outside services (the WeChat API)."""
from __future__ import annotations

import pytest

from tests.fakes.wechat_api import FakeWechatApi, FakeWechatServer

__all__ = ["fake_wechat", "fake_wechat_server"]


@pytest.fixture(scope="session")
def fake_wechat_server():
    server = FakeWechatServer()
    yield server
    server.stop()


@pytest.fixture
def fake_wechat(fake_wechat_server) -> FakeWechatApi:
    """A local fake WeChat API (token, 客服 send, template send), emptied for this test.

    Typical use::

        def test_staff_reply_reaches_farmer(make_settings, fake_wechat, engine):
            settings = make_settings(**fake_wechat.settings_overrides())   # outbound on, API base = the fake
            ...                                                            # enqueue + OutboxWorker(...).deliver_due()
            assert fake_wechat.texts_to("oFarmer1") == ["您好"]
            fake_wechat.fail_next("window_closed")                         # next send answers 45015

    See tests/fakes/wechat_api.py (FakeWechatApi) for `.received`, `.token_fetches`, `.attempts`,
    `.fail_next(kind, n, on="send"|"token")`, `.expires_in`, `.invalidate_tokens()`, `.reset()`.
    """
    api = fake_wechat_server.api
    api.reset()
    yield api
    api.reset()
