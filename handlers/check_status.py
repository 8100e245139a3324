"""check_status: the user's own applications, bookings, requests and tickets with their status."""
from __future__ import annotations

from sqlalchemy import select

from bot.models import REQUEST_KINDS, Ticket
from handlers.base import Turn

KIND_NAMES = {"members": "入会申请", "bookings": "托管预约", "loan_requests": "贷款咨询",
              "bookkeeping_requests": "代账申请"}
STATUS_NAMES = {"received": "已受理", "confirmed": "已确认", "scheduled": "已排期", "done": "已完成",
                "rejected": "未通过", "open": "待处理", "pending": "处理中", "resolved": "已解决"}


def check_status(turn: Turn) -> list[str]:
    openid = turn.inbound.openid
    items = []
    for kind, model in REQUEST_KINDS.items():
        for row in turn.session.scalars(select(model).where(model.openid == openid).order_by(model.id.desc()).limit(5)):
            items.append((KIND_NAMES[kind], row.id, STATUS_NAMES.get(row.status, row.status), row.status_reason))
    for ticket in turn.session.scalars(select(Ticket).where(Ticket.openid == openid).order_by(Ticket.id.desc()).limit(5)):
        items.append(("人工咨询", ticket.id, STATUS_NAMES.get(ticket.status, ticket.status), None))
    return [turn.render("dialog/status", items=items[:8])]
