"""The staff inbox: tickets, their conversation, replies to the farmer, notes, assignment and status."""
from __future__ import annotations

import hashlib
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from admin.farmer import Farmer, farmer_of, ticket_title
from admin.media import media_ref
from admin.notify import DELIVERY_LABELS, Delivery, send_to_farmer
from admin.policy import Denied, Staff, scoped, ticket_for
from bot.wechat.kf_window import WindowState, window_state
from bot.records.models import AuditLog, MessageLog, ServiceCenter, StaffUser, Ticket, TicketMessage, WechatUser
from bot.settings import Settings

# Who the ticket waits for, set by who spoke last: a farmer's message → staff, a staff reply → the farmer.
TICKET_STATUSES = {"open": "等待工作人员", "pending": "等待农户", "resolved": "已解决"}
STATUS_ORDER = {status: rank for rank, status in enumerate(TICKET_STATUSES)}
HISTORY_LIMIT = 100
MEDIA_WORDS = {"voice": "（语音）", "image": "（图片）", "video": "（视频）", "shortvideo": "（小视频）"}
MAX_REPLY_CHARS = 600
# A reply's idempotency key (form token or Idempotency-Key header) is remembered this long.
REPLY_KEY_SECONDS = 24 * 3600
# A resubmit arriving while the first submit still runs waits this long for its outcome.
REPLY_WAIT_SECONDS = 10.0


@dataclass(frozen=True)
class HistoryItem:
    at: datetime
    who: str       # farmer | bot | staff | note
    text: str
    delivery: str | None = None
    by: str | None = None  # the staff member who wrote a reply or note
    media: Any = None      # admin.media.MediaRef of a voice message or picture


@dataclass(frozen=True)
class Waiting:
    """Whose turn it is on a ticket, since when, and whether staff are past the center's reply-time target."""

    state: str                      # open (staff's turn) | pending (the farmer's) | resolved
    since: datetime | None          # when the farmer's unanswered message came (state open)
    target_hours: float
    overdue_by: timedelta | None    # how far past the target, when it is

    @property
    def overdue(self) -> bool:
        return self.overdue_by is not None


@dataclass(frozen=True)
class TicketSummary:
    ticket: Ticket
    center: str | None
    last_farmer_at: datetime | None
    window: WindowState
    waiting: Waiting | None = None
    title: str = ""
    phone: str | None = None
    township: str | None = None


@dataclass(frozen=True)
class TicketDetail:
    ticket: Ticket
    center: str | None
    last_farmer_at: datetime | None
    window: WindowState
    history: list[HistoryItem]
    farmer: Farmer
    assignees: list[StaffUser]
    assignee: StaffUser | None
    waiting: Waiting | None = None

    @property
    def title(self) -> str:
        return ticket_title(self.ticket, self.farmer.township)


def audit(session: Session, staff: Staff, action: str, kind: str, target_id: int | None, **detail: Any) -> None:
    session.add(AuditLog(staff_id=staff.id, action=action, target_kind=kind, target_id=target_id, detail=detail))


def last_farmer_message_at(session: Session, ticket: Ticket) -> datetime | None:
    logged = session.scalar(select(func.max(MessageLog.created_at)).where(
        MessageLog.openid == ticket.openid, MessageLog.direction == "in"))
    times = [t for t in (logged, ticket.last_user_message_at) if t is not None]
    return max(times) if times else None


def reply_target_hours(settings: Settings, center: Any) -> float:
    """The center's own reply-time target (by name or code) or the deployment's."""
    by_center = settings.reply_target_hours_by_center or {}
    for key in (getattr(center, "name", None), getattr(center, "code", None)):
        if key and key in by_center:
            return float(by_center[key])
    return settings.reply_target_hours


def last_staff_replies(session: Session, ticket_ids: list[int]) -> dict[int, datetime]:
    if not ticket_ids:
        return {}
    return dict(session.execute(select(TicketMessage.ticket_id, func.max(TicketMessage.created_at)).where(
        TicketMessage.ticket_id.in_(ticket_ids), TicketMessage.author == "staff").group_by(TicketMessage.ticket_id)).all())


