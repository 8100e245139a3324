"""Personal information (PIPL): how long the message log and closed tickets are kept, and forgetting a farmer."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.records.models import (REQUEST_KINDS, AuditLog, MessageLog, OutboxMessage, StoreEntry, Ticket, TicketMessage,
                        WechatUser)

# Columns that name or reach a person; a forgotten farmer's records keep what they asked for, not who asked.
PERSONAL_COLUMNS = ("phone", "name")
PERSONAL_SLOTS = ("phone", "name")
CLOSED_TICKET_STATES = ("resolved", "closed")


@dataclass(frozen=True)
class Retention:
    message_log_days: float
    closed_ticket_days: float


def forgotten_id(openid: str) -> str:
    """A stable stand-in for the openid on the records kept for statistics (not reversible)."""
    return "forgotten-" + hashlib.sha256(openid.encode("utf-8")).hexdigest()[:16]


def _scrubbed(slots: dict[str, Any] | None) -> dict[str, Any]:
    return {key: value for key, value in (slots or {}).items() if key not in PERSONAL_SLOTS}


def forget(session: Session, openid: str, staff_id: int | None = None) -> dict[str, int]:
    """Remove a farmer's personal data: their messages, tickets, pending outbound messages, dialog state and
    profile; their requests stay (the center's statistics) without openid, name or phone. Counts per part."""
    counts: dict[str, int] = {}
    stand_in = forgotten_id(openid)
    ticket_ids = list(session.scalars(select(Ticket.id).where(Ticket.openid == openid)))
    counts["ticket_messages"] = session.execute(
        delete(TicketMessage).where(TicketMessage.ticket_id.in_(ticket_ids))).rowcount if ticket_ids else 0
    counts["tickets"] = session.execute(delete(Ticket).where(Ticket.openid == openid)).rowcount
    counts["messages"] = session.execute(delete(MessageLog).where(MessageLog.openid == openid)).rowcount
    counts["outbox"] = session.execute(delete(OutboxMessage).where(OutboxMessage.openid == openid)).rowcount
    # The embedded store keys its dialog state and marks by openid.
    counts["store"] = session.execute(delete(StoreEntry).where(StoreEntry.key.contains(openid))).rowcount
    requests = 0
    for model in REQUEST_KINDS.values():
        for record in session.scalars(select(model).where(model.openid == openid)):
            record.openid = stand_in
            for column in PERSONAL_COLUMNS:
                if hasattr(record, column):
                    setattr(record, column, None)
            record.slots = _scrubbed(record.slots)
            requests += 1
    counts["requests"] = requests
    counts["user"] = session.execute(delete(WechatUser).where(WechatUser.openid == openid)).rowcount
    session.add(AuditLog(staff_id=staff_id, action="forget_farmer", target_kind="farmer",
                         detail={"farmer": stand_in, **counts}))
    return counts


def purge(session: Session, now: datetime, keep: Retention) -> dict[str, int]:
    """Delete the message log older than its retention, and closed tickets older than theirs."""
    log_cutoff = now - timedelta(days=keep.message_log_days)
    ticket_cutoff = now - timedelta(days=keep.closed_ticket_days)
    old = select(Ticket.id).where(Ticket.status.in_(CLOSED_TICKET_STATES), Ticket.updated_at < ticket_cutoff)
    ids = list(session.scalars(old))
    counts = {"messages": session.execute(delete(MessageLog).where(MessageLog.created_at < log_cutoff)).rowcount,
              "ticket_messages": 0, "tickets": 0}
    if ids:
        counts["ticket_messages"] = session.execute(delete(TicketMessage).where(TicketMessage.ticket_id.in_(ids))).rowcount
        counts["tickets"] = session.execute(delete(Ticket).where(Ticket.id.in_(ids))).rowcount
    return counts


__all__ = ["Retention", "forget", "forgotten_id", "purge"]
