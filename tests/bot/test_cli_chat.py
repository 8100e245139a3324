"""`nongbot chat` talks to an in-process demo exactly as WeChat would, signed and encrypted."""
from __future__ import annotations

import json

from click.testing import CliRunner

from bot.cli import main


def test_chat_starts_a_demo_and_shows_the_bots_answers(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("NONGBOT_DATABASE_URL", "NONGBOT_WECHAT_TOKEN", "NONGBOT_WECHAT_AES_KEY", "NONGBOT_WECHAT_APPID"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(main, ["chat"], input="你好\n/quit\n")
    assert result.exit_code == 0, result.output
    assert "欢迎关注忠县农合联助手" in result.output      # the subscribe event's welcome
    assert result.output.count("加入农合联") >= 2          # and the answer to 你好
    creds = json.loads((tmp_path / ".nongbot-demo.json").read_text())
    assert len(creds["aes_key"]) == 43                      # safe mode: the chat went encrypted
    assert (tmp_path / "nongbot.db").exists()