def waiting_of(ticket: Ticket, last_farmer_at: datetime | None, last_staff_at: datetime | None,
               target_hours: float, now: datetime) -> Waiting:
    """Who spoke last decides. A staff reply sets the ticket to the farmer's turn (stored); any message of the
    farmer's after the last staff reply — added to the ticket or answered by the bot — makes it staff's turn
    again, whatever the stored status says, until it is resolved."""
    state = ticket.status if ticket.status in TICKET_STATUSES else "open"
    if state == "pending" and last_staff_at is not None and last_farmer_at and last_farmer_at > last_staff_at:
        state = "open"
    if state != "open":
        return Waiting(state, None, target_hours, None)
    # Waiting since the ticket opened, or since the farmer answered the last reply.
    since = ticket.created_at if last_staff_at is None else max(last_farmer_at or last_staff_at, last_staff_at)
    late = now - since - timedelta(hours=target_hours)
    return Waiting(state, since, target_hours, late if late > timedelta(0) else None)


def list_tickets(session: Session, staff: Staff, now: datetime, status: str | None = None,
                 mine: bool = False, limit: int = 200, settings: Settings | None = None) -> list[TicketSummary]:
    stmt = scoped(staff, Ticket)
    if mine:
        stmt = stmt.where(Ticket.assignee_id == staff.id)
    tickets = session.scalars(stmt.order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit)).all()
    replied = last_staff_replies(session, [t.id for t in tickets])
    users = {u.openid: u for u in session.scalars(select(WechatUser).where(
        WechatUser.openid.in_({t.openid for t in tickets})))} if tickets else {}
    rows = []
    for t in tickets:
        user, slots = users.get(t.openid), t.slots or {}
        phone = getattr(t, "phone", None) or slots.get("phone") or (user.phone if user else None)
        township = getattr(t, "township", None) or slots.get("township") or (user.township if user else None)
        target = reply_target_hours(settings, t.center) if settings is not None else 2.0
        farmer_at = last_farmer_message_at(session, t)
        waiting = waiting_of(t, farmer_at, replied.get(t.id), target, now)
        if status in TICKET_STATUSES and waiting.state != status:
            continue
        rows.append(TicketSummary(t, t.center.name if t.center else None, farmer_at,
                                  window_state(session, t.openid, now), waiting, ticket_title(t, township),
                                  phone, township))
    # Past the target first (longest waiting first), then staff's turn, the farmer's, resolved; newest first within.
    return sorted(rows, key=lambda r: (not r.waiting.overdue, STATUS_ORDER.get(r.waiting.state, 9),
                                       r.waiting.since or now if r.waiting.overdue else now))


def ticket_detail(session: Session, staff: Staff, ticket_id: int, now: datetime,
                  settings: Settings | None = None) -> TicketDetail:
    ticket = ticket_for(session, staff, ticket_id)
    target = reply_target_hours(settings, ticket.center) if settings is not None else 2.0
    farmer_at = last_farmer_message_at(session, ticket)
    return TicketDetail(
        waiting=waiting_of(ticket, farmer_at, last_staff_replies(session, [ticket.id]).get(ticket.id), target, now),
        ticket=ticket, center=ticket.center.name if ticket.center else None,
        last_farmer_at=farmer_at, window=window_state(session, ticket.openid, now),
        history=history(session, ticket), farmer=farmer_of(session, staff, ticket),
        assignees=assignable_staff(session, ticket),
        assignee=session.get(StaffUser, ticket.assignee_id) if ticket.assignee_id else None)


def history(session: Session, ticket: Ticket) -> list[HistoryItem]:
    """The farmer's conversation with the bot (message log) merged with the ticket's staff replies and notes,
    oldest first; a farmer's message and the bot's answer share a timestamp, so ties keep the order written."""
    logs = session.scalars(select(MessageLog).where(MessageLog.openid == ticket.openid)
                           .order_by(MessageLog.created_at.desc(), MessageLog.id.desc()).limit(HISTORY_LIMIT)).all()
    said = [((m.created_at, 0, m.id), HistoryItem(m.created_at, "farmer" if m.direction == "in" else "bot",
                                                   m.content or MEDIA_WORDS.get(m.msg_type, f"[{m.msg_type}]"),
                                                   media=media_ref(m) if m.direction == "in" else None))
            for m in logs if not (m.extra or {}).get("ticket_message_id")]
    messages = ticket.messages
    if logs:  # the log already holds what the farmer and the bot said
        messages = [m for m in messages if m.author in ("staff", "note")]
    names = staff_names(session, {m.staff_id for m in messages if m.staff_id})
    said += [((m.created_at, 1, m.id), HistoryItem(m.created_at, m.author, m.text, m.delivery, names.get(m.staff_id)))
             for m in messages]
    return [item for _, item in sorted(said, key=lambda pair: pair[0])]


def staff_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(StaffUser.id, StaffUser.display_name, StaffUser.username)
                           .where(StaffUser.id.in_(ids))).all()
    return {row.id: row.display_name or row.username for row in rows}


