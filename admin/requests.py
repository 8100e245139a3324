"""Farmer requests in the console: filtered lists, status changes that notify the farmer, Excel export."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from admin.inbox import audit
from admin.notify import Delivery, send_to_farmer, template_payload
from admin.policy import Denied, Staff, request_for, request_model, scoped
from bot.records.models import OutboxMessage, RequestEvent, ServiceCenter
from bot.schedule import scheduled_day, spoken_price, spoken_schedule
from bot.settings import Settings

KIND_LABELS = {"members": "入会申请", "bookings": "托管预约", "loan_requests": "贷款咨询",
               "bookkeeping_requests": "代账申请"}
STATUS_LABELS = {"received": "已受理", "confirmed": "已确认", "scheduled": "已排期", "done": "已完成",
                 "rejected": "未通过", "withdrawn": "已撤回"}
# received → confirmed / scheduled → done, or rejected (with a reason) from any open status; a scheduled
# request may be scheduled again (a new date). The farmer withdraws in the chat, or staff record it for them.
TRANSITIONS = {"received": ("confirmed", "scheduled", "rejected", "withdrawn"),
               "confirmed": ("scheduled", "done", "rejected", "withdrawn"),
               "scheduled": ("done", "scheduled", "rejected", "withdrawn"), "done": (), "rejected": (),
               "withdrawn": ()}
# The reason of these statuses explains a refusal ("原因"); on the others it is a note ("说明").
REFUSALS = ("rejected", "withdrawn")
# The reminder the day before a scheduled date goes out at this hour (the deployment's time zone).
REMINDER_HOUR = 9
MAX_PRICE_YUAN = 100_000_000
# Columns of each kind beyond the shared ones: (attribute, Chinese header).
KIND_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "members": [("member_type", "主体类型"), ("nonghelian", "乡镇农合联"), ("industry_nonghelian", "产业农合联")],
    "bookings": [("crop", "作物"), ("service", "服务"), ("area_mu", "面积(亩)"), ("date", "日期"),
                 ("price_quote_yuan", "报价(元)")],
    "loan_requests": [("member_type", "主体类型"), ("purpose", "用途"), ("amount_yuan", "金额(元)"),
                      ("collateral", "抵押物")],
    "bookkeeping_requests": [("org_name", "主体名称"), ("credit_code", "统一社会信用代码"),
                             ("monthly_vouchers", "月凭证数"), ("package", "套餐")],
}
# The CONTRACT's slot names as staff read them.
SLOT_LABELS = {"township": "乡镇", "crop": "作物", "area_mu": "面积(亩)", "amount_yuan": "金额(元)", "service": "服务",
               "member_type": "主体类型", "phone": "电话", "date": "日期", "name": "姓名", "purpose": "用途",
               "org_name": "主体名称", "credit_code": "统一社会信用代码"}
NOTICES = Environment(loader=FileSystemLoader(str(Path(__file__).parent / "templates" / "notices")),
                      autoescape=False, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


@dataclass(frozen=True)
class Schedule:
    """What staff agreed with the farmer: date or time window, price, a note; validated at the edge."""

    scheduled_for: str | None = None
    price_yuan: float | None = None
    note: str | None = None

    @classmethod
    def parse(cls, scheduled_for: str | None, price_yuan: float | str | None, note: str | None) -> Schedule:
        when = (scheduled_for or "").strip() or None
        if when and len(when) > 50:
            raise Denied(400, "排期时间不能超过 50 字")
        price: float | None = None
        if price_yuan not in (None, ""):
            try:
                price = float(price_yuan)  # type: ignore[arg-type]
            except ValueError:
                raise Denied(400, "价格应为数字（元）") from None
            if not 0 <= price < MAX_PRICE_YUAN:
                raise Denied(400, "价格不在合理范围内")
        text = (note or "").strip() or None
        if text and len(text) > 500:
            raise Denied(400, "说明不能超过 500 字")
        return cls(when, price, text)


@dataclass(frozen=True)
class RequestFilters:
    """What the list is narrowed to; parsed from query parameters at the edge."""

    center_id: int | None = None
    status: str | None = None
    township: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def parse(cls, params: dict[str, str]) -> RequestFilters:
        def day(name: str) -> date | None:
            try:
                value = date.fromisoformat(params[name]) if params.get(name) else None
            except ValueError:
                raise Denied(400, "日期格式应为 YYYY-MM-DD") from None
            if value is not None and not date(2000, 1, 1) <= value <= date(2199, 12, 31):
                raise Denied(400, "日期超出范围")
            return value

        center = params.get("center") or None
        if center is not None and not (center.isascii() and center.isdigit() and len(center) <= 10
                                       and int(center) <= 2**31 - 1):
            raise Denied(400, "无效的服务中心")
        status = params.get("status") or None
        if status is not None and status not in STATUS_LABELS:
            raise Denied(400, "无效的状态")
        return cls(center_id=int(center) if center else None, status=status,
                   township=(params.get("township") or "").strip() or None,
                   date_from=day("date_from"), date_to=day("date_to"))

    def query(self) -> dict[str, str]:
        pairs = {"center": self.center_id, "status": self.status, "township": self.township,
                 "date_from": self.date_from, "date_to": self.date_to}
        return {k: str(v) for k, v in pairs.items() if v is not None}


def list_requests(session: Session, staff: Staff, kind: str, filters: RequestFilters, tz: str,
                  limit: int | None = 500) -> list[Any]:
    model = request_model(kind)
    stmt = scoped(staff, model)
    if filters.center_id is not None:
        stmt = stmt.where(model.center_id == filters.center_id)
    if filters.status:
        stmt = stmt.where(model.status == filters.status)
    if filters.township:
        stmt = stmt.where(model.township == filters.township)
    zone = ZoneInfo(tz)
    if filters.date_from:
        stmt = stmt.where(model.created_at >= datetime.combine(filters.date_from, time.min, zone))
    if filters.date_to:
        stmt = stmt.where(model.created_at < datetime.combine(filters.date_to + timedelta(days=1), time.min, zone))
    stmt = stmt.order_by(model.created_at.desc(), model.id.desc())
    return list(session.scalars(stmt.limit(limit) if limit else stmt))


def events_of(session: Session, kind: str, request_id: int) -> list[RequestEvent]:
    return list(session.scalars(select(RequestEvent).where(RequestEvent.kind == kind,
                                                           RequestEvent.request_id == request_id)
                                .order_by(RequestEvent.id)))


def change_status(session: Session, settings: Settings, staff: Staff, kind: str, request_id: int, status: str,
                  reason: str | None, now: datetime, schedule: Schedule = Schedule()) -> Delivery:
    """Move a request on (or reject it with a reason), record the event and notify the farmer; a schedule's
    date, price and note go on the record, the event and the notice, with a reminder the day before."""
    record = request_for(session, staff, kind, request_id, change=True)
    reason = (reason or "").strip() or None
    if status not in TRANSITIONS.get(record.status, ()):
        raise Denied(409, f"不能从“{STATUS_LABELS.get(record.status, record.status)}”改为“{STATUS_LABELS.get(status, status)}”")
    if status == "rejected" and not reason:
        raise Denied(400, "拒绝时必须填写原因")
    if reason and len(reason) > 500:
        raise Denied(400, "原因不能超过 500 字")
    before = record.status
    record.status, record.status_reason, record.updated_at = status, reason, now
    if schedule.scheduled_for:
        record.scheduled_for = schedule.scheduled_for
    if schedule.price_yuan is not None:
        record.agreed_price_yuan = schedule.price_yuan
    if schedule.note:
        record.note = schedule.note
    event = RequestEvent(kind=kind, request_id=record.id, from_status=before, to_status=status, reason=reason,
                         scheduled_for=schedule.scheduled_for, agreed_price_yuan=schedule.price_yuan,
                         note=schedule.note, staff_id=staff.id, created_at=now)
    session.add(event)
    session.flush()
    notice = notice_parts(kind, record, status, reason, schedule)
    delivery = send_to_farmer(session, settings, record.openid, NOTICES.get_template("status.j2").render(**notice),
                              title=f"{KIND_LABELS[kind]}{STATUS_LABELS[status]}", source="status_notice",
                              dedup_key=f"status:{kind}:{record.id}:{event.id}", now=now,
                              short_text=NOTICES.get_template("status_short.j2").render(**notice).strip())
    cancel_reminders(session, kind, record.id)
    reminder = None
    if status == "scheduled":
        reminder = schedule_reminder(session, settings, kind, record, event.id, now)
    audit(session, staff, "request_status", kind, record.id, **{
        "from": before, "to": status, "reason": reason, "delivery": delivery.kind,
        "scheduled_for": schedule.scheduled_for, "price_yuan": schedule.price_yuan, "note": schedule.note,
        "reminder_at": reminder.isoformat() if reminder else None})
    return delivery


def notice_parts(kind: str, record: Any, status: str, reason: str | None, schedule: Schedule) -> dict[str, Any]:
    """What the farmer is told: the status, and for a schedule the date, price and note agreed (the record's
    when this change did not repeat them); a refusal's reason as 原因."""
    scheduling = status == "scheduled"
    when = schedule.scheduled_for or (record.scheduled_for if scheduling else None)
    price = schedule.price_yuan if schedule.price_yuan is not None else (
        record.agreed_price_yuan if scheduling else None)
    return {"kind": KIND_LABELS[kind], "id": record.id, "status": STATUS_LABELS[status],
            "when": spoken_schedule(when), "price": spoken_price(price),
            "note": reason if status in REFUSALS else (schedule.note or reason),
            "explains_refusal": status in REFUSALS}


