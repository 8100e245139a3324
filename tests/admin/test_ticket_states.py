"""Tickets follow the work (whose turn it is, past the reply-time target) and show the farmer behind them."""
from __future__ import annotations

from datetime import timedelta

import pytest

from admin.farmer import ticket_title
from bot.store.db import transaction
from bot.records.models import utcnow, Booking, MessageLog, StaffUser, Ticket, WechatUser
from tests.admin.conftest import FARMER_A, api_token, page_login, password_hash
from tests.e2e.conftest import deployment, phone  # noqa: F401 - fixtures
from tests.admin.test_scheduling import _book_and_login  # noqa: F401


def _states(http, headers) -> dict[int, str]:
    return {i["id"]: i["status"] for i in http.get("/admin/api/tickets", headers=headers).json()["items"]}


def test_who_spoke_last_sets_whose_turn_it_is(phone):  # noqa: F811
    phone.ctx.clock = utcnow  # the farmer's messages are stamped with the real time: staff's too
    _, headers = _book_and_login(phone)
    opened = phone.text("转人工").text
    assert "工单" in opened
    [ticket_id] = _states(phone.http, headers)
    assert _states(phone.http, headers) == {ticket_id: "open"}
    assert phone.http.post(f"/admin/api/tickets/{ticket_id}/reply", headers=headers,
                           json={"text": "您好，请问打药是哪块田？"}).status_code == 200
    assert _states(phone.http, headers) == {ticket_id: "pending"}
    phone.text("就是屋后头那块田，虫子多得很")
    assert _states(phone.http, headers) == {ticket_id: "open"}
    assert phone.http.post(f"/admin/api/tickets/{ticket_id}/status", headers=headers,
                           json={"status": "resolved"}).status_code == 200
    assert _states(phone.http, headers) == {ticket_id: "resolved"}


@pytest.mark.parametrize("console", [{"reply_target_hours_by_center": {"石宝镇为农服务中心": 0.5}}], indirect=True)
def test_tickets_past_their_centers_reply_target_are_highlighted(console):
    http, ctx, world = console
    headers = api_token(http, "county")
    items = {i["id"]: i for i in http.get("/admin/api/tickets", headers=headers).json()["items"]}
    # Both farmers have waited an hour: past 石宝's half hour, inside the default two hours.
    assert items[world.ticket_a]["overdue"] is True and items[world.ticket_b]["overdue"] is False
    page_login(http, "county")
    listing = http.get("/admin/tickets").text
    assert listing.index(f'data-ticket="{world.ticket_a}"') < listing.index(f'data-ticket="{world.ticket_b}"')
    assert 'class="item overdue" data-ticket="%d"' % world.ticket_a in listing
    assert 'class="item overdue" data-ticket="%d"' % world.ticket_b not in listing
    assert 'id="overdue"' in http.get(f"/admin/tickets/{world.ticket_a}").text
    # A reply makes it the farmer's turn: no longer overdue.
    http.post(f"/admin/api/tickets/{world.ticket_a}/reply", headers=headers, json={"text": "马上联系您"})
    items = {i["id"]: i for i in http.get("/admin/api/tickets", headers=headers).json()["items"]}
    assert (items[world.ticket_a]["status"], items[world.ticket_a]["overdue"]) == ("pending", False)


def test_ticket_page_shows_the_farmer_and_their_other_records(console):
    http, ctx, world = console
    with transaction(ctx.sessions) as s:
        ticket = s.get(Ticket, world.ticket_a)
        ticket.intent, ticket.slots = "book_tuoguan", {"township": "石宝镇", "crop": "柑橘", "area_mu": 30.0}
        s.add(Ticket(openid=ticket.openid, center_id=ticket.center_id, status="resolved", reason="human_agent",
                     summary="转人工：问烘干", idempotency_key="older", created_at=ticket.created_at - timedelta(days=3)))
    page_login(http, "staff_a")
    page = http.get(f"/admin/tickets/{world.ticket_a}").text
    assert "石宝镇 · 托管预约 · 柑橘30亩" in page
    assert 'href="tel:13800000000"' in page and "张三" in page
    assert f'href="/admin/requests/bookings/{world.booking_a}"' in page
    assert f'href="/admin/requests/bookings/{world.booking_b}"' not in page  # another center's farmer
    assert 'id="farmer-tickets"' in page and "已解决" in page
    headers = api_token(http, "staff_a")
    item = http.get("/admin/api/tickets", headers=headers).json()["items"][0]
    assert (item["phone"], item["township"], item["title"]) == ("13800000000", "石宝镇", "石宝镇 · 托管预约 · 柑橘30亩")


