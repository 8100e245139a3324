"""Gateway fixtures: an AppContext from real parts (database, store, 忠县 pack) and test responders."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.context import AppContext
from bot.store.db import session_factory
from bot.dialog.unit import Outcome
from bot.wechat.inbound import Inbound
from handlers.replies import ReplyTemplates
from bot.wechat.simclient import WechatSim

AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APPID = "wx1234567890abcdef"
TOKEN = "test-token"


@dataclass
class EchoResponder:
    """Answers with the user's own text (to prove it cannot break the reply XML); counts calls."""

    delay: float = 0.0
    calls: list[Inbound] = field(default_factory=list)
    reply_factory: object = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def respond(self, unit) -> Outcome:  # noqa: ANN001 - bot.dialog.unit.MessageUnit
        inbound = unit.inbound
        with self._lock:
            self.calls.append(inbound)
        if self.delay:
            time.sleep(self.delay)
        if self.reply_factory is not None:
            return self.reply_factory(inbound)
        if inbound.kind == "event" and inbound.event in ("unsubscribe", "view"):
            return Outcome()
        what = inbound.text or inbound.event_key or inbound.event or inbound.kind
        return Outcome(replies=[f"收到：{what}"])


def build_ctx(settings, engine, store) -> AppContext:
    from knowledge import load_pack

    pack = load_pack(settings.knowledge)
    return AppContext(settings=settings, engine=engine, sessions=session_factory(engine), store=store,
                      pack=pack, nlu=None, templates=ReplyTemplates(pack.path))


@pytest.fixture
def make_ctx(make_settings):
    def build(engine, store, **overrides) -> AppContext:
        url = engine.url.render_as_string(hide_password=False)
        # compat: the protocol tests post plaintext, encrypted and compat callbacks (safe mode's own tests set it)
        base = dict(database_url=url, wechat_token=TOKEN, wechat_aes_key=AES_KEY, wechat_appid=APPID,
                    wechat_mode="compat", deliver_in_process=False)
        base.update(overrides)
        return build_ctx(make_settings(**base), engine, store)

    return build


@pytest.fixture
def ctx(make_ctx, sqlite_engine):
    """A context on the embedded default (SQLite + its store): for protocol tests."""
    from bot.store.sql import SqlStore

    return make_ctx(sqlite_engine, SqlStore(sqlite_engine))


@pytest.fixture
def echo() -> EchoResponder:
    return EchoResponder()


@pytest.fixture
def client(ctx, echo):
    with TestClient(create_app(ctx=ctx, responder=echo)) as http:
        yield http


def sim_for(http, mode: str = "aes", openid: str = "oFarmerTest0001") -> WechatSim:
    return WechatSim(http, TOKEN, AES_KEY, APPID, openid=openid, mode=mode)
