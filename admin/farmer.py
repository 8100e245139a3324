"""Who a ticket is about: the farmer's name, phone, township and other records, and the ticket's title."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from admin.policy import Staff, scoped
from bot.records.models import REQUEST_KINDS, MessageLog, Ticket, WechatUser

INTENT_TITLES = {"join_nonghelian": "入会申请", "book_tuoguan": "托管预约", "loan_products": "贷款咨询",
                 "bookkeeping": "财务代账", "find_service_center": "找服务中心", "human_agent": "人工咨询",
                 "check_status": "查进度", "policy_faq": "政策咨询", "supplies": "农资", "sell_produce": "农产品销售",
                 "out_of_scope": "人工咨询"}
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
# Words that only ask for a person or say where the farmer is: they say nothing about what the farmer needs.
ASKING_FOR_A_PERSON = re.compile(r"(我要|我想|帮我|请)?(转|找)?(人工|客服|真人)(客服|服务)?|这边|那边|这里|我是|的")
PUNCTUATION = "，。,.!！?？、 \t"
MIN_WORDS = 3
OTHERS_SHOWN = 10
TITLE_WORDS = 16


@dataclass(frozen=True)
class Farmer:
    openid: str
    name: str | None
    phone: str | None
    township: str | None
    requests: list[tuple[str, Any]] = field(default_factory=list)  # (kind, record), newest first
    tickets: list[Ticket] = field(default_factory=list)             # the farmer's other tickets


def _first(*values: Any) -> Any:
    return next((v for v in values if v not in (None, "")), None)


def farmer_of(session: Session, staff: Staff, ticket: Ticket) -> Farmer:
    """The farmer behind a ticket, from the ticket itself, then what they said anywhere else: their user row,
    their requests (only those the caller may see), and a mobile number in their own messages."""
    user = session.scalar(select(WechatUser).where(WechatUser.openid == ticket.openid))
    requests: list[tuple[str, Any]] = []
    for kind, model in REQUEST_KINDS.items():
        rows = session.scalars(scoped(staff, model).where(model.openid == ticket.openid)
                               .order_by(model.created_at.desc()).limit(OTHERS_SHOWN)).all()
        requests += [(kind, row) for row in rows]
    requests.sort(key=lambda pair: pair[1].created_at, reverse=True)
    tickets = list(session.scalars(scoped(staff, Ticket).where(Ticket.openid == ticket.openid, Ticket.id != ticket.id)
                                   .order_by(Ticket.id.desc()).limit(OTHERS_SHOWN)))
    slots = ticket.slots or {}
    phone = _first(getattr(ticket, "phone", None), slots.get("phone"), user.phone if user else None,
                   *(row.phone for _, row in requests))
    if phone is None:
        phone = said_mobile(session, ticket.openid)
    township = _first(getattr(ticket, "township", None), slots.get("township"), user.township if user else None,
                      *(row.township for _, row in requests))
    name = _first(slots.get("name"), *(row.name for _, row in requests), user.nickname if user else None)
    return Farmer(ticket.openid, name, phone, township, requests[:OTHERS_SHOWN], tickets)


def said_mobile(session: Session, openid: str) -> str | None:
    """The latest mobile number the farmer wrote in a message (a phone given outside any form)."""
    texts = session.scalars(select(MessageLog.content).where(
        MessageLog.openid == openid, MessageLog.direction == "in", MessageLog.content.like("%1%"))
        .order_by(MessageLog.id.desc()).limit(50))
    for text in texts:
        found = MOBILE.findall(text or "")
        if found:
            return found[-1]
    return None


def ticket_title(ticket: Ticket, township: str | None = None) -> str:
    """"石宝镇 · 托管预约 · 柑橘30亩" from the ticket's intent and slots; the farmer's own words when the slots
    say nothing, never a bare "转人工"."""
    slots = ticket.slots or {}
    parts = [township or slots.get("township"), INTENT_TITLES.get(ticket.intent or "", None) or "人工咨询"]
    detail = _slot_detail(slots)
    if not detail and "语音，未识别" in (ticket.summary or ""):
        detail = "语音留言，请听后回电"
    if not detail:
        words = (ticket.summary or "").split("：", 1)[-1].split("（", 1)[0].strip()
        town = parts[0] or ""
        left = ASKING_FOR_A_PERSON.sub("", words.replace(town, "") if town else words).strip(PUNCTUATION)
        if len(left) >= MIN_WORDS and not left.isdigit():
            words = words.strip(PUNCTUATION)
            detail = words if len(words) <= TITLE_WORDS else words[:TITLE_WORDS - 1] + "…"
    parts.append(detail)
    return " · ".join(p for p in parts if p)


def _number(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _slot_detail(slots: dict[str, Any]) -> str:
    bits = []
    crop, area = slots.get("crop"), slots.get("area_mu")
    if crop or area:
        bits.append(f"{crop or ''}{_number(area) + '亩' if area else ''}")
    if slots.get("service"):
        bits.append(str(slots["service"]))
    if slots.get("amount_yuan"):
        amount = float(slots["amount_yuan"])
        bits.append(f"{_number(amount / 10000)}万元" if amount >= 10000 and amount % 1000 == 0 else f"{_number(amount)}元")
    if slots.get("product"):
        bits.append(str(slots["product"]))
    if slots.get("org_name"):
        bits.append(str(slots["org_name"]))
    return " ".join(bits)