def test_a_phone_the_farmer_only_wrote_in_a_message_is_found(console):
    http, ctx, world = console
    with transaction(ctx.sessions) as s:
        s.query(WechatUser).filter_by(openid=FARMER_A).update({"phone": None})
        s.query(Booking).update({"phone": None})
        s.add(MessageLog(openid=FARMER_A, direction="in", msg_type="text",
                         content="我电话是13912345678，早上打"))
    page_login(http, "staff_a")
    assert 'href="tel:13912345678"' in http.get(f"/admin/tickets/{world.ticket_a}").text


def test_a_phone_and_township_said_before_the_ticket_show_on_it(phone):  # noqa: F811
    phone.text("我要给石宝镇30亩柑橘打药")
    phone.text("下周三，电话13800138000")
    phone.text("转人工")
    with transaction(phone.ctx.sessions) as s:
        ticket = s.query(Ticket).one()
        s.add(StaffUser(username="staff_a", password_hash=password_hash(), role="center_staff",
                        center_id=ticket.center_id, display_name="石宝 李姐"))
    headers = api_token(phone.http, "staff_a")
    [item] = phone.http.get("/admin/api/tickets", headers=headers).json()["items"]
    assert (item["phone"], item["township"]) == ("13800138000", "石宝镇")
    assert item["title"].startswith("石宝镇 · 托管预约 · 柑橘30亩")


def test_ticket_titles_come_from_intent_and_slots_not_raw_text():
    def titled(**values) -> str:
        return ticket_title(Ticket(**values))

    assert titled(intent="loan_products", slots={"amount_yuan": 50000}, summary="x") == "贷款咨询 · 5万元"
    assert titled(intent="human_agent", slots={}, summary="转人工客服：7") == "人工咨询"
    assert titled(intent="human_agent", slots={}, summary="转人工客服：我家稻子叶子发黄了咋个办") == \
        "人工咨询 · 我家稻子叶子发黄了咋个办"
    assert titled(intent="human_agent", slots={"township": "新立镇"}, summary="转人工客服：转人工") == "新立镇 · 人工咨询"
    assert titled(intent="human_agent", slots={"township": "石宝镇"}, summary="人工咨询：石宝镇这边，我要转人工") == \
        "石宝镇 · 人工咨询"
    assert titled(intent="human_agent", slots={}, summary="人工咨询：（语音，未识别出文字）") == "人工咨询 · 语音留言，请听后回电"


def test_live_updates_change_with_new_work_and_count_only_the_callers(console):
    http, ctx, world = console
    mine, everyone = api_token(http, "staff_a"), api_token(http, "county")

    def poll(headers):
        answer = http.get("/admin/api/updates", headers=headers)
        assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
        return answer.json()

    first = poll(mine)
    assert (first["waiting"], first["new_requests"]) == (1, 1)
    assert (poll(everyone)["waiting"], poll(everyone)["new_requests"]) == (2, 2)
    with transaction(ctx.sessions) as s:  # another center's farmer writes: nothing new for staff_a
        s.add(MessageLog(openid="oFarmerCenterB0001", direction="in", msg_type="text", content="在吗"))
    assert poll(mine)["version"] == first["version"]
    with transaction(ctx.sessions) as s:
        s.add(MessageLog(openid=FARMER_A, direction="in", msg_type="text", content="在吗"))
    assert poll(mine)["version"] != first["version"]
    http.post(f"/admin/api/tickets/{world.ticket_a}/reply", headers=mine, json={"text": "在的"})
    assert poll(mine)["waiting"] == 0
    before = poll(mine)["version"]
    with transaction(ctx.sessions) as s:  # a new booking for 石宝
        s.add(Booking(openid="oNewFarmer0001", center_id=world.center_a, township="石宝镇", idempotency_key="new-b"))
    after = poll(mine)
    assert after["version"] != before and after["new_requests"] == 2
    assert http.get("/admin/api/updates").status_code == 401
