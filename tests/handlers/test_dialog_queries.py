"""How many database round trips a typical message costs the dialog (each is ~0.2 ms of our CPU)."""
from __future__ import annotations

from sqlalchemy import event

from intents.dialog_acts import classify_act


def _statements(engine, action) -> list[str]:
    seen: list[str] = []

    def note(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return seen


def test_a_yes_looks_for_its_record_in_one_query_over_the_request_tables(farmer):
    assert classify_act("好的") == "affirm"
    seen = _statements(farmer.ctx.engine, lambda: farmer.say("好的"))
    assert sum("idempotency_key" in s for s in seen) == 1

