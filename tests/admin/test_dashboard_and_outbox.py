"""Dashboard figures and charts, and dead letters shown and re-sent from the console."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.store.db import transaction
from bot.records.models import Booking, MessageLog, OutboxMessage, ServiceCenter, Ticket
from tests.admin.conftest import FARMER_A, FARMER_B, api_token, csrf_of, deliver, page_login


def test_dashboard_counts_conversations_tickets_requests_and_targets(console):
    http, ctx, world = console
    now = ctx.clock()
    with transaction(ctx.sessions) as s:
        s.add(MessageLog(openid=FARMER_B, direction="in", msg_type="text", content="托管咋个收费",
                         intent="book_tuoguan", created_at=now - timedelta(days=2)))
        ticket = s.get(Ticket, world.ticket_a)
        ticket.first_response_at = ticket.created_at + timedelta(minutes=30)
        ticket.resolved_at = ticket.created_at + timedelta(minutes=90)
        ticket.status = "resolved"
        s.get(Booking, world.booking_a).status = "done"
    page_login(http, "county")
    page = http.get("/admin/dashboard").text
    assert page.count("<svg") >= 4 and "<script src=\"http" not in page
    assert "转人工" in page and "托管预约" in page        # intents, by label
    assert "首次响应中位数" in page and ">30.0<" in page   # minutes to first response
    assert "石宝镇" in page and "新立镇" in page and "统防统治" in page
    targets = page.split('id="targets"')[1]
    targets_in_pack = getattr(ctx.pack, "targets", None) or []
    section = targets.split("</section>")[0]
    assert "规划目标进度" in section and ("目标 " in section) == bool(targets_in_pack)
    for target in targets_in_pack:
        assert target.indicator in section


def test_center_staff_dashboard_counts_only_their_center(console):
    http, ctx, world = console
    page_login(http, "staff_b")
    page = http.get("/admin/dashboard").text
    assert "新立镇" in page and "石宝镇" not in page


def test_dead_letters_are_listed_and_resent_by_county_admin(console):
    http, ctx, _ = console
    with transaction(ctx.sessions) as s:
        row = OutboxMessage(openid=FARMER_A, kind="text", payload={"text": "您的预约已确认"}, status="dead",
                            attempts=5, last_error="45015 response out of time limit", source="status_notice")
        s.add(row)
        s.flush()
        dead_id = row.id
    headers = api_token(http, "staff_a")
    assert http.get("/admin/outbox", headers=headers).status_code == 403
    csrf = page_login(http, "county")
    page = http.get("/admin/outbox").text
    assert "您的预约已确认" in page and "45015" in page
    assert http.post(f"/admin/outbox/{dead_id}/resend", data={}, follow_redirects=False).status_code == 403
    answer = http.post(f"/admin/outbox/{dead_id}/resend", data={"csrf_token": csrf})
    assert answer.status_code == 200 and "已重新排队" in answer.text
    with transaction(ctx.sessions) as s:
        assert s.get(OutboxMessage, dead_id).status == "pending"
    http.cookies.clear()
    csrf = page_login(http, "viewer")
    assert http.post(f"/admin/outbox/{dead_id}/resend", data={"csrf_token": csrf},
                     follow_redirects=False).status_code == 403
    assert csrf_of(http.get("/admin/outbox").text)
    with transaction(ctx.sessions) as s:
        assert s.scalar(select(OutboxMessage.status).where(OutboxMessage.id == dead_id)) == "pending"


def test_a_message_wechat_refused_becomes_a_dead_letter_and_resending_delivers_it(console, fake_wechat):
    http, ctx, world = console
    headers = api_token(http, "staff_a")
    http.post(f"/admin/api/tickets/{world.ticket_a}/reply", json={"text": "飞防队明早到"}, headers=headers)
    fake_wechat.fail_next("invalid_openid")
    assert deliver(ctx) == 0
    csrf = page_login(http, "county")
    page = http.get("/admin/outbox").text
    assert "飞防队明早到" in page
    with transaction(ctx.sessions) as s:
        dead_id = s.scalar(select(OutboxMessage.id).where(OutboxMessage.status == "dead"))
    http.post(f"/admin/outbox/{dead_id}/resend", data={"csrf_token": csrf})
    assert deliver(ctx) == 1
    assert fake_wechat.texts_to(FARMER_A) == ["飞防队明早到"]
    assert "飞防队明早到" not in http.get("/admin/outbox").text


def test_plan_targets_are_compared_with_live_figures(console):
    from types import SimpleNamespace

    from admin.dashboard import target_progress
    from knowledge.schema import Target

    _, ctx, world = console
    pack = SimpleNamespace(targets=[
        Target(indicator="农业生产社会化服务规模", unit="亩次", values={"2025": 100, "2027": 200}, key="tuoguan_mu"),
        Target(indicator="会员单位", unit="个", values={"2025": 10}, key="members"),
        Target(indicator="电商销售额", unit="万元", values={"2026": "待补充"}, key=None)])
    with transaction(ctx.sessions) as s:
        s.get(Booking, world.booking_a).status = "done"  # 50 亩 done
        done = target_progress(s, pack, 2026)
    tuoguan, members, sales = done
    assert (tuoguan.year, tuoguan.target, tuoguan.actual, tuoguan.percent) == ("2027", 200, 50.0, 25.0)
    assert (members.year, members.actual, members.percent) == ("2025", 0.0, 0.0)
    assert sales.target is None and sales.target_text == "待补充" and sales.actual is None


def test_center_targets_count_only_their_own_kind_of_service_point(console):
    from types import SimpleNamespace

    from admin.dashboard import target_progress
    from knowledge.schema import Target

    _, ctx, _world = console  # two 乡镇为农服务中心
    with transaction(ctx.sessions) as s:
        s.add_all([ServiceCenter(code="t-c", name="涂井乡农村综合服务社", kind="农村综合服务社", township="涂井乡"),
                   ServiceCenter(code="t-d", name="拔山镇农村综合服务社", kind="农村综合服务社", township="拔山镇"),
                   ServiceCenter(code="t-e", name="已撤销综合服务社", kind="农村综合服务社", township="拔山镇",
                                 active=False),
                   ServiceCenter(code="t-f", name="忠县为农服务中心", kind="县为农服务中心", township=None)])
    pack = SimpleNamespace(targets=[
        Target(indicator="建设为农服务中心", unit="个", values={"total": 10}, key="centers"),
        Target(indicator="发展农村综合服务社", unit="家", values={"total": 245}, key="service_cooperatives")])
    with ctx.sessions() as s:
        centers, cooperatives = target_progress(s, pack, 2026)
    assert (centers.actual, centers.percent) == (3.0, 30.0)
    assert cooperatives.actual == 2.0


def test_planned_centers_of_the_pack_are_a_target_never_counted_as_built(console):
    """忠县 plans 10 为农服务中心 and names none built: the pack's planned centers (synced to the database for
    routing) and planned networks (a planned_count) do not count toward the target."""
    from types import SimpleNamespace

    from admin.dashboard import target_progress
    from knowledge.schema import ServiceCenter as PackCenter, Target

    _, ctx, _world = console
    with transaction(ctx.sessions) as s:
        before = target_progress(s, SimpleNamespace(targets=[
            Target(indicator="建设为农服务中心", unit="个", values={"total": 10}, key="centers")]), 2026)[0].actual
        s.add_all([ServiceCenter(code="p-county", name="某县为农服务中心", kind="县为农服务中心", township=None),
                   ServiceCenter(code="p-net", name="区域性为农服务中心（规划15个）", kind="区域性为农服务中心",
                                 township=None),
                   ServiceCenter(code="p-built", name="已建成为农服务中心", kind="乡镇为农服务中心", township=None)])
    pack = SimpleNamespace(
        centers=[PackCenter(code="p-county", name="某县为农服务中心", kind="县为农服务中心", status="planned"),
                 PackCenter(code="p-net", name="区域性为农服务中心（规划15个）", kind="区域性为农服务中心",
                            planned_count=15, status="planned"),
                 PackCenter(code="p-built", name="已建成为农服务中心", kind="乡镇为农服务中心")],
        targets=[Target(indicator="建设为农服务中心", unit="个", values={"total": 10}, key="centers")])
    with ctx.sessions() as s:
        (centers,) = target_progress(s, pack, 2026)
    assert centers.actual == before + 1      # only the built one



def _stat(page: str, element_id: str) -> int:
    import re

    return int(re.search(rf'id="{element_id}">(\d+)<', page).group(1))


def test_dashboard_counts_conversations_not_messages_and_center_staff_see_their_center_only(console):
    http, ctx, world = console
    now = ctx.clock()
    with transaction(ctx.sessions) as s:
        for minutes in (1, 2, 3):  # one application, three messages: one conversation
            s.add(MessageLog(openid=FARMER_A, direction="in", msg_type="text", content="加入农合联",
                             intent="join_nonghelian", created_at=now - timedelta(minutes=minutes)))
        s.add(MessageLog(openid="oNobodysFarmer01", direction="in", msg_type="text", content="你好",
                         intent="greeting", created_at=now - timedelta(minutes=5)))
    page_login(http, "staff_a")
    mine = http.get("/admin/dashboard").text
    # Center A's farmer only (the seed's hour-old message and today's three: one conversation).
    assert (_stat(mine, "users-total"), _stat(mine, "conversations-total")) == (1, 1)
    assert "加入农合联：1<" in mine and "问候" not in mine
    assert 'class="stat request-count"><b>1</b><span>托管预约' in mine
    assert 'id="targets"' not in mine and 'id="center-filter"' not in mine and "石宝镇为农服务中心" in mine
    page_login(http, "county")
    county = http.get("/admin/dashboard").text
    assert (_stat(county, "users-total"), _stat(county, "conversations-total")) == (3, 3)
    assert 'class="stat request-count"><b>2</b><span>托管预约' in county
    only_b = http.get(f"/admin/dashboard?center={world.center_b}").text
    assert _stat(only_b, "users-total") == 1 and "新立镇为农服务中心" in only_b
    assert http.get("/admin/dashboard?center=x").status_code == 400


def test_dashboard_labels_are_chinese_and_the_last_day_is_labelled(console):
    http, ctx, world = console
    now = ctx.clock()
    with transaction(ctx.sessions) as s:
        for intent in ("cancel", "welcome", "something_new"):
            s.add(MessageLog(openid=FARMER_A, direction="in", msg_type="text", content="x", intent=intent,
                             created_at=now))
    page_login(http, "county")
    page = http.get("/admin/dashboard").text
    charts = "".join(part.split("</svg>")[0] for part in page.split("<svg")[1:])
    assert "取消办理" in charts and "关注/扫码欢迎" in charts and "其他：1" in charts
    assert "cancel" not in charts and "welcome" not in charts and "something_new" not in charts
    today = ctx.clock().astimezone(__import__("zoneinfo").ZoneInfo(ctx.settings.timezone)).date()
    assert f'class="lbl">{today.month}月{today.day}日</text>' in charts