def assignable_staff(session: Session, ticket: Ticket) -> list[StaffUser]:
    return list(session.scalars(select(StaffUser).where(
        StaffUser.active.is_(True),
        or_(StaffUser.role == "county_admin",
            (StaffUser.role == "center_staff") & (StaffUser.center_id == ticket.center_id))).order_by(StaffUser.id)))


def reply(session: Session, settings: Settings, staff: Staff, ticket_id: int, text: str, now: datetime) -> Delivery:
    """Send a staff reply to the farmer (客服 inside the window, else template) and keep it on the ticket."""
    text = clean_text(text, MAX_REPLY_CHARS)
    ticket = ticket_for(session, staff, ticket_id, change=True)
    message = TicketMessage(ticket_id=ticket.id, author="staff", staff_id=staff.id, text=text, created_at=now)
    session.add(message)
    session.flush()
    delivery = send_to_farmer(session, settings, ticket.openid, text, title="服务中心回复", source="staff_reply",
                              dedup_key=f"ticket:{ticket.id}:message:{message.id}", now=now)
    message.delivery, message.outbox_id = delivery.kind, delivery.outbox_id
    if ticket.first_response_at is None:
        ticket.first_response_at = now
    if ticket.status != "resolved":
        ticket.status = "pending"  # staff spoke last: the farmer's turn
    if ticket.assignee_id is None and staff.role == "center_staff":
        ticket.assignee_id = staff.id
    audit(session, staff, "ticket_reply", "ticket", ticket.id, delivery=delivery.kind, message_id=message.id)
    return delivery


@dataclass(frozen=True)
class SentReply:
    """What became of a staff reply: its delivery path and outbox row; `repeated` when an earlier submit with
    the same idempotency key already sent it and this one sent nothing."""

    kind: str
    outbox_id: int | None
    repeated: bool = False

    @property
    def label(self) -> str:
        return DELIVERY_LABELS[self.kind]


def reply_once(transaction: Callable[[], AbstractContextManager[Session]], store: Any, settings: Settings,
               staff: Staff, ticket_id: int, text: str, now: datetime, key: str | None) -> SentReply:
    """`reply` in its own transaction, at most once per idempotency key: a double click, a resubmitted form
    or a retried API call with the same key answers what the first one did and queues nothing more."""
    if not key:
        with transaction() as session:
            delivery = reply(session, settings, staff, ticket_id, text, now)
        return SentReply(delivery.kind, delivery.outbox_id)
    mark = f"admin:reply:{staff.id}:{ticket_id}:{hashlib.sha256(key.encode()).hexdigest()[:32]}"
    deadline = time.monotonic() + REPLY_WAIT_SECONDS
    while not store.add(mark, {}, REPLY_KEY_SECONDS):
        first = store.get(mark)
        if first:
            return SentReply(first["kind"], first["outbox_id"], repeated=True)
        if time.monotonic() > deadline:
            raise Denied(409, "这条回复正在发送，请稍后刷新页面查看，不要重复提交")
        time.sleep(0.05)
    try:
        with transaction() as session:
            delivery = reply(session, settings, staff, ticket_id, text, now)
    except BaseException:
        store.delete(mark)  # nothing was sent: the same key may try again
        raise
    store.set(mark, {"kind": delivery.kind, "outbox_id": delivery.outbox_id}, REPLY_KEY_SECONDS)
    return SentReply(delivery.kind, delivery.outbox_id)


def add_note(session: Session, staff: Staff, ticket_id: int, text: str, now: datetime) -> None:
    ticket = ticket_for(session, staff, ticket_id, change=True)
    session.add(TicketMessage(ticket_id=ticket.id, author="note", staff_id=staff.id,
                              text=clean_text(text, 2000), created_at=now))
    audit(session, staff, "ticket_note", "ticket", ticket.id)


def set_status(session: Session, staff: Staff, ticket_id: int, status: str, now: datetime) -> None:
    if status not in TICKET_STATUSES:
        raise Denied(400, "无效的状态")
    ticket = ticket_for(session, staff, ticket_id, change=True)
    before = ticket.status
    ticket.status = status
    ticket.resolved_at = now if status == "resolved" else None
    audit(session, staff, "ticket_status", "ticket", ticket.id, **{"from": before, "to": status})


def assign(session: Session, staff: Staff, ticket_id: int, assignee_id: int | None) -> None:
    ticket = ticket_for(session, staff, ticket_id, change=True)
    if assignee_id is not None and assignee_id not in {u.id for u in assignable_staff(session, ticket)}:
        raise Denied(400, "不能分配给该账号")
    before = ticket.assignee_id
    ticket.assignee_id = assignee_id
    audit(session, staff, "ticket_assign", "ticket", ticket.id, **{"from": before, "to": assignee_id})


