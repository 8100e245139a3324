"""`nongbot serve` runs uvicorn without an access log (the message log already records each callback)."""
from __future__ import annotations

import sys
import types

import pytest
import uvicorn
from click.testing import CliRunner

from bot import cli
from bot.cli import main


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
    assert runs == [("bot.asgi:app", {"host": "127.0.0.1", "port": 8000, "workers": 3, "log_level": "warning",
                                      "access_log": False})]
