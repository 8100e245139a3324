"""SQLAlchemy models: the records the bot creates and the staff console works on."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text,
                        TypeDecorator, UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class ServiceCenter(Base):
    """A 为农服务中心 / 合作社服务中心 / 综合服务社, synced from the knowledge pack by `code`."""

    __tablename__ = "service_centers"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(50))
    township: Mapped[str | None] = mapped_column(String(50))
    address: Mapped[str | None] = mapped_column(String(300))
    phone: Mapped[str | None] = mapped_column(String(50))
    hours: Mapped[str | None] = mapped_column(String(100))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    services: Mapped[list[Any]] = mapped_column(default=list)
    pack: Mapped[str] = mapped_column(String(50), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class WechatUser(Base):
    """A farmer (or cooperative contact) known by WeChat openid."""

    __tablename__ = "wechat_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), unique=True)
    nickname: Mapped[str | None] = mapped_column(String(100))
    center_id: Mapped[int | None] = mapped_column(ForeignKey("service_centers.id"))
    township: Mapped[str | None] = mapped_column(String(50))
    phone: Mapped[str | None] = mapped_column(String(20))
    subscribed: Mapped[bool] = mapped_column(Boolean, default=True)
    profile: Mapped[dict[str, Any]] = mapped_column(default=dict)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    # Start of the current 客服 window and how it was opened (message | click | scan | subscribe).
    window_opened_at: Mapped[datetime | None] = mapped_column()
    window_opened_by: Mapped[str | None] = mapped_column(String(20))

    center: Mapped[ServiceCenter | None] = relationship()


class RequestRecord:
    """Columns every farmer request shares (membership, booking, loan, bookkeeping)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(20), default="received", index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)
    center_id: Mapped[int | None] = mapped_column(ForeignKey("service_centers.id"), index=True)
    township: Mapped[str | None] = mapped_column(String(50))
    phone: Mapped[str | None] = mapped_column(String(20))
    name: Mapped[str | None] = mapped_column(String(100))
    # What staff agreed with the farmer when scheduling: an ISO date/date-time or a short text ("12月20日上午").
    scheduled_for: Mapped[str | None] = mapped_column(String(50))
    agreed_price_yuan: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    # Everything the form collected, under the CONTRACT's slot names.
    slots: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Unique per user action (openid + MsgId of the confirming message): a retry finds the first record.
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class MembershipApplication(RequestRecord, Base):
    __tablename__ = "members"
    member_type: Mapped[str | None] = mapped_column(String(20))
    nonghelian: Mapped[str | None] = mapped_column(String(200))
    industry_nonghelian: Mapped[str | None] = mapped_column(String(200))
    center: Mapped[ServiceCenter | None] = relationship()


class Booking(RequestRecord, Base):
    __tablename__ = "bookings"
    member_type: Mapped[str | None] = mapped_column(String(20))
    crop: Mapped[str | None] = mapped_column(String(50))
    service: Mapped[str | None] = mapped_column(String(100))
    area_mu: Mapped[float | None] = mapped_column(Float)
    date: Mapped[str | None] = mapped_column(String(50))
    unit_price_yuan: Mapped[float | None] = mapped_column(Float)
    price_quote_yuan: Mapped[float | None] = mapped_column(Float)
    center: Mapped[ServiceCenter | None] = relationship()


class LoanRequest(RequestRecord, Base):
    __tablename__ = "loan_requests"
    member_type: Mapped[str | None] = mapped_column(String(20))
    purpose: Mapped[str | None] = mapped_column(String(200))
    amount_yuan: Mapped[float | None] = mapped_column(Float)
    collateral: Mapped[str | None] = mapped_column(String(100))
    product: Mapped[str | None] = mapped_column(String(100))  # the product the farmer named, as the pack names it
    products: Mapped[list[Any]] = mapped_column(default=list)
    center: Mapped[ServiceCenter | None] = relationship()


class BookkeepingRequest(RequestRecord, Base):
    __tablename__ = "bookkeeping_requests"
    org_name: Mapped[str | None] = mapped_column(String(200))
    credit_code: Mapped[str | None] = mapped_column(String(18))
    member_type: Mapped[str | None] = mapped_column(String(20))
    service: Mapped[str | None] = mapped_column(String(200))  # the 代账 work asked for, several joined by 、
    monthly_vouchers: Mapped[int | None] = mapped_column(Integer)
    needs: Mapped[list[Any]] = mapped_column(default=list)
    package: Mapped[str | None] = mapped_column(String(100))
    price_yuan: Mapped[float | None] = mapped_column(Float)
    center: Mapped[ServiceCenter | None] = relationship()