def clean_text(text: str, limit: int) -> str:
    text = (text or "").strip()
    if not text:
        raise Denied(400, "内容不能为空")
    if len(text) > limit:
        raise Denied(400, f"内容不能超过 {limit} 字")
    return text


def ticket_json(ticket: Ticket, waiting: Waiting | None = None) -> dict[str, Any]:
    return {"id": ticket.id, "openid": ticket.openid, "status": waiting.state if waiting else ticket.status,
            "overdue": waiting.overdue if waiting else False,
            "center": ticket.center.name if ticket.center else None, "center_id": ticket.center_id,
            "created_at": ticket.created_at.isoformat(), "assignee_id": ticket.assignee_id,
            "reason": ticket.reason, "summary": ticket.summary, "intent": ticket.intent, "slots": ticket.slots,
            "first_response_at": _iso(ticket.first_response_at), "resolved_at": _iso(ticket.resolved_at)}


def ticket_detail_json(detail: TicketDetail) -> dict[str, Any]:
    data = ticket_json(detail.ticket, detail.waiting) | {"phone": detail.farmer.phone,
                                                         "township": detail.farmer.township,
                                                         "name": detail.farmer.name, "title": detail.title}
    data["messages"] = [{"at": h.at.isoformat(), "author": h.who, "text": h.text, "delivery": h.delivery,
                         "by": h.by}
                        for h in detail.history]
    data["window"] = {"open": detail.window.open, "closes_at": _iso(detail.window.closes_at),
                      "remaining": detail.window.remaining, "opened_by": detail.window.opened_by}
    return data


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


@dataclass(frozen=True)
class Updates:
    """What the live console polls: a version that changes with anything new for the caller, and counts."""

    version: str
    waiting: int        # tickets waiting for staff
    overdue: int        # of which past the reply-time target
    new_requests: int   # requests not yet handled (已受理)

    def json(self) -> dict[str, Any]:
        return {"version": self.version, "waiting": self.waiting, "overdue": self.overdue,
                "new_requests": self.new_requests}


def updates(session: Session, staff: Staff, settings: Settings, now: datetime) -> Updates:
    """A few aggregate reads, so every open console can poll every few seconds: new tickets, new farmer
    messages on open tickets, staff replies and status changes, new or changed requests."""
    from bot.records.models import REQUEST_KINDS

    tickets = session.execute(scoped(staff, Ticket, select(
        Ticket.id, Ticket.openid, Ticket.status, Ticket.created_at, Ticket.last_user_message_at,
        Ticket.updated_at, Ticket.center_id)).where(Ticket.status != "resolved")).all()
    openids = {t.openid for t in tickets}
    farmer_at: dict[str, datetime] = {}
    last_log = 0
    if openids:
        for openid, at, top in session.execute(select(MessageLog.openid, func.max(MessageLog.created_at),
                                                      func.max(MessageLog.id))
                                               .where(MessageLog.openid.in_(openids), MessageLog.direction == "in")
                                               .group_by(MessageLog.openid)):
            farmer_at[openid], last_log = at, max(last_log, top or 0)
    replied = last_staff_replies(session, [t.id for t in tickets])
    last_message = session.scalar(select(func.max(TicketMessage.id)).where(
        TicketMessage.ticket_id.in_([t.id for t in tickets]))) if tickets else None
    targets = {c.id: c for c in session.scalars(select(ServiceCenter))}
    waiting = overdue = 0
    for t in tickets:
        times = [x for x in (farmer_at.get(t.openid), t.last_user_message_at) if x is not None]
        state = waiting_of(t, max(times) if times else None, replied.get(t.id),
                           reply_target_hours(settings, targets.get(t.center_id)), now)
        waiting += state.state == "open"
        overdue += state.overdue
    top_ticket = session.scalar(scoped(staff, Ticket, select(func.max(Ticket.id))))
    changed = max((t.updated_at for t in tickets), default=None)
    parts = [top_ticket or 0, last_message or 0, last_log, changed.isoformat() if changed else "", len(tickets)]
    new_requests = 0
    for model in REQUEST_KINDS.values():
        top, touched, fresh = session.execute(scoped(staff, model, select(
            func.max(model.id), func.max(model.updated_at),
            func.count(model.id).filter(model.status == "received")))).one()
        parts += [top or 0, touched.isoformat() if touched else ""]
        new_requests += fresh or 0
    version = hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:16]
    return Updates(version, waiting, overdue, new_requests)
