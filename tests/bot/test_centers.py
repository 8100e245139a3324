"""The service_centers table follows the knowledge pack; workers starting together sync it once, cleanly.

On every storage combination: SQLite and PostgreSQL, each with the embedded store and Redis.
"""
from __future__ import annotations

import dataclasses
import threading

from sqlalchemy import func, select

from bot.centers import sync_centers_once
from bot.store.db import session_factory
from bot.records.models import ServiceCenter
from knowledge import load_pack


def _rows(sessions) -> dict[str, ServiceCenter]:
    with sessions() as session:
        return {c.code: c for c in session.scalars(select(ServiceCenter))}


def test_workers_starting_together_sync_the_centers_once(engine, store):
    pack = load_pack("zhongxian")
    sessions = session_factory(engine)
    start = threading.Barrier(4)
    failures: list[BaseException] = []

    def worker_start() -> None:
        start.wait()
        try:
            sync_centers_once(sessions, store, pack)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            failures.append(exc)

    threads = [threading.Thread(target=worker_start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(ServiceCenter)) == len(pack.centers)
    assert set(_rows(sessions)) == {c.code for c in pack.centers}


def test_a_resync_updates_centers_and_retires_those_the_pack_dropped(engine, store):
    pack = load_pack("zhongxian")
    sessions = session_factory(engine)
    ids = sync_centers_once(sessions, store, pack)
    dropped, renamed = pack.centers[0], pack.centers[1]
    smaller = dataclasses.replace(pack, centers=[renamed.model_copy(update={"name": renamed.name + "（新址）"}),
                                                 *pack.centers[2:]])
    again = sync_centers_once(sessions, store, smaller)
    rows = _rows(sessions)
    assert rows[dropped.code].active is False
    assert rows[renamed.code].name == renamed.name + "（新址）" and rows[renamed.code].active is True
    assert again[renamed.code] == ids[renamed.code]   # updated in place, staff links keep working
    assert dropped.code not in again
