"""One text message's path through the code (issue 13 item 1): POST /wechat in-process, signed and
AES-encrypted as WeChat sends it, traced from the webhook to the stored reply.

The measure (tests/pipeline_trace.py): a *crossing* is a Python call into a project module (bot, intents,
handlers, knowledge, admin) whose nearest project frame below it on the same thread is in another module;
library frames are transparent; the test's WeChat stand-in (bot.wechat.simclient) is not counted. Counted
per *component*: `intents`, `knowledge`, `handlers`, `admin` whole, in `bot` its subpackage or module
(bot.wechat, bot.dialog, bot.records, bot.store, bot.fastpath, ...). An edge N -> M is a distinct pair.

Before the rebuild (308553f, the same message; its flat `bot` modules each a component): 27 edges / 114 calls
on SQLite, 28 / 109 on PostgreSQL, 18 components (per module: 51 / 158 and 52 / 153, 32 modules); the NLU
entered from two layers (the dialog and handlers.base), the WeChat protocol from three (app, gateway, dialog),
the dialog from the gateway and the handlers. After: 11 edges / 65 calls on SQLite, 12 / 68 on PostgreSQL,
11 components. With the handlers' facts and records (session 14): 12 / 77 on SQLite (the turn's records read
the user's row there: handlers -> bot.records), 12 / 77 on PostgreSQL (the gateway hands the row: no records
made). The path now: the gateway (bot.wechat) claims in the store, opens one unit of work and writes the
user's row, conversation and log through bot.records, hands the dialog one MessageUnit; the dialog reads the
text once (intents.reading) and runs the handlers. A handler gets read-only facts (handlers.base.Facts) and the
turn's records (bot.records.turn.TurnRecords, on the unit's connection): every record read and write is there,
none in the handlers or the dialog."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.app import build_context, create_app
from bot.wechat.simclient import WechatSim
from tests.pipeline_trace import profiling

AES = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF1"
TOKEN, APPID = "trace-token", "wxtracepath"
MESSAGE = "我要给石宝镇30亩柑橘打药"   # a text that opens a form: NLU, the dialog, a handler, the records
MAX_EDGES = 12
# Entered from more than one place, and why: the pack is read by the NLU (townships) and by the handlers (a
# form's options); the records' column types are called back by the fast path's bind processors (PostgreSQL).
SHARED = {"knowledge", "bot.records"}


def trace_one_text(settings):
    """The Trace of one text message from a new farmer, after a warm-up message of another one (imports,
    caches and worker threads are made by then: the traced message is a steady one)."""
    with profiling() as trace:  # before the client starts: its threads and the gateway's inherit the hook
        ctx = build_context(settings)
        with TestClient(create_app(ctx=ctx)) as http:
            WechatSim(http, TOKEN, AES, APPID, openid="oTraceWarm").text(MESSAGE)
            farmer = WechatSim(http, TOKEN, AES, APPID, openid="oTraceFarmer")
            trace.recording = True
            reply = farmer.text(MESSAGE)
            trace.recording = False
    assert reply.text and "亩" in reply.text  # the booking form answered (the records are the e2e tests')
    return trace


def test_a_text_message_takes_one_path_through_few_components(make_settings, database_url):
    settings = make_settings(database_url=database_url, wechat_token=TOKEN, wechat_aes_key=AES, wechat_appid=APPID,
                             deliver_in_process=False)
    trace = trace_one_text(settings).components()
    print(trace.report())
    assert trace.entries.keys() == {"bot.app", "bot.wechat"}  # the server's call, the gateway's worker thread
    assert len(trace.edges) <= MAX_EDGES, trace.report()
    entered = trace.entered
    assert {m: callers for m, callers in entered.items() if len(callers) > 1 and m not in SHARED} == {}, trace.report()
    assert entered["bot.wechat"] == ["bot.app"]
    assert entered["bot.dialog"] == ["bot.wechat"]      # one message unit, from the gateway only
    assert entered["intents"] == ["bot.dialog"]         # the NLU from one layer
    assert trace.functions[("bot.dialog", "intents")]["read"] == 1  # the text read once
    assert entered["handlers"] == ["bot.dialog"]
    assert entered["bot.store"] == ["bot.wechat"]       # claim and finish
    assert "bot.fastpath" not in entered or entered["bot.fastpath"] == ["bot.records"]  # SQL only through records


ROOT = Path(__file__).resolve().parents[2]


def test_the_handlers_and_the_dialog_hold_no_sql_their_records_do():
    """Every statement of a turn is in bot/records (the turn's records): no module of handlers/ or bot/dialog/
    imports SQLAlchemy (type hints aside), so none can build or send a statement of its own."""
    modules = [*sorted((ROOT / "handlers").glob("*.py")), *sorted((ROOT / "bot" / "dialog").glob("*.py"))]
    runtime = {}
    for path in modules:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If)
                       and getattr(block.test, "id", None) == "TYPE_CHECKING" for n in ast.walk(block)}
        runtime[path.relative_to(ROOT).as_posix()] = sorted(
            node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
            for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in typing_only
            and ((node.module or "") if isinstance(node, ast.ImportFrom) else node.names[0].name).startswith("sqlalchemy"))
    assert {path: found for path, found in runtime.items() if found} == {}


def test_a_handlers_facts_are_read_only_and_its_writes_go_to_the_records(ctx):
    """What a handler is given: facts it cannot change (the user's snapshot frozen), records that write."""
    import dataclasses

    from bot.records.turn import TurnRecords
    from bot.wechat.inbound import Inbound
    from handlers import Turn

    turn = Turn(ctx=ctx, open_session=None, inbound=Inbound("oShape", "text", 0, text="我是石宝镇的"),
                user_row=_Row(1, "oShape", None, "石宝镇", None, {"name": "王大明"}), pushed_location=None)
    with pytest.raises(AttributeError):
        turn.facts.user = None
    with pytest.raises(dataclasses.FrozenInstanceError):
        turn.facts.user.township = "新立镇"
    with pytest.raises(TypeError):
        turn.facts.user.profile["name"] = "李四"
    assert (turn.facts.user.township, turn.facts.user.name) == ("石宝镇", "王大明")
    assert turn._records is None and isinstance(turn.records, TurnRecords)  # made when first asked for
    assert not any(hasattr(turn, name) for name in ("session", "ensure_user", "insert_once"))


class _Row:
    """A user's row as the gateway's upsert hands it (bot.records.messages.USER_COLUMNS)."""

    def __init__(self, id, openid, center_id, township, phone, profile):  # noqa: A002, ANN001
        self.id, self.openid, self.center_id, self.township, self.phone, self.profile = (
            id, openid, center_id, township, phone, profile)
