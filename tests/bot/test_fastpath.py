"""The fast paths (bot/fastpath.py) behind one switch, NONGBOT_FAST_PATHS: with them on or off a message sends
the same statements, and the tests that count statements see every one of them (a DriverStatement fires
the engine's statement events itself). CI also runs the end-to-end tests a second time with the switch off."""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from bot import fastpath
from bot.app import build_context, create_app
from bot.wechat.simclient import WechatSim
from tests.e2e.conftest import AES, APPID, NOW, TOKEN
from tests.statements import statements_sent

CONVERSATION = ("我要给石宝镇30亩柑橘打药", "下周三，电话13800138000", "确认", "我的预约到哪一步了")


def _shape(sql: str) -> str:
    """A statement's kind and table (the multi-row INSERT and executemany differ only in their VALUES)."""
    found = re.match(r"\s*(\w+)\s+(?:INTO\s+|FROM\s+)?(\w+)?", sql, re.I)
    verb, table = found.group(1).upper(), (found.group(2) or "").lower()
    if verb in ("SELECT", "WITH"):
        table = " ".join(sorted(set(re.findall(r"\bFROM\s+(\w+)", sql, re.I))))
    return f"{verb} {table}"


def _statements(settings, openid: str, monkeypatch, fast: bool) -> list[list[str]]:
    monkeypatch.setenv(fastpath.SETTING, "1" if fast else "0")
    monkeypatch.setattr(fastpath, "_driver_statements", {})  # compiled for the other mode otherwise
    ctx = build_context(settings)
    ctx.clock = lambda: NOW
    per_message = []
    try:
        with TestClient(create_app(ctx=ctx)) as http:
            phone = WechatSim(http, TOKEN, AES, APPID, openid=openid)
            for said in CONVERSATION:
                with statements_sent(ctx.engine) as seen:
                    assert phone.text(said).text
                per_message.append([_shape(s) for s in seen if not s.lstrip().upper().startswith(
                    ("INSERT INTO STORE_ENTRIES", "SELECT VALUE FROM STORE", "DELETE FROM STORE"))])
    finally:
        ctx.engine.dispose()
    return per_message


def test_the_switch_reads_the_environment(monkeypatch):
    monkeypatch.delenv(fastpath.SETTING, raising=False)
    assert fastpath.enabled()
    for off in ("0", "false", "OFF", " no "):
        monkeypatch.setenv(fastpath.SETTING, off)
        assert not fastpath.enabled()


@pytest.mark.postgres
def test_fast_paths_on_and_off_send_the_same_statements_and_the_counters_see_them_all(make_settings, pg_url,
                                                                                   monkeypatch):
    settings = make_settings(database_url=pg_url, wechat_token=TOKEN, wechat_aes_key=AES, wechat_appid=APPID,
                             deliver_in_process=False)
    fast = _statements(settings, "oFastOn01", monkeypatch, fast=True)
    slow = _statements(settings, "oFastOff01", monkeypatch, fast=False)
    assert fast == slow
    every = [shape for message in fast for shape in message]
    # the webhook's own (the user upsert, which reads the conversation too, its write, the message log) are seen
    for expected in ("INSERT wechat_users", "INSERT dialog_sessions", "INSERT message_log",
                     "INSERT bookings"):
        assert expected in every, (expected, fast)
