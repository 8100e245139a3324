"""The production ASGI module keeps its startup heap out of the cyclic garbage collector."""
from __future__ import annotations

import gc
import importlib
import sys

from types import SimpleNamespace

import bot.app
import bot.logs
import bot.settings


def test_the_served_apps_startup_objects_are_frozen_out_of_the_collector(monkeypatch):
    built = object()
    monkeypatch.setattr(bot.app, "create_app", lambda settings: built)
    monkeypatch.setattr(bot.settings, "Settings", lambda: SimpleNamespace(log_format="text"))
    monkeypatch.setattr(bot.logs, "configure", lambda fmt: None)  # the test run keeps its own logging
    monkeypatch.delitem(sys.modules, "bot.asgi", raising=False)
    gc.unfreeze()
    try:
        module = importlib.import_module("bot.asgi")
        assert module.app is built
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        sys.modules.pop("bot.asgi", None)
