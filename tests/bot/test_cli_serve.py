"""`nongbot serve` runs uvicorn without an access log (the message log already records each callback)."""
from __future__ import annotations

import sys
import types

import pytest
import uvicorn
from click.testing import CliRunner

from bot import cli
from bot.cli import main


@pytest.fixture(autouse=True)
def _wechat_env(monkeypatch):
    """serve's settings: a token (the refusal tests below take it away again), nothing else from outside."""
    for name in ("NONGBOT_WECHAT_AES_KEY", "NONGBOT_WECHAT_MODE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NONGBOT_WECHAT_TOKEN", "serve-test-token")


def test_serve_runs_without_an_access_log(monkeypatch):
    runs: list[dict] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: runs.append(options))
    monkeypatch.setattr(cli, "_require_current_schema", lambda: None)
    monkeypatch.setitem(sys.modules, "bot.asgi", types.SimpleNamespace(app=object()))  # no real app built
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 0, result.output
    assert runs and runs[0]["access_log"] is False


def test_serve_workers_fall_back_to_one_shared_socket_without_reuse_port(monkeypatch):
    """Where the platform has no SO_REUSEPORT (Windows), uvicorn's own workers share one socket."""
    import socket

    runs: list[tuple] = []
    monkeypatch.delattr(socket, "SO_REUSEPORT", raising=False)
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: runs.append((app, options)))
    monkeypatch.setattr(cli, "_require_current_schema", lambda: None)
    result = CliRunner().invoke(main, ["serve", "--workers", "3"])
    assert result.exit_code == 0, result.output
    from bot.wechat.slowclients import TimelyHttpToolsProtocol

    assert runs == [("bot.asgi:app", {"host": "127.0.0.1", "port": 8000, "workers": 3, "log_level": "warning",
                                      "access_log": False, "http": TimelyHttpToolsProtocol})]


AES = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


@pytest.mark.parametrize("env, says", [
    ({"NONGBOT_WECHAT_TOKEN": ""}, "NONGBOT_WECHAT_TOKEN is not set"),
    ({"NONGBOT_WECHAT_MODE": "safe"}, "NONGBOT_WECHAT_MODE=safe needs NONGBOT_WECHAT_AES_KEY"),
    ({"NONGBOT_WECHAT_MODE": "compat"}, "NONGBOT_WECHAT_MODE=compat needs NONGBOT_WECHAT_AES_KEY"),
    ({"NONGBOT_WECHAT_MODE": "secure"}, "NONGBOT_WECHAT_MODE"),
    ({"NONGBOT_WECHAT_AES_KEY": "short"}, "NONGBOT_WECHAT_AES_KEY"),
])
def test_serve_refuses_to_start_on_settings_that_admit_forgeries_with_one_line(monkeypatch, env, says):
    runs: list = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: runs.append(options))
    monkeypatch.setattr(cli, "_require_current_schema", lambda: runs.append("schema checked"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code != 0 and not runs
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], result.output


@pytest.mark.parametrize("env", [{}, {"NONGBOT_WECHAT_AES_KEY": AES},
                                 {"NONGBOT_WECHAT_AES_KEY": AES, "NONGBOT_WECHAT_MODE": "compat"}])
def test_serve_starts_with_a_token_and_the_key_its_mode_needs(monkeypatch, env):
    runs: list = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: runs.append(options))
    monkeypatch.setattr(cli, "_require_current_schema", lambda: None)
    monkeypatch.setitem(sys.modules, "bot.asgi", types.SimpleNamespace(app=object()))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 0, result.output
    assert runs


@pytest.mark.parametrize("text, point", [(" 30.29,108.03", (30.29, 108.03)), (" 30.29，108.03", (30.29, 108.03)),
                                         ("30.29 108.03", (30.29, 108.03)), ("３０．２９，１０８", (30.29, 108.0)),
                                         ("", None), ("  ", None), ("30.29", None), ("a,b", None),
                                         ("91,10", None), ("nan,1", None), ("1,2,3", None)])
def test_chat_location_reads_what_a_person_types(text, point):
    assert cli.parse_location(text) == point


def test_chat_survives_a_bare_location_command(monkeypatch, tmp_path):
    """`/location` without arguments or with a full-width comma in the terminal chat: a hint, no crash."""
    monkeypatch.chdir(tmp_path)
    for name in ("NONGBOT_WECHAT_TOKEN", "NONGBOT_WECHAT_AES_KEY", "NONGBOT_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(main, ["chat"], input="/location\n/location 30.29，108.03\n/quit\n")
    assert result.exit_code == 0, result.output
    assert "用法：/location" in result.output and "Traceback" not in result.output
    assert result.output.count("助手：") >= 2  # the welcome and the answer to the location
