"""The seeded farmer simulator (tests/farmer_sim.py) over all five packs: ~1000 conversations, personas ×
quirks, each ending in the record its facts call for. Floors per pack and per kind of request are set a
little below measured figures. Session 14 (2026-12-08) made the farmers harsher (a second quirk, weather and
price remarks, misspelt townships, phones with spaces, dialect, the pack's alias words, corrections mid-form,
vague dates from crop activities, skipped optional questions, voice Recognition, quitting): on seed 99 ×
2000 the engine went from 88.5–94.5 % per pack (bookings 86.7 %, loans 86.4 %) to 100 %; seed 5 (not tuned
on) 99.8–100 %, 0 stuck."""
from __future__ import annotations

import logging
import time

import pytest

from tests.farmer_sim import PACKS, QUIRKS, report, simulate

FLOOR = {"zhongxian": 0.95, "fengdu": 0.95, "jiangjin": 0.95, "liaocheng": 0.95, "nanchuan": 0.95}
KIND_FLOOR = 0.95  # every kind of request, joining and 代账 included
CONVERSATIONS = 1000


@pytest.fixture(scope="module")
def simulated():
    logging.disable(logging.WARNING)
    try:
        started = time.perf_counter()
        results, untested = simulate(CONVERSATIONS, PACKS, seed=20261207)
        return results, untested, time.perf_counter() - started
    finally:
        logging.disable(logging.NOTSET)


def test_every_pack_is_simulated_and_every_quirk_occurs(simulated):
    results, untested, _ = simulated
    assert untested == [] and {r.pack for r in results} == set(PACKS)
    assert {r.quirk for r in results} == set(QUIRKS)
    assert len(results) == CONVERSATIONS


def test_task_success_per_pack_is_above_its_floor_and_nothing_is_stuck(simulated):
    results, _, _ = simulated
    table = report(results)
    failing = {pack: row for pack, row in table.items() if row["success"] < FLOOR[pack] or row["stuck"]}
    assert not failing, failing


def test_every_kind_of_request_is_above_its_floor(simulated):
    results, _, _ = simulated
    kinds = {r.task for r in results}
    assert {"bookings", "members", "loan_requests", "bookkeeping_requests", "tickets"} <= kinds
    rates = {kind: sum(r.ok for r in results if r.task == kind) / sum(1 for r in results if r.task == kind)
             for kind in kinds}
    assert all(rate >= KIND_FLOOR for rate in rates.values()), rates


def test_conversations_stay_short(simulated):
    results, _, elapsed = simulated
    assert max(r.turns for r in results) < 24
    assert sum(r.turns for r in results) / len(results) < 10
    assert elapsed < 120  # ~25 s on a quiet machine
