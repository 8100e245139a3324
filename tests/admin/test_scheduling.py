"""Scheduling a booking: the date, price and note staff agreed reach the record, the farmer's notice, "查进度"
and a reminder the day before; a withdrawn request shows as withdrawn."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select

from bot.store.db import transaction
from bot.records.models import Booking, OutboxMessage, RequestEvent, ServiceCenter, StaffUser
from tests.admin.conftest import FARMER_A, api_token, deliver, page_login, password_hash
from tests.e2e.conftest import NOW, deployment, phone  # noqa: F401 - fixtures

CENTER_PHONE = "023-54000000"


def _outbox(ctx, source: str) -> list[OutboxMessage]:
    with transaction(ctx.sessions) as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.source == source).order_by(OutboxMessage.id)).all()
        s.expunge_all()
        return rows


def _book_and_login(phone) -> tuple[int, dict[str, str]]:  # noqa: F811
    phone.text("我要给石宝镇30亩柑橘打药")
    phone.text("下周三，电话13800138000")
    done = phone.text("确认").text
    assert "预约已提交" in done
    with transaction(phone.ctx.sessions) as s:
        booking = s.scalars(select(Booking)).one()
        center = s.get(ServiceCenter, booking.center_id)
        center.phone = CENTER_PHONE  # the county office filled in the 待补充 phone
        s.add(StaffUser(username="staff_a", password_hash=password_hash(), role="center_staff",
                        center_id=center.id, display_name="石宝 李姐"))
        booking_id = booking.id
    return booking_id, api_token(phone.http, "staff_a")


def test_scheduled_booking_notice_and_check_status_carry_date_price_and_center(phone):  # noqa: F811
    booking_id, headers = _book_and_login(phone)
    answer = phone.http.post(f"/admin/api/requests/bookings/{booking_id}/status", headers=headers,
                             json={"status": "scheduled", "scheduled_for": "2026-12-02", "price_yuan": 1200,
                                   "note": "飞防队张师傅上门"})
    assert answer.status_code == 200, answer.text
    [notice] = _outbox(phone.ctx, "status_notice")
    assert notice.payload["text"].splitlines() == [
        f"您的托管预约（编号 {booking_id}）已排期。", "时间：12月2日", "价格：1200元", "说明：飞防队张师傅上门",
        "如有疑问请回复“转人工”或致电服务中心。"]
    with transaction(phone.ctx.sessions) as s:
        booking = s.get(Booking, booking_id)
        assert (booking.scheduled_for, booking.agreed_price_yuan, booking.note) == ("2026-12-02", 1200, "飞防队张师傅上门")
        [event] = s.scalars(select(RequestEvent)).all()
        assert (event.to_status, event.scheduled_for, event.agreed_price_yuan) == ("scheduled", "2026-12-02", 1200)
    [reminder] = _outbox(phone.ctx, "reminder")
    # The day before at 09:00 China time.
    assert reminder.next_attempt_at == datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)
    assert "明天（12月2日）" in reminder.payload["text"] and CENTER_PHONE in reminder.payload["text"]

    status = phone.text("查进度").text
    assert f"托管预约（{booking_id}号）：已排期，12月2日，1200元" in status
    assert f"石宝镇为农服务中心 电话 {CENTER_PHONE}" in status

    detail = phone.http.get(f"/admin/api/requests/bookings/{booking_id}", headers=headers).json()
    assert (detail["scheduled_for"], detail["price_yuan"], detail["note"]) == ("2026-12-02", 1200, "飞防队张师傅上门")
    assert detail["events"][0]["scheduled_for"] == "2026-12-02"


def test_rescheduling_replaces_the_reminder_and_done_cancels_it(phone):  # noqa: F811
    booking_id, headers = _book_and_login(phone)
    url = f"/admin/api/requests/bookings/{booking_id}/status"
    assert phone.http.post(url, headers=headers, json={"status": "scheduled", "scheduled_for": "12月5日上午"}).status_code == 200
    assert phone.http.post(url, headers=headers, json={"status": "scheduled", "scheduled_for": "12月8日下午",
                                                       "price_yuan": "900"}).status_code == 200
    [reminder] = _outbox(phone.ctx, "reminder")
    assert reminder.next_attempt_at == datetime(2026, 12, 7, 1, 0, tzinfo=timezone.utc)
    assert "12月8日下午" in reminder.payload["text"]
    second = _outbox(phone.ctx, "status_notice")[-1].payload["text"]
    assert "时间：12月8日下午" in second and "价格：900元" in second and "原因" not in second
    assert phone.http.post(url, headers=headers, json={"status": "done"}).status_code == 200
    assert _outbox(phone.ctx, "reminder") == []


def test_a_date_that_names_no_day_gets_no_reminder_and_bad_input_is_refused(phone):  # noqa: F811
    booking_id, headers = _book_and_login(phone)
    url = f"/admin/api/requests/bookings/{booking_id}/status"
    assert phone.http.post(url, headers=headers, json={"status": "scheduled", "price_yuan": -5}).status_code == 400
    assert phone.http.post(url, headers=headers, json={"status": "scheduled", "scheduled_for": "x" * 51}).status_code == 422
    assert phone.http.post(url, headers=headers, json={"status": "scheduled", "scheduled_for": "等天晴了再说"}).status_code == 200
    assert _outbox(phone.ctx, "reminder") == []
    assert "时间：等天晴了再说" in _outbox(phone.ctx, "status_notice")[-1].payload["text"]


def test_withdrawn_request_shows_as_withdrawn_and_is_highlighted(console):
    http, ctx, world = console
    headers = api_token(http, "staff_a")
    answer = http.post(f"/admin/api/requests/bookings/{world.booking_a}/status", headers=headers,
                       json={"status": "withdrawn", "reason": "农户电话说不做了"})
    assert answer.status_code == 200
    deliver(ctx)
    page_login(http, "staff_a")
    page = http.get(f"/admin/requests/bookings/{world.booking_a}").text
    assert 'id="withdrawn-notice"' in page and "已撤回" in page and 'class="changed"' in page
    listing = http.get("/admin/requests/bookings").text
    assert '<tr class="changed">' in listing and "r-withdrawn" in listing
    # Nothing moves a withdrawn request on.
    again = http.post(f"/admin/api/requests/bookings/{world.booking_a}/status", headers=headers,
                      json={"status": "scheduled", "scheduled_for": "12月5日"})
    assert again.status_code == 409


def test_a_farmer_withdrawal_without_an_event_is_still_shown(console):
    http, ctx, world = console
    with transaction(ctx.sessions) as s:  # as the dialog records it: the row's status only
        s.get(Booking, world.booking_a).status = "withdrawn"
    page_login(http, "staff_a")
    assert "农户已撤回此托管预约" in http.get(f"/admin/requests/bookings/{world.booking_a}").text


def test_audit_log_reads_as_chinese_sentences(console):
    http, ctx, world = console
    headers = api_token(http, "staff_a")
    http.post(f"/admin/api/requests/bookings/{world.booking_a}/status", headers=headers,
              json={"status": "scheduled", "scheduled_for": "12月10日上午", "price_yuan": 1500})
    http.post(f"/admin/api/tickets/{world.ticket_a}/reply", headers=headers, json={"text": "好的"})
    page_login(http, "county")
    audit = http.get("/admin/audit").text
    assert f"staff_a 把预约 {world.booking_a} 从 已受理 改为 已排期（12月10日上午，1500 元）" in audit
    assert f"staff_a 回复了工单 {world.ticket_a}（客服消息）" in audit
    assert "county 登录" in audit


def test_a_change_the_farmer_made_is_highlighted_in_the_history(console):
    http, ctx, world = console
    with transaction(ctx.sessions) as s:  # an event without staff: the farmer changed the booking in the chat
        s.add(RequestEvent(kind="bookings", request_id=world.booking_a, from_status="received", to_status="received",
                           reason="农户把日期改为12月12日"))
    page_login(http, "staff_a")
    page = http.get(f"/admin/requests/bookings/{world.booking_a}").text
    assert '<li class="changed">' in page and "<b>农户</b>" in page and "农户把日期改为12月12日" in page
