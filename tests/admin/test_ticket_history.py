"""The ticket's conversation reads in the order it happened, says who said each line, and when in China time."""
from __future__ import annotations

from datetime import timedelta

from bot.store.db import transaction
from bot.records.models import MessageLog
from tests.admin.conftest import FARMER_A, api_token, page_login, utc


def test_farmer_and_bot_lines_written_together_keep_their_order_around_staff_replies(console):
    http, ctx, world = console
    at = ctx.clock() - timedelta(minutes=5)
    with transaction(ctx.sessions) as s:  # as the gateway logs one exchange: same timestamp, in then out
        s.add(MessageLog(openid=FARMER_A, direction="in", msg_type="text", content="稻子生虫了", created_at=at))
        s.add(MessageLog(openid=FARMER_A, direction="out", msg_type="text", content="有多少亩？", created_at=at))
    headers = api_token(http, "staff_a")
    http.post(f"/admin/api/tickets/{world.ticket_a}/reply", json={"text": "明天上门"}, headers=headers)
    said = http.get(f"/admin/api/tickets/{world.ticket_a}", headers=headers).json()["messages"]
    assert [(m["author"], m["text"]) for m in said] == [
        ("farmer", "转人工"), ("farmer", "稻子生虫了"), ("bot", "有多少亩？"), ("staff", "明天上门")]
    assert said[-1]["by"] == "staff_a"


def test_history_times_are_china_time_and_name_the_speaker(console):
    http, ctx, world = console
    with transaction(ctx.sessions) as s:
        s.add(MessageLog(openid=FARMER_A, direction="in", msg_type="text", content="在吗",
                         created_at=utc(2026, 4, 30, 17, 5)))  # 5月1日 01:05 in 忠县
    page_login(http, "staff_a")
    html = http.get(f"/admin/tickets/{world.ticket_a}").text
    line = html[html.index('<li class="msg farmer">', html.index("5月1日 01:05") - 400):html.index("在吗")]
    assert "<b>农户</b>" in line and "5月1日 01:05" in line and "北京时间" in line
