"""How many database round trips a typical message costs the dialog (each is ~0.2 ms of our CPU)."""
from __future__ import annotations

from intents.dialog_acts import classify_act
from tests.statements import statements_sent


def test_a_yes_looks_for_its_record_in_one_query_over_the_request_tables(farmer):
    assert classify_act("好的") == "affirm"
    with statements_sent(farmer.ctx.engine) as seen:
        farmer.say("好的")
    assert sum("idempotency_key" in s for s in seen) == 1

