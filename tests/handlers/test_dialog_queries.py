"""What a typical message costs the dialog: database round trips (each is ~0.2 ms of our CPU), ORM
sessions, normalizations of its text."""
from __future__ import annotations

from collections import Counter

from bot.dialog.unit import MessageUnit
from intents.dialog_acts import classify_act
from intents.normalize import Normalizer
from tests.statements import statements_sent

BOOKING = "我要给石宝镇30亩柑橘打药"


def test_a_yes_looks_for_its_record_in_one_query_over_the_request_tables(farmer):
    assert classify_act("好的") == "affirm"
    with statements_sent(farmer.ctx.engine) as seen:
        farmer.say("好的")
    assert sum("idempotency_key" in s for s in seen) == 1



def _counting_sessions(ctx, monkeypatch) -> list:
    opened = []
    real = ctx.sessions

    def counting(**kwargs):
        opened.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(ctx, "sessions", counting)
    return opened


def test_a_message_that_reads_and_writes_no_record_opens_no_session(farmer, monkeypatch):
    opened = _counting_sessions(farmer.ctx, monkeypatch)
    with farmer.ctx.engine.connect() as connection, connection.begin():  # the gateway's unit of work
        with statements_sent(farmer.ctx.engine) as seen:
            greeting = farmer.responder.respond(MessageUnit(farmer.inbound(text="你好"), connection, location=None))
    assert greeting.replies
    assert opened == [] and seen == []


def test_a_record_written_on_the_gateways_connection_commits_or_rolls_back_with_it(make_farmer, monkeypatch):
    def confirm_on_a_connection(farmer, commit: bool) -> None:
        conversation = None
        for text in (BOOKING, "下周三，电话13800138000", "确认"):
            with farmer.ctx.engine.connect() as connection, connection.begin() as outer:
                unit = MessageUnit(farmer.inbound(text=text), connection, conversation=conversation, location=None)
                done = farmer.responder.respond(unit)
                conversation = unit.conversation
                if text == "确认":
                    assert "预约已提交" in done.replies[0]
                    if not commit:
                        outer.rollback()

    kept, dropped = make_farmer("oOneTxKept"), make_farmer("oOneTxDropped")
    opened = _counting_sessions(kept.ctx, monkeypatch)
    confirm_on_a_connection(kept, commit=True)
    confirm_on_a_connection(dropped, commit=False)
    assert [b.phone for b in kept.records("bookings")] == ["13800138000"]
    assert dropped.records("bookings") == []
    assert {"bind"} in [set(kwargs) for kwargs in opened]  # the confirmation's session was bound to the connection


def test_a_message_is_normalized_once_for_its_act_parse_and_answer(farmer, monkeypatch):
    classify_act("好")  # the act table is normalized once per process, not per message
    normalized = []
    real = Normalizer.__call__
    monkeypatch.setattr(Normalizer, "__call__", lambda self, text: normalized.append(text) or real(self, text))
    said = [BOOKING, "下周三，电话13800138000", "不对，是40亩", "确认"]
    for text in said:
        farmer.say(text)
    assert len(farmer.records("bookings")) == 1
    counts = Counter(normalized)
    assert {text: counts[text] for text in said} == {text: 1 for text in said}
