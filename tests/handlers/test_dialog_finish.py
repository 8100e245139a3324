"""Conversations that finish (round 2 of repair), one test per category the blind r1 set showed failing:
yes in the farmer's words at a summary, 提交 at an optional question, names said with other facts, member type
as who the farmer is, joining where there is no 农合联, facts answering a clarifying question, 明年 dates,
menu digits for what the county does not offer."""
from __future__ import annotations

import re

from datetime import date

import pytest

from bot.dialog.cues import (introduced_name, member_type_is_wanted_thing, next_year_date, span_date, submits,
                             wants_person)

BOOKING = ["我要给石宝镇30亩柑橘打药", "下周三", "13800138000"]


@pytest.fixture
def county(make_farmer, make_settings, database_url):
    def build(pack: str, openid: str = "oFarmerFinish01"):
        return make_farmer(openid, make_settings(database_url=database_url, deliver_in_process=False, knowledge=pack))
    return build


@pytest.mark.parametrize("text", ["要得 提交", "中 提交吧", "对的提交嘛", "没问题 提交", "对头就这样", "可以可以", "行 提交"])
def test_yes_in_the_farmers_words_confirms_a_pending_summary(farmer, text):
    for line in BOOKING:
        reply = farmer.say(line)
    assert "请核对" in reply
    farmer.say(text)
    (booking,) = farmer.records("bookings")
    assert booking.township == "石宝镇" and booking.phone == "13800138000"


@pytest.mark.parametrize("text", ["可不可以", "中不中", "行不行", "可以不"])
def test_a_question_back_does_not_confirm(farmer, text):
    assert not submits(text)
    for line in BOOKING:
        farmer.say(line)
    farmer.say(text)
    assert farmer.records("bookings") == []


def test_submit_at_an_optional_question_when_everything_required_is_in(farmer):
    farmer.say("我们合作社想加入乡镇农合联")
    farmer.say("三汇镇 联系人谭明友")
    reply = farmer.say("电话15891736087")
    assert "产业分会" in reply
    farmer.say("确认")
    (member,) = farmer.records("members")
    assert (member.name, member.phone, member.township) == ("谭明友", "15891736087", "三汇镇")


@pytest.mark.parametrize("text, name", [("我叫秦光明 电话15748570467", "秦光明"), ("联系人谭明友", "谭明友"),
                                        ("俺叫孙玉山", "孙玉山"), ("阳谷县阿城镇 俺叫孙玉山", "孙玉山"),
                                        ("名山街道的 叫陈永华", "陈永华"), ("叫个人打给我", None)])
def test_a_name_is_read_without_its_label(text, name):
    assert introduced_name(text) == name


def test_a_name_said_with_the_phone_is_stored_in_a_booking(farmer):
    farmer.say("我要给石宝镇30亩柑橘打药")
    farmer.say("我叫秦光明 电话15748570467")
    farmer.say("下周三")
    farmer.say("确认")
    (booking,) = farmer.records("bookings")
    assert (booking.name, booking.phone) == ("秦光明", "15748570467")


def test_member_type_is_who_the_farmer_is_not_what_they_join(farmer):
    assert member_type_is_wanted_thing("我想加入合作社 咋个弄")
    assert not member_type_is_wanted_thing("我们合作社想加入乡镇农合联")
    reply = farmer.say("我想加入合作社 咋个弄")
    assert "已记下：农民合作社" not in reply and "身份" in reply
    farmer.say("普通农户")
    farmer.say("我叫陈永华")
    farmer.say("石宝镇 13758706032")
    farmer.say("确认")
    (member,) = farmer.records("members")
    assert member.member_type == "农户" and member.name == "陈永华"


@pytest.mark.parametrize("pack, text", [("fengdu", "我们合作社想和合作社服务中心签约"), ("jiangjin", "想入社"),
                                        ("nanchuan", "想入个合作社"), ("liaocheng", "俺想入社")])
def test_joining_starts_the_countys_own_join_form_without_a_nonghelian(county, pack, text):
    farmer = county(pack)
    reply = farmer.say(text)
    join_name = farmer.ctx.pack.info.join.name
    assert join_name.split("（")[0] in reply and "入会申请" not in reply
    for answer in ("农户", "我叫王大明", "13800138000"):
        reply = farmer.say(answer)
    assert "产业分会" not in reply and "农合联" not in reply


def test_facts_after_a_clarifying_question_pick_the_option_they_fit(farmer):
    reply = farmer.say("柑橘园要施有机肥 你们帮不帮忙深施")
    if "您是想" in reply:  # the NLU may ask between 买农资 and 托管
        reply = farmer.say("25亩 拔山")
        assert "托管预约" in reply