REQUEST_KINDS: dict[str, type[RequestRecord]] = {
    "members": MembershipApplication,
    "bookings": Booking,
    "loan_requests": LoanRequest,
    "bookkeeping_requests": BookkeepingRequest,
}


class RequestEvent(Base):
    """Status history of a request (who changed what, why)."""

    __tablename__ = "request_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    request_id: Mapped[int] = mapped_column(Integer)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    scheduled_for: Mapped[str | None] = mapped_column(String(50))
    agreed_price_yuan: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    __table_args__ = (Index("ix_request_events_target", "kind", "request_id"),)


class Ticket(Base):
    """A conversation handed to a person (转人工, fallback, complaint)."""

    __tablename__ = "tickets"
    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)  # open | pending | resolved
    center_id: Mapped[int | None] = mapped_column(ForeignKey("service_centers.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    reason: Mapped[str | None] = mapped_column(String(50))
    summary: Mapped[str | None] = mapped_column(Text)
    intent: Mapped[str | None] = mapped_column(String(50))
    slots: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The farmer's township and phone when known (said in this or an earlier conversation).
    township: Mapped[str | None] = mapped_column(String(50))
    phone: Mapped[str | None] = mapped_column(String(20))
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    last_user_message_at: Mapped[datetime | None] = mapped_column()
    first_response_at: Mapped[datetime | None] = mapped_column()
    resolved_at: Mapped[datetime | None] = mapped_column()

    center: Mapped[ServiceCenter | None] = relationship()
    messages: Mapped[list[TicketMessage]] = relationship(back_populates="ticket", order_by="TicketMessage.id")


class TicketMessage(Base):
    __tablename__ = "ticket_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    author: Mapped[str] = mapped_column(String(10))  # farmer | bot | staff | note
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    text: Mapped[str] = mapped_column(Text)
    delivery: Mapped[str | None] = mapped_column(String(20))  # kf | template | none
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="messages")


class MessageLog(Base):
    """Append-only log of every message in and out, for staff, analytics and NLU review."""

    __tablename__ = "message_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    msg_type: Mapped[str] = mapped_column(String(30))
    msg_id: Mapped[str | None] = mapped_column(String(64))
    content: Mapped[str | None] = mapped_column(Text)
    media_id: Mapped[str | None] = mapped_column(String(200))
    intent: Mapped[str | None] = mapped_column(String(50))
    confidence: Mapped[float | None] = mapped_column(Float)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class OutboxMessage(Base):
    """A message the service sends on its own (客服, template), delivered by the outbox worker."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # text | template
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending | sending | sent | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(50))
    dedup_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)


class StaffUser(Base):
    __tablename__ = "staff_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # county_admin | center_staff | viewer
    center_id: Mapped[int | None] = mapped_column(ForeignKey("service_centers.id"))
    display_name: Mapped[str | None] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column()
    # Sessions and API tokens carry the epoch they were issued in; logout and a password change move it on,
    # which ends every one of them at once (checked on each request).
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    center: Mapped[ServiceCenter | None] = relationship()


class AuditLog(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    action: Mapped[str] = mapped_column(String(50))
    target_kind: Mapped[str | None] = mapped_column(String(30))
    target_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class KnowledgeEdit(Base):
    """A staff edit of the knowledge pack: one version of one entity (center, service, product, FAQ entry),
    overlaid on the shipped YAML; the latest version per (pack, kind, key) wins, `data` null = removed.
    The pack's version is the largest id: workers rebuild their pack when it moves."""

    __tablename__ = "knowledge_edits"
    id: Mapped[int] = mapped_column(primary_key=True)
    pack: Mapped[str] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(30))
    key: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(nullable=True)   # None: the entity was removed
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    note: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    __table_args__ = (UniqueConstraint("pack", "kind", "key", "version", name="uq_knowledge_edits_version"),
                      Index("ix_knowledge_edits_pack", "pack", "id"))


class StoreEntry(Base):
    """The embedded store (sessions, dedup marks, locks, counters) when no Redis is configured."""

    __tablename__ = "store_entries"
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[float | None] = mapped_column(Float, index=True)


class DialogSession(Base):
    """A farmer's conversation (the dialog's state: the form being filled, its slots, what was asked),
    written in the message's own transaction with the records it leads to, so a Redis restart or a
    crash loses no half-filled form. `expires_at` (epoch seconds): read as absent afterwards."""

    __tablename__ = "dialog_sessions"
    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(Text, default="{}")
    expires_at: Mapped[float] = mapped_column(Float, index=True)
