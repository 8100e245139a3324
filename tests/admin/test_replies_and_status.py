"""Staff replies and request status changes: what is queued for the farmer, by which path, and what the console says."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.store.db import transaction
from bot.records.models import Booking, OutboxMessage, RequestEvent, Ticket, TicketMessage, WechatUser
from tests.admin.conftest import FARMER_A, FARMER_B, api_token, deliver, page_login

TEMPLATE = {"notice_template_id": "TPL-notice-001"}


def _outbox(ctx, openid=FARMER_A):
    with transaction(ctx.sessions) as s:
        return s.scalars(select(OutboxMessage).where(OutboxMessage.openid == openid).order_by(OutboxMessage.id)).all()


def _close_window(ctx, openid=FARMER_A, hours=49):
    with transaction(ctx.sessions) as s:
        user = s.scalar(select(WechatUser).where(WechatUser.openid == openid))
        user.window_opened_at = ctx.clock() - timedelta(hours=hours)


def test_staff_reply_reaches_the_farmer_as_a_kf_message(console, fake_wechat):
    http, ctx, world = console
    answer = http.post(f"/admin/api/tickets/{world.ticket_a}/reply", json={"text": "您好，明天上门"},
                       headers=api_token(http, "staff_a"))
    assert answer.status_code == 200 and answer.json()["delivery"] == "kf"
    [row] = _outbox(ctx)
    assert row.kind == "text" and row.payload.get("text") == "您好，明天上门" and row.source == "staff_reply"
    with transaction(ctx.sessions) as s:
        ticket = s.get(Ticket, world.ticket_a)
        assert ticket.first_response_at is not None and ticket.assignee_id == world.users["staff_a"]
        staff_msg = s.scalar(select(TicketMessage).where(TicketMessage.author == "staff"))
        assert staff_msg.delivery == "kf" and staff_msg.outbox_id == row.id
    assert fake_wechat.received == []  # queued with the reply, sent by the worker
    assert deliver(ctx) == 1
    assert fake_wechat.texts_to(FARMER_A) == ["您好，明天上门"] and fake_wechat.texts_to(FARMER_B) == []


@pytest.mark.parametrize("console", [TEMPLATE], indirect=True)
def test_reply_past_the_window_falls_back_to_a_template_message(console, fake_wechat):
    http, ctx, world = console
    _close_window(ctx)
    csrf = page_login(http, "staff_a")
    page = http.post(f"/admin/tickets/{world.ticket_a}/reply", data={"text": "您的托管已安排，请回电", "csrf_token": csrf})
    assert "已改用模板消息" in page.text
    [row] = _outbox(ctx)
    assert row.kind == "template" and row.payload["template_id"] == "TPL-notice-001"
    assert all(len(field["value"]) <= 20 for field in row.payload["data"].values())
    assert deliver(ctx) == 1
    [sent] = fake_wechat.received
    assert (sent["kind"], sent["openid"], sent["template_id"]) == ("template", FARMER_A, "TPL-notice-001")
    assert fake_wechat.texts_to(FARMER_A) == []


def test_reply_past_the_window_without_a_template_says_to_phone(console):
    http, ctx, world = console
    _close_window(ctx)
    csrf = page_login(http, "staff_a")
    page = http.post(f"/admin/tickets/{world.ticket_a}/reply", data={"text": "请回电", "csrf_token": csrf})
    assert "无法在微信送达" in page.text and "电话" in page.text and "13800000000" in page.text
    assert _outbox(ctx) == []
    with transaction(ctx.sessions) as s:
        assert s.scalar(select(TicketMessage.delivery).where(TicketMessage.author == "staff")) == "none"


@pytest.mark.parametrize("console", [TEMPLATE], indirect=True)
def test_spent_quota_switches_to_template(console):
    http, ctx, world = console
    headers = api_token(http, "staff_a")
    kinds = [http.post(f"/admin/api/tickets/{world.ticket_a}/reply", json={"text": f"第{i}条"},
                       headers=headers).json()["delivery"] for i in range(6)]
    assert kinds == ["kf"] * 5 + ["template"]
    page_login(http, "staff_a")
    assert "本窗口条数已用完" in http.get(f"/admin/tickets/{world.ticket_a}").text


def test_ticket_page_shows_window_and_time_since_last_message(console):
    http, ctx, world = console
    page_login(http, "staff_a")
    page = http.get(f"/admin/tickets/{world.ticket_a}").text
    assert "剩余 <strong>5</strong> / 5 条" in page and "1 小时 0 分前" in page
    _close_window(ctx, hours=44)
    assert "窗口即将关闭" in http.get(f"/admin/tickets/{world.ticket_a}").text


def test_canned_replies_and_notes(console):
    http, ctx, world = console
    csrf = page_login(http, "staff_a")
    page = http.get(f"/admin/tickets/{world.ticket_a}").text
    assert "常用回复" in page and "请留电话" in page
    http.post(f"/admin/tickets/{world.ticket_a}/note", data={"text": "农户家住三组", "csrf_token": csrf})
    page = http.get(f"/admin/tickets/{world.ticket_a}").text
    assert "内部备注" in page and "农户家住三组" in page
    assert _outbox(ctx) == []  # a note never goes to the farmer


def test_booking_status_change_records_an_event_and_notifies_the_farmer(console, fake_wechat):
    http, ctx, world = console
    headers = api_token(http, "staff_a")
    answer = http.post(f"/admin/api/requests/bookings/{world.booking_a}/status",
                       json={"status": "scheduled", "reason": "5月3日上午作业"}, headers=headers)
    assert answer.status_code == 200 and answer.json()["delivery"] == "kf"
    [row] = _outbox(ctx)
    assert "托管预约" in row.payload["text"] and "已排期" in row.payload["text"] and "5月3日" in row.payload["text"]
    with transaction(ctx.sessions) as s:
        [event] = s.scalars(select(RequestEvent)).all()
        assert (event.kind, event.request_id, event.from_status, event.to_status) == \
            ("bookings", world.booking_a, "received", "scheduled")
        assert event.staff_id == world.users["staff_a"]
        assert s.get(Booking, world.booking_a).status == "scheduled"
    deliver(ctx)
    [notice] = fake_wechat.texts_to(FARMER_A)
    assert "已排期" in notice and "5月3日上午作业" in notice
    detail = http.get(f"/admin/api/requests/bookings/{world.booking_a}", headers=headers).json()
    assert detail["events"][0]["to"] == "scheduled"


def test_rejection_needs_a_reason_and_done_is_final(console):
    http, ctx, world = console
    headers = api_token(http, "staff_a")
    url = f"/admin/api/requests/bookings/{world.booking_a}/status"
    assert http.post(url, json={"status": "rejected"}, headers=headers).status_code == 400
    assert http.post(url, json={"status": "bogus"}, headers=headers).status_code == 409
    assert http.post(url, json={"status": "confirmed"}, headers=headers).status_code == 200
    assert http.post(url, json={"status": "done"}, headers=headers).status_code == 200
    assert http.post(url, json={"status": "rejected", "reason": "晚了"}, headers=headers).status_code == 409
    assert len(_outbox(ctx)) == 2


def test_request_list_filters(console):
    http, ctx, world = console
    headers = api_token(http, "county")
    base = "/admin/api/requests/bookings"
    assert {i["id"] for i in http.get(base, headers=headers).json()["items"]} == {world.booking_a, world.booking_b}
    assert [i["id"] for i in http.get(f"{base}?township=新立镇", headers=headers).json()["items"]] == [world.booking_b]
    assert http.get(f"{base}?status=done", headers=headers).json()["items"] == []
    today = ctx.today().isoformat()
    assert len(http.get(f"{base}?date_from={today}&date_to={today}", headers=headers).json()["items"]) == 2
    assert http.get(f"{base}?date_from=2000-01-01&date_to=2000-01-02", headers=headers).json()["items"] == []
    assert http.get(f"{base}?date_from=yesterday", headers=headers).status_code == 400
    assert http.get("/admin/api/requests/unknown", headers=headers).status_code == 404
    item = http.get(f"{base}?township=新立镇", headers=headers).json()["items"][0]
    assert item["crop"] == "水稻" and item["area_mu"] == 50 and item["center"] == "新立镇为农服务中心"


def test_export_keeps_a_farmers_formula_as_text(console):
    import io

    from openpyxl import load_workbook

    http, ctx, world = console
    with transaction(ctx.sessions) as s:
        s.get(Booking, world.booking_a).name = '=HYPERLINK("http://evil.example","点我")'
    page_login(http, "staff_a")
    sheet = load_workbook(io.BytesIO(http.get("/admin/requests/bookings/export.xlsx").content)).active
    names = [row[6] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert names == ['\'=HYPERLINK("http://evil.example","点我")']