@pytest.mark.parametrize("text, value", [("明年4月10号", "2027-04-10"), ("明年3月1号", "2027-03-01"),
                                         ("明年三月中旬", "明年三月中旬"), ("明年", None)])
def test_next_year_dates(text, value):
    assert next_year_date(text, date(2026, 12, 7)) == value


def test_a_next_year_date_is_stored_as_iso(farmer):
    farmer.say("我要给石宝镇30亩柑橘打药")
    farmer.say("明年4月10号")
    farmer.say("13800138000")
    farmer.say("确认")
    (booking,) = farmer.records("bookings")
    assert str(booking.date) == "2027-04-10"


def test_asking_for_hands_to_do_the_work_is_a_service_not_a_person():
    assert not wants_person("你们有没得人来帮忙剪")
    assert not wants_person("想请人来管护一下")
    assert wants_person("叫个人打给我")


def test_a_menu_digit_for_what_the_county_does_not_offer_starts_nothing(county):
    farmer = county("liaocheng")   # 聊城's document names no 代账: menu 4 is not offered there
    offers = farmer.ctx.pack.info.offers
    assert "bookkeeping" not in offers
    reply = farmer.say("4")
    assert "代账申请" not in reply and "好的，帮您办" not in reply, reply


@pytest.mark.parametrize("text, value", [("月中", "月中"), ("下个月初", "下个月初"), ("12月15号来", None), ("下周三", None)])
def test_a_span_is_kept_as_said_a_day_is_not(text, value):
    assert span_date(text) == value


def test_a_span_date_is_stored_as_said(farmer):
    farmer.say("我要给石宝镇30亩柑橘打药")
    farmer.say("月中")
    farmer.say("13800138000")
    farmer.say("确认")
    (booking,) = farmer.records("bookings")
    assert booking.date == "月中"


def test_the_longest_product_name_said_wins(county):
    from handlers.loan_products import read_product
    pack = county("fengdu").ctx.pack
    names = sorted((p.name for p in pack.loan_products), key=len, reverse=True)
    longest = next(n for n in names if any(o != n and o in n for o in names) or len(n) > 8)
    assert read_product(f"我想办{longest}", pack) == longest


def test_a_member_type_inside_a_product_name_is_not_the_farmers(county):
    farmer = county("nanchuan")
    product = next(p.name for p in farmer.ctx.pack.loan_products if "合作社" in p.name)
    reply = farmer.say(f"我想办{product}")
    assert "贷款咨询" in reply and "身份" in reply  # asked, not taken from the product's name


def test_naming_a_loan_product_starts_the_loan_form(county):
    farmer = county("liaocheng")
    product = next((p.name for p in farmer.ctx.pack.loan_products if "托管" in p.name), None)
    if product is None:
        pytest.skip("no loan product named after 托管 in this pack")
    assert "贷款咨询" in farmer.say(f"我想办{product}")


def test_asking_if_someone_comes_to_do_a_service_starts_the_booking_not_a_ticket(county):
    farmer = county("fengdu")
    reply = farmer.say("我想找人来机耕 谷子田40亩")
    assert "托管预约" in reply and farmer.tickets() == []
    assert "转给" in farmer.say("还是叫个人打给我嘛")


def test_join_words_win_over_a_clarifying_question(county):
    farmer = county("jiangjin")
    reply = farmer.say("想入社 咋个弄")
    assert "您是想" not in reply and farmer.ctx.pack.info.join.name in reply


def test_a_loan_with_an_amount_for_a_service_is_a_loan(county):
    farmer = county("liaocheng")
    assert "贷款咨询" in farmer.say("俺合作社想贷30万 托管用的")


def test_a_policy_question_the_nlu_sends_into_a_form_gets_the_documents_answer_then_the_offer(farmer):
    reply = farmer.say("入会要交会费不")
    # The 忠县 plan says nothing of a fee: said plainly, no figure, then the form offered in one line.
    assert "待补充" in reply and "要帮您办入会申请吗" in reply and not re.search(r"\d+\s*元", reply)
    assert "身份" not in reply  # no form opened by a question
    assert "身份" in farmer.say("要得")


def test_a_weak_parse_opens_no_form(farmer):
    parse = farmer.ctx.nlu.parse("阿巴阿巴托", today=None)
    if parse.actionable:
        pytest.skip("the NLU acts on this string")
    assert "请核对" not in farmer.say("阿巴阿巴托") and farmer.records("bookings") == []


def test_a_loan_with_an_amount_is_a_loan_not_a_choice(county):
    farmer = county("nanchuan")
    reply = farmer.say("家庭农场想贷8万 建冷库")
    assert "贷款咨询" in reply and "8万" in reply
