"""Conversation repair: farmers who do not answer exactly what was asked, in the order asked, still end in
the right record (the issue's catalogue: skip, ladder, vague dates, side questions, remarks, a person in
any state, remembered facts, withdraw and reschedule, implied slots, credit codes, amounts)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.records import conversations as dialog_state
from bot.dialog.cues import find_credit_code, read_amount, read_number
from bot.records.models import RequestEvent, ServiceCenter, TicketMessage
from handlers.bookkeeping import credit_code_check_char

CODE = "91350100M000100Y43"  # GB 32100's published example


def _center(farmer, center_id):
    with farmer.ctx.sessions() as session:
        return session.get(ServiceCenter, center_id).name


def _ticket_texts(farmer, ticket):
    with farmer.ctx.sessions() as session:
        return [m.text for m in session.scalars(select(TicketMessage).where(TicketMessage.ticket_id == ticket.id)
                                                .order_by(TicketMessage.id))]


@pytest.mark.parametrize("text, value", [("二十", 20), ("四十来亩", 40), ("三十多张", 30), ("50亩左右", 50),
                                         ("大概一百二", 120), ("不知道", None), ("下周三", None)])
def test_bare_numbers_in_words(text, value):
    assert read_number(text) == value


@pytest.mark.parametrize("text, value", [("5w", 50000), ("10W", 100000), ("三万五", 35000), ("十来万", 100000),
                                         ("5万块", 50000), ("两千", 2000), ("没想好", None)])
def test_amounts_the_short_way(text, value):
    assert read_amount(text) == value


@pytest.mark.parametrize("text", [f"信用代码{CODE.lower()}", f"统一社会信用代码： {CODE[:6]} {CODE[6:12]} {CODE[12:]}",
                                  "".join(chr(ord(c) + 0xFEE0) for c in CODE), f"石宝柑橘专业合作社 {CODE}"])
def test_credit_codes_with_labels_spaces_full_width_lower_case_or_beside_the_name(text):
    code, rest = find_credit_code(text)
    assert code == CODE and (rest == "" or rest == "石宝柑橘专业合作社")


def test_a_bare_number_in_words_answers_the_area_question(farmer):
    farmer.say("我要机耕")
    reply = farmer.say("四十来亩")
    assert "乡镇" in reply
    assert "40亩" in farmer.say("石宝，下个礼拜，13800138000")


def test_optional_questions_are_asked_once_and_can_be_skipped(farmer):
    assert "种的是什么" in farmer.say("我要托管")
    assert "要做哪项服务" in farmer.say("不晓得")
    assert "多少亩" in farmer.say("你们看着办")
    farmer.say("跳过")
    farmer.say("石宝")
    farmer.say("随便")
    summary = farmer.say("13800138000")
    assert "请核对托管预约" in summary and "作物" not in summary
    farmer.say("确认")
    (booking,) = farmer.records("bookings")
    assert (booking.crop, booking.service, booking.township, booking.phone) == (None, None, "石宝镇", "13800138000")


def test_a_service_implies_its_crop_from_the_pack(farmer):
    reply = farmer.say("我要约机插秧，二十亩")
    assert "种的是什么" not in reply and "水稻" in reply


def test_a_required_question_climbs_the_ladder_and_never_repeats_a_fourth_time(farmer):
    farmer.say("我要机收水稻20亩")
    replies = [farmer.say(text) for text in ("嗯嗯啊", "哦哦哦", "呜啦啦")]
    assert "乡镇" in replies[0] or "乡镇" in farmer.say("下周")  # first: the question
    assert "比如" in replies[0] or "比如" in replies[1]
    assert any("跳过" in r for r in replies)
    later = [farmer.say("啦啦啦") for _ in range(3)]
    assert sum("哪个乡镇" in r for r in [*replies, *later]) <= 3
    texts = [*replies, *later]
    assert all(not (a == b == c) for a, b, c in zip(texts, texts[1:], texts[2:]))


def test_vague_dates_are_kept_as_said(farmer):
    farmer.say("我要给石宝镇30亩水稻机收")
    summary = farmer.say("收了谷子再说")
    assert "收了谷子再说" in summary or "手机号" in summary
    farmer.say("13800138000") if "手机号" in summary else None
    farmer.say("确认")
    assert farmer.records("bookings")[0].date == "收了谷子再说"


def test_a_question_is_never_stored_as_a_name_or_a_purpose(farmer):
    farmer.say("我想贷款")
    farmer.say("1")
    reply = farmer.say("农商行丰都支行在哪里")
    assert "继续刚才的贷款咨询吗" in reply or "用途" not in reply
    assert "purpose" not in farmer_slots(farmer)
    farmer.say("取消")
    farmer.say("我要入会")
    farmer.say("1")
    farmer.say("入会要交会费不")
    assert "name" not in farmer_slots(farmer)


def farmer_slots(farmer):
    return dialog_state.read(farmer.ctx.engine, farmer.openid)["slots"]


def test_a_side_question_is_answered_then_the_form_offered_again(farmer):
    farmer.say("我要给石宝镇30亩柑橘打药")
    reply = farmer.say("农合联是啥子")
    assert "出自《" in reply and "继续刚才的托管预约吗？" in reply


def test_a_remark_is_acknowledged_not_stored(farmer):
    farmer.say("我要给石宝镇30亩柑橘打药")
    reply = farmer.say("今天天气好热哦")
    assert "理解" in reply and "哪天" in reply and "date" not in farmer_slots(farmer)


def test_a_person_asked_mid_form_gets_a_ticket_with_everything_the_form_had(farmer):
    farmer.say("我要给石宝镇30亩柑橘打药")
    reply = farmer.say("太麻烦了，叫个人打给我 13912345678")
    assert "工单号" in reply
    (ticket,) = farmer.tickets()
    assert (ticket.township, ticket.phone, ticket.slots["area_mu"]) == ("石宝镇", "13912345678", 30)
    assert _center(farmer, ticket.center_id) == "石宝镇为农服务中心"
    assert farmer.records("bookings") == []


def test_a_complaint_wins_in_any_state(farmer):
    farmer.say("我想贷款")
    assert "工单号" in farmer.say("你们乱收费，我要投诉你们负责人")
    assert farmer.tickets()[0].reason == "complaint"


def test_a_township_said_before_a_person_routes_the_ticket_there(farmer):
    farmer.say("我是石宝镇的")
    farmer.say("转人工")
    (ticket,) = farmer.tickets()
    assert ticket.township == "石宝镇" and _center(farmer, ticket.center_id) == "石宝镇为农服务中心"


def test_follow_ups_reach_the_open_ticket_unless_they_start_a_new_request(farmer):
    farmer.say("转人工")
    assert "补充到您的工单" in farmer.say("我家水稻托管的事，什么时候能来")
    assert "补充到您的工单" in farmer.say("我想问问托管的事，我是石宝镇的，电话13912345678")
    assert (farmer.tickets()[0].township, farmer.tickets()[0].phone) == ("石宝镇", "13912345678")
    started = farmer.say("我还想预约机收，20亩")
    assert "托管预约" in started
    (ticket,) = farmer.tickets()
    texts = _ticket_texts(farmer, ticket)
    assert texts[1] == "我家水稻托管的事，什么时候能来" and "新请求" in texts[-1]


def test_a_confirmation_is_confirmed_only_by_its_own_options(farmer, make_farmer):
    farmer.say("我要托管")
    farmer.say("1")  # 柑橘, not a yes
    assert farmer_slots(farmer)["crop"] == "柑橘"
    other = make_farmer("oMenuThenOne")
    other.send(other.inbound("voice", media_id="v1"))  # the menu
    assert "入会申请" in other.say("1")


def test_remembered_facts_are_offered_for_confirmation(farmer):
    farmer.say("我要给石宝镇30亩柑橘打药")
    farmer.say("下周三，电话13800138000")
    farmer.say("确认")
    dialog_state.forget(farmer.ctx.engine, farmer.openid)  # another day: a new conversation
    reply = farmer.say("我想贷款")
    assert "还是" in reply and "石宝镇" in reply and "13800138000" in reply
    farmer.say("是")
    for text in ("1", "买农机", "5万"):
        farmer.say(text)
    summary = farmer.say("没有")
    assert "请核对贷款咨询" in summary and "石宝镇" in summary and "13800138000" in summary


def test_a_submitted_booking_can_be_moved_and_withdrawn(farmer):
    farmer.say("我要给石宝镇30亩柑橘打药")
    farmer.say("下周三，电话13800138000")
    farmer.say("确认")
    moved = farmer.say("改到下周五")
    assert "12月4日" in moved
    assert farmer.records("bookings")[0].date == "2026-12-04"
    gone = farmer.say("把刚才的预约取消")
    assert "已取消" in gone
    (booking,) = farmer.records("bookings")
    assert booking.status == "withdrawn"
    with farmer.ctx.sessions() as session:
        events = session.scalars(select(RequestEvent).where(RequestEvent.request_id == booking.id)
                                 .order_by(RequestEvent.id)).all()
    assert [e.to_status for e in events] == ["received", "withdrawn"] and "时间" in events[0].reason


def test_a_credit_code_with_its_label_beside_the_name_fills_both(farmer):
    farmer.say("我们合作社要代账")
    reply = farmer.say(f"忠县石宝柑橘专业合作社，信用代码{CODE.lower()}")
    slots = farmer_slots(farmer)
    assert slots["org_name"] == "忠县石宝柑橘专业合作社" and slots["credit_code"] == CODE
    assert "凭证" in reply


def test_a_credit_code_alone_starts_the_bookkeeping_form(farmer):
    reply = farmer.say(f"统一社会信用代码 {CODE}")
    assert "代账申请" in reply and "贷款" not in reply
