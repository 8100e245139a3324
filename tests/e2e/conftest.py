"""End-to-end fixtures: the whole app behind POST /wechat, a farmer's phone signing and encrypting
like WeChat, and records read back through `nongbot export`."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from bot.app import build_context, create_app
from bot.cli import main
from bot.wechat.simclient import WechatSim

AES = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF1"
TOKEN, APPID = "e2e-token", "wxe2edialog"
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)  # Monday: 下周三 = 2026-12-02


@dataclass
class Deployment:
    url: str
    settings: object

    def start(self):
        """A fresh process's worth of parts (context, app) on the same database."""
        ctx = build_context(self.settings)
        ctx.clock = lambda: NOW
        return ctx, TestClient(create_app(ctx=ctx))

    def export(self, kind: str, *args: str) -> list[dict]:
        result = CliRunner().invoke(main, ["export", kind, *args], env={"NONGBOT_DATABASE_URL": self.url})
        assert result.exit_code == 0, result.output
        return [json.loads(line) for line in result.output.splitlines() if line.strip()]


@pytest.fixture
def deployment(make_settings, database_url) -> Deployment:
    settings = make_settings(database_url=database_url, wechat_token=TOKEN, wechat_aes_key=AES, wechat_appid=APPID,
                             deliver_in_process=False)
    return Deployment(database_url, settings)


@pytest.fixture
def phone(deployment):
    """A farmer's WeChat talking to a running app: `phone.text("…").text` is the decrypted reply."""
    ctx, client = deployment.start()
    with client as http:
        sim = WechatSim(http, TOKEN, AES, APPID, openid="oE2eFarmer01")
        sim.ctx = ctx
        yield sim