def _reminder_prefix(kind: str, request_id: int) -> str:
    return f"reminder:{kind}:{request_id}:"


def cancel_reminders(session: Session, kind: str, request_id: int) -> None:
    """A reminder not sent yet is void once the request moves on (or is scheduled again)."""
    session.execute(delete(OutboxMessage).where(OutboxMessage.source == "reminder",
                                                OutboxMessage.status == "pending",
                                                OutboxMessage.dedup_key.like(_reminder_prefix(kind, request_id) + "%")))


def schedule_reminder(session: Session, settings: Settings, kind: str, record: Any, event_id: int,
                      now: datetime) -> datetime | None:
    """An outbox row due the day before the scheduled day (at REMINDER_HOUR), when the date resolves to a
    day still that far ahead: a template message when one is configured (the 客服 window may be shut by
    then), else a 客服 message."""
    from bot.wechat.outbox import enqueue

    zone = ZoneInfo(settings.timezone)
    day = scheduled_day(record.scheduled_for, now.astimezone(zone).date())
    if day is None:
        return None
    due = datetime.combine(day - timedelta(days=1), time(REMINDER_HOUR), zone)
    if due <= now:
        return None
    center = session.get(ServiceCenter, record.center_id) if record.center_id else None
    parts = {"kind": KIND_LABELS[kind], "id": record.id, "when": spoken_schedule(record.scheduled_for),
             "price": spoken_price(record.agreed_price_yuan), "center": center.name if center else None,
             "center_phone": center.phone if center else None}
    text = NOTICES.get_template("reminder.j2").render(**parts)
    key = f"{_reminder_prefix(kind, record.id)}{event_id}"
    if settings.notice_template_id:
        payload = template_payload(settings.notice_template_id, settings.notice_template_fields,
                                   f"{KIND_LABELS[kind]}明天上门",
                                   NOTICES.get_template("reminder_short.j2").render(**parts).strip(), due,
                                   settings.timezone)
        row = enqueue(session, openid=record.openid, kind="template", payload=payload, source="reminder",
                      dedup_key=key)
    else:
        row = enqueue(session, openid=record.openid, kind="text", payload={"text": text}, source="reminder",
                      dedup_key=key)
    row.next_attempt_at = due
    return due


