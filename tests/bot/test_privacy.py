"""PIPL: `nongbot admin forget OPENID` removes a farmer's personal data; `purge` keeps retention."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.cli import main
from bot.records.models import Booking, MessageLog, OutboxMessage, Ticket, TicketMessage, WechatUser
from bot.records.privacy import Retention, forgotten_id, purge

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=timezone.utc)


def _farmer(session: Session, openid: str, when: datetime = NOW) -> None:
    session.add(WechatUser(openid=openid, phone="13800138000", township="石宝镇", profile={"name": "王大"}))
    session.add(MessageLog(openid=openid, direction="in", msg_type="text", content="我是王大 13800138000",
                           created_at=when))
    ticket = Ticket(openid=openid, idempotency_key=f"{openid}:t", summary="王大要人工", status="resolved",
                    updated_at=when)
    ticket.messages.append(TicketMessage(author="farmer", text="电话13800138000"))
    session.add(ticket)
    session.add(Booking(openid=openid, idempotency_key=f"{openid}:b", phone="13800138000", name="王大",
                        township="石宝镇", crop="柑橘", area_mu=30, slots={"phone": "13800138000", "crop": "柑橘"}))
    session.add(OutboxMessage(openid=openid, kind="text", payload={"text": "您好王大"}))


def _count(session: Session, model, openid: str) -> int:
    return session.scalar(select(func.count()).select_from(model).where(model.openid == openid))


def test_forget_removes_personal_data_and_keeps_the_request_anonymous(engine, monkeypatch):
    with Session(engine) as session, session.begin():
        _farmer(session, "oForgetMe")
        _farmer(session, "oKeepMe")
    monkeypatch.setenv("NONGBOT_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    result = CliRunner().invoke(main, ["admin", "forget", "oForgetMe", "--yes"])
    assert result.exit_code == 0, result.output
    with Session(engine) as session:
        for model in (WechatUser, MessageLog, Ticket, OutboxMessage, Booking):
            assert _count(session, model, "oForgetMe") == 0, model
            assert _count(session, model, "oKeepMe") == 1, model
        kept = session.scalars(select(Booking).where(Booking.openid == forgotten_id("oForgetMe"))).one()
        assert (kept.phone, kept.name, kept.crop, kept.area_mu) == (None, None, "柑橘", 30)
        assert "phone" not in kept.slots
        assert session.scalar(select(func.count()).select_from(TicketMessage)) == 1  # the other farmer's


def test_purge_deletes_only_what_is_past_retention(engine):
    with Session(engine) as session, session.begin():
        _farmer(session, "oOld", when=NOW - timedelta(days=400))
        _farmer(session, "oNew", when=NOW - timedelta(days=3))
    with Session(engine) as session, session.begin():
        counts = purge(session, NOW, Retention(message_log_days=180, closed_ticket_days=365))
    assert counts["messages"] == 1 and counts["tickets"] == 1
    with Session(engine) as session:
        assert _count(session, MessageLog, "oOld") == 0 and _count(session, Ticket, "oOld") == 0
        assert _count(session, MessageLog, "oNew") == 1 and _count(session, Ticket, "oNew") == 1
        assert _count(session, Booking, "oOld") == 1  # requests are records, not the message log


def test_purge_command_reads_retention_from_the_environment(engine, monkeypatch):
    with Session(engine) as session, session.begin():
        _farmer(session, "oOld", when=datetime.now(timezone.utc) - timedelta(days=40))
    monkeypatch.setenv("NONGBOT_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("NONGBOT_MESSAGE_LOG_KEEP_DAYS", "30")
    result = CliRunner().invoke(main, ["admin", "purge"])
    assert result.exit_code == 0, result.output
    assert "messages 1" in result.output
    with Session(engine) as session:
        assert _count(session, MessageLog, "oOld") == 0
