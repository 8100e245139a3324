"""Keeps the service_centers table in step with the knowledge pack's centers (by code)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.db import transaction
from bot.records.models import ServiceCenter

_FIELDS = ("name", "kind", "township", "address", "phone", "hours", "lat", "lon")


def sync_centers(session: Session, pack: Any) -> dict[str, int]:
    """Insert or update every center of the pack; centers the pack no longer has become inactive."""
    existing = {c.code: c for c in session.scalars(select(ServiceCenter))}
    wanted = {c.code: c for c in pack.centers}
    for code, center in wanted.items():
        row = existing.get(code)
        if row is None:
            row = ServiceCenter(code=code)
            session.add(row)
            existing[code] = row
        for name in _FIELDS:
            setattr(row, name, getattr(center, name))
        row.services = list(center.services)
        row.pack = pack.info.name
        row.active = True
    for code, row in existing.items():
        if code not in wanted and row.pack == pack.info.name:
            row.active = False
    session.flush()
    return {code: row.id for code, row in existing.items() if code in wanted}


def sync_centers_once(sessions: Any, store: Any, pack: Any) -> dict[str, int]:
    """sync_centers for a starting worker: workers start together (`serve --workers N`), and two
    syncing an empty table at once both inserted every center, one of them failing on the unique code."""
    with store.lock("sync-centers", ttl=60.0, wait=90.0), transaction(sessions) as session:
        return sync_centers(session, pack)


def center_id_by_code(session: Session, code: str) -> int | None:
    return session.scalar(select(ServiceCenter.id).where(ServiceCenter.code == code))