def centers_by_id(session: Session) -> dict[int, str]:
    return dict(session.execute(select(ServiceCenter.id, ServiceCenter.name)).all())


def request_json(kind: str, row: Any, centers: dict[int, str]) -> dict[str, Any]:
    data = {"id": row.id, "kind": kind, "openid": row.openid, "status": row.status, "reason": row.status_reason,
            "center": centers.get(row.center_id), "center_id": row.center_id, "township": row.township,
            "name": row.name, "phone": row.phone, "created_at": row.created_at.isoformat(), "slots": row.slots,
            "scheduled_for": row.scheduled_for, "price_yuan": row.agreed_price_yuan, "note": row.note}
    for attr, _ in KIND_COLUMNS[kind]:
        data[attr] = getattr(row, attr)
    return data


def export_xlsx(kind: str, rows: list[Any], centers: dict[int, str], tz: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = KIND_LABELS[kind]
    extra = KIND_COLUMNS[kind]
    sheet.append(["编号", "提交时间", "状态", "原因", "服务中心", "乡镇", "姓名", "电话", "openid"]
                 + [header for _, header in extra])
    zone = ZoneInfo(tz)
    for row in rows:
        sheet.append([row.id, row.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                      STATUS_LABELS.get(row.status, row.status), row.status_reason, centers.get(row.center_id),
                      row.township, row.name, row.phone, row.openid] + [getattr(row, attr) for attr, _ in extra])
        _defuse_formulas(sheet[sheet.max_row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _defuse_formulas(cells: Any) -> None:
    """A farmer's text starting with = + - @ must stay text in Excel, never a formula."""
    for cell in cells:
        if isinstance(cell.value, str) and cell.value[:1] in ("=", "+", "-", "@"):
            cell.value = "'" + cell.value
