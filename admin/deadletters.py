"""Outbound messages that WeChat never accepted (dead letters): listed and re-sent from the console."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from admin.inbox import audit
from admin.policy import Denied, Staff, require_admin
from bot.records.models import OutboxMessage

LIMIT = 200


def dead_letters(session: Session, staff: Staff) -> list[OutboxMessage]:
    if not staff.sees_all_centers:
        raise Denied(403, "仅县级账号可以查看发送失败的消息")
    return list(session.scalars(select(OutboxMessage).where(OutboxMessage.status == "dead")
                                .order_by(OutboxMessage.id.desc()).limit(LIMIT)))


def resend(session: Session, staff: Staff, outbox_id: int) -> None:
    from bot.wechat.outbox import requeue

    require_admin(staff)
    row = session.get(OutboxMessage, outbox_id)
    if row is None or row.status != "dead":
        raise Denied(404, "没有这条发送失败的消息")
    requeue(session, outbox_id)
    audit(session, staff, "outbox_resend", "outbox", outbox_id, openid=row.openid)
