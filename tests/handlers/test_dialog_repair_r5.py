"""Repair for what the harsher farmer simulator found (round 5): remarks on the weather or prices are not
answers, "继续" to "继续刚才的…吗？" is no answer either, who the farmer is in their own words (个人, 种植大户,
合作社的理事长) is a member type and never a name or a loan purpose, a question put off in the farmer's words is
skipped, vague dates stay in the farmer's words, a crop word inside a township's name is the place."""
from __future__ import annotations

from datetime import date

import pytest

from bot.dialog.cues import continues, is_remark, skips
from handlers.forms import read_member_type, read_name
from handlers.join_nonghelian import MEMBER_TYPES
from handlers.loan_products import scan_purpose
from intents.dates import find_date

# Answers by the words of the question (a farmer answers whatever is asked).
ANSWERS = (("什么身份", "1"), ("贵姓", "王秀英"), ("姓名", "王秀英"), ("手机号", "13800138000"), ("哪个乡镇", "石宝"),
           ("产业分会", "不用"), ("做什么用", "买农机"), ("贷多少", "5万"), ("抵押", "没有"), ("种的是什么", "水稻"),
           ("多少亩", "30亩"), ("哪天", "下周三"), ("哪项服务", "机耕"), ("全称", "忠县石宝柑橘专业合作社"),
           ("信用代码", "跳过"), ("凭证", "20张"), ("代办哪些", "记账"))


def _to_summary(farmer, reply: str, limit: int = 10) -> str:
    for _ in range(limit):
        if "请核对" in reply:
            return reply
        line = reply.strip().splitlines()
        asked = next((answer for text in reversed(line) for words, answer in ANSWERS if words in text), None)
        assert asked is not None, reply
        reply = farmer.say(asked)
    raise AssertionError(reply)


@pytest.mark.parametrize("text", ["今天好大的雾哦", "这两天雨落得好大", "今年橘子价钱太孬了", "今儿个真冷啊", "天太热了"])
def test_weather_and_price_remarks_in_farmers_words(text):
    assert is_remark(text)


@pytest.mark.parametrize("text", ["下周三", "三社融合贷风险补偿金", "风险大不大", "这两天", "太平场镇", "买化肥"])
def test_answers_are_not_remarks(text):
    assert not is_remark(text)


def test_a_question_ending_in_meide_is_no_skip():
    assert not skips("有啥子补贴政策没得")
    assert skips("莫得") and skips("不晓得")


def test_continue_words():
    assert continues("继续") and continues("要得") and continues("中")
    assert continues("继续", at_summary=True) and not continues("要得", at_summary=True)
    assert not continues("王秀英")


@pytest.mark.parametrize("text, kind", [("个人", "农户"), ("种植大户", "农户"), ("就我自己种点地", "农户"),
                                        ("我是合作社的理事长", "农民合作社"), ("我开了个家庭农场", "家庭农场"),
                                        ("家庭农场主", "家庭农场"), ("13800138000", None), ("石宝镇", None)])
def test_who_the_farmer_is_in_their_own_words(text, kind):
    assert read_member_type(MEMBER_TYPES)(text, None) == kind


def test_a_self_description_is_no_name():
    assert read_name("就我自己种点地", None) is None
    assert read_name("王秀英", None) == "王秀英"


def test_who_the_farmer_is_is_no_loan_purpose():
    assert scan_purpose("我想贷款，13908316688，种植大户，寿张镇", None) is None
    assert scan_purpose("我想贷款，白公街道，就我自己种点地，买农机", None) == "买农机"


@pytest.mark.parametrize("text", ["摘了花椒以后", "收了麦子", "掰了棒子以后", "剪了枝再说"])
def test_dates_after_farm_work_are_kept_as_said(text):
    assert find_date(text, date(2026, 11, 23)).value == text


def test_a_weather_remark_mid_form_is_acknowledged_not_stored(farmer):
    farmer.say("我要机耕，水稻")
    reply = farmer.say("今天好大的雾哦")
    assert "时间" not in reply and "11月23日" not in reply
    reply = _to_summary(farmer, reply)
    assert "11月23日" not in reply and "12月2日" in reply


def test_continue_after_a_side_question_asks_again_and_stores_nothing(farmer):
    farmer.say("我想加入农合联")
    farmer.say("1")
    reply = farmer.say("入会要交钱不")
    assert "继续刚才的" in reply
    reply = farmer.say("继续")
    assert "继续刚才的" not in reply and ("贵姓" in reply or "姓名" in reply)
    assert "继续" not in _to_summary(farmer, reply).split("请核对")[1]
    farmer.say("确认")
    assert farmer.records("members")[-1].name == "王秀英"


def test_a_loan_applicant_says_who_they_are_in_their_own_words(farmer):
    farmer.say("我想贷款")
    reply = farmer.say("个人")
    assert "身份先空着" not in reply
    _to_summary(farmer, reply)
    farmer.say("确认")
    assert farmer.records("loan_requests")[-1].member_type == "农户"


def test_a_credit_code_put_off_in_the_farmers_words_is_skipped_not_a_loan(farmer):
    farmer.say("我们合作社要代账")
    reply = farmer.say("忠县石宝柑橘专业合作社")
    assert "信用代码" in reply
    reply = farmer.say("信用代码我回去找一哈 先不填")
    assert "贷款" not in reply and "先空着" in reply
    reply = farmer.say("138 0013 8000，20张")
    _to_summary(farmer, reply)
    farmer.say("确认")
    record = farmer.records("bookkeeping_requests")[-1]
    assert record.monthly_vouchers == 20 and record.phone == "13800138000"
    assert farmer.records("loan_requests") == []


def test_a_crop_word_inside_a_townships_name_is_the_place(make_farmer, dialog_settings):
    farmer = make_farmer(settings=dialog_settings.model_copy(update={"knowledge": "nanchuan"}))
    parsed = farmer.ctx.nlu.parse("你好，我是楠竹山镇，13810353079", today=date(2026, 11, 23))
    assert parsed.slots.get("township") == "楠竹山镇" and "crop" not in parsed.slots
    assert farmer.ctx.nlu.parse("楠竹山镇种的楠竹", today=date(2026, 11, 23)).slots.get("crop") == "笋竹"
