"""The status list and ticket creation, each in as few statements as the answer needs."""
from __future__ import annotations

from sqlalchemy import select

from bot.store.db import transaction
from bot.records.models import Booking, MembershipApplication, Ticket, TicketMessage
from tests.statements import statements_sent


def test_status_lists_each_kinds_latest_five_in_kind_order_at_most_eight_in_one_query(farmer):
    with transaction(farmer.ctx.sessions) as session:
        session.add(MembershipApplication(openid=farmer.openid, idempotency_key="m1", status="rejected",
                                          status_reason="材料不全"))
        for n in range(6):
            session.add(Booking(openid=farmer.openid, idempotency_key=f"b{n}", status="confirmed" if n else "done"))
        for n in range(3):
            session.add(Ticket(openid=farmer.openid, idempotency_key=f"t{n}"))
        session.add(Booking(openid="oSomeoneElse", idempotency_key="other"))
    with statements_sent(farmer.ctx.engine) as seen:
        reply = farmer.say("6")
    with farmer.ctx.sessions() as session:
        bookings = session.scalars(select(Booking.id).where(Booking.openid == farmer.openid)
                                   .order_by(Booking.id.desc())).all()
        member = session.scalar(select(MembershipApplication.id))
        tickets = session.scalars(select(Ticket.id).order_by(Ticket.id.desc())).all()
    lines = [line for line in reply.splitlines() if line.startswith("·")]
    assert lines == [f"· 入会申请（{member}号）：未通过，材料不全",
                     *(f"· 托管预约（{id_}号）：已确认" for id_ in bookings[:5]),
                     *(f"· 人工咨询（{id_}号）：待处理" for id_ in tickets[:2])]
    assert sum("FROM bookings" in s for s in seen) == 1


def test_a_ticket_request_already_written_is_answered_with_that_ticket_and_adds_nothing(farmer):
    inbound = farmer.inbound(text="转人工")
    with transaction(farmer.ctx.sessions) as session:  # the first attempt wrote it; staff resolved it since
        session.add(Ticket(openid=farmer.openid, status="resolved", idempotency_key=f"ticket:{inbound.dedup_key}"))
    reply = "\n".join(farmer.send(inbound).replies)
    (ticket,) = farmer.tickets()
    assert f"工单号 {ticket.id}" in reply
    with farmer.ctx.sessions() as session:
        assert session.scalars(select(TicketMessage)).all() == []


def test_a_new_ticket_is_one_insert_with_its_messages_in_one_more_and_no_savepoint(farmer):
    farmer.say("你好")
    with statements_sent(farmer.ctx.engine) as seen:
        reply = farmer.say("转人工")
    (ticket,) = farmer.tickets()
    with farmer.ctx.sessions() as session:
        texts = [m.text for m in session.scalars(select(TicketMessage).where(TicketMessage.ticket_id == ticket.id)
                                                 .order_by(TicketMessage.id))]
    assert f"工单号 {ticket.id}" in reply and texts[0] == "你好" and texts[-1] == "转人工"
    assert ticket.status == "open" and ticket.created_at is not None and ticket.last_user_message_at is not None
    assert not any("SAVEPOINT" in s for s in seen)
    assert sum(s.startswith("INSERT INTO tickets") for s in seen) == 1
    assert sum(s.startswith("INSERT INTO ticket_messages") for s in seen) == 1


def test_a_confirmed_booking_is_one_insert_and_its_done_text_names_the_record(farmer):
    farmer.say("我要给石宝镇30亩柑橘打药")
    farmer.say("下周三，电话13800138000")
    with statements_sent(farmer.ctx.engine) as seen:
        reply = farmer.say("要得")
    (booking,) = farmer.records("bookings")
    assert "预约已提交" in reply and str(booking.id) in reply
    assert (booking.status, booking.area_mu, booking.phone) == ("received", 30, "13800138000")
    assert booking.created_at is not None and booking.slots["crop"] == "柑橘"
    assert not any("SAVEPOINT" in s for s in seen)
    assert sum(s.startswith("INSERT INTO bookings") for s in seen) == 1


def test_a_request_is_written_once_under_its_key(farmer):
    """The records' insert writes nothing under a key already written; creating the request again answers the
    one written first."""
    from handlers import Turn

    with transaction(farmer.ctx.sessions) as session:
        session.add(Booking(openid=farmer.openid, idempotency_key="k1", crop="水稻"))
    with transaction(farmer.ctx.sessions) as session:
        records = Turn(ctx=farmer.ctx, open_session=lambda: session, inbound=farmer.inbound(text="要得")).records
        assert records.insert_once(Booking, {"openid": farmer.openid, "idempotency_key": "k1", "crop": "玉米"}) is None
        again = records.create_request("bookings", {"openid": farmer.openid, "idempotency_key": "k1", "crop": "玉米"})
        fresh = records.create_request("bookings", {"openid": farmer.openid, "idempotency_key": "k2", "crop": "玉米"})
        assert again.crop == "水稻" and fresh.id is not None and fresh.crop == "玉米"
    assert [b.crop for b in farmer.records("bookings")] == ["水稻", "玉米"]


def test_a_follow_up_to_an_open_ticket_adds_its_message_and_marks_the_ticket_touched(farmer):
    farmer.say("转人工")
    (before,) = farmer.tickets()
    with statements_sent(farmer.ctx.engine) as seen:
        reply = farmer.say("还有个事，我家的牛跑了")
    (after,) = farmer.tickets()
    with farmer.ctx.sessions() as session:
        texts = session.scalars(select(TicketMessage.text).where(TicketMessage.ticket_id == after.id)
                                .order_by(TicketMessage.id)).all()
    assert f"工单（{after.id}）" in reply and texts[-2:] == ["转人工", "还有个事，我家的牛跑了"]
    assert after.last_user_message_at > before.last_user_message_at and after.updated_at > before.updated_at
    assert sum(s.startswith("INSERT INTO ticket_messages") for s in seen) == 1
    assert sum(s.startswith("UPDATE tickets") for s in seen) == 1
