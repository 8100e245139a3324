"""Slots as farmers write them: amounts with w/k/千/来, dates as said (ISO when one day is meant, else the
text), 统一社会信用代码, member types as farmers describe themselves, the loan product as the pack names it,
crops implied by the work."""
from __future__ import annotations

from datetime import date

import pytest

from intents.credit_code import check_character, find_credit_code, is_valid
from tests.intents.conftest import TODAY   # Monday 2026-11-23


def slots(nlu, text: str) -> dict:
    return nlu.parse(text, today=TODAY).slots


@pytest.mark.parametrize("text, want", [
    ("想贷5w块钱买农机", 50000), ("能贷10w不", 100000), ("我有1.5w的缺口", 15000), ("借8k块钱可以不", 8000),
    ("想贷款5千买化肥", 5000), ("我想借个三万五周转一下", 35000), ("贷十来万要什么条件", 100000),
    ("代账一年两千五贵不贵", 2500), ("贷个两万来块钱", 20000), ("2千5够不够", 2500),
])
def test_amounts(nlu, text, want):
    assert slots(nlu, text).get("amount_yuan") == want


@pytest.mark.parametrize("text", ["两千多只鸡", "5千斤谷子", "四十来张桌子", "wo yao 5wan"])
def test_counts_of_other_things_are_no_amount(nlu, text):
    assert "amount_yuan" not in slots(nlu, text)
    assert "area_mu" not in slots(nlu, "四十来张桌子")


@pytest.mark.parametrize("text, want", [
    ("明儿个来收谷子", "2026-11-24"),
    ("周末能不能来", "2026-11-28"),          # the coming Saturday
    ("下周末来", "2026-12-05"),
    ("月中来犁田", "2026-12-15"),            # the 15th is past this month
    ("下个月初来施肥", "2026-12-01"),
    ("下个礼拜能来不", "下个礼拜"),           # no single day: the text
    ("过两天来帮我打药", "过两天"),
    ("开春以后想托管", "开春以后"),
    ("明年开春育秧", "明年开春"),
    ("腊月里卖猪", "腊月里"),
    ("收了谷子以后来烘", "收了谷子以后"),
    ("国庆后来", "国庆后"),
])
def test_dates_as_farmers_say_them(nlu, text, want):
    assert slots(nlu, text).get("date") == want


def test_mid_month_still_ahead_is_this_months():
    from intents.dates import find_date
    assert find_date("月中来", date(2026, 11, 3)).value == "2026-11-15"
    assert find_date("今天天气", date(2026, 11, 3)).value == "2026-11-03"
    assert find_date("过年好", date(2026, 11, 3)) is None


VALID = "93500233MA5U7K3L26"


def test_credit_code_checksum():
    assert check_character(VALID[:17]) == VALID[17]
    assert is_valid(VALID) and is_valid(VALID.lower())
    assert not is_valid(VALID[:17] + "7")
    assert not is_valid("I" + VALID[1:])      # I is not in the charset


@pytest.mark.parametrize("text", [
    f"我们合作社统一社会信用代码是{VALID}，想办代账",
    "信用代码 9350 0233 MA5U 7K3L 26，申请助农贷",
    f"统一社会信用代码：{VALID.lower()} 我们想入会",
    "忠县绿源柑橘专业合作社 ９３５００２３３ＭＡ５Ｕ７Ｋ３Ｌ２６ 要入农合联",
    f"QQ {VALID}",
])
def test_credit_code_with_labels_spaces_case_and_width(nlu, text):
    got = slots(nlu, text)
    assert got["credit_code"] == VALID
    assert "phone" not in got and "amount_yuan" not in got


def test_a_code_that_does_not_check_out_is_no_slot_nor_a_number(nlu):
    got = slots(nlu, "代码是93500233MA5U7K3L27，帮我们做账")
    assert "credit_code" not in got and "amount_yuan" not in got


def test_credit_code_offsets_are_in_the_original():
    text = f"代码：{VALID}"
    code, start, end = find_credit_code(text)
    assert text[start:end] == VALID


@pytest.mark.parametrize("text, want", [
    ("我注册了家庭农场，想问下能不能入会", "家庭农场"),
    ("我们社想请你们代账", "农民合作社"),
    ("社里的账没人管", "农民合作社"),
])
def test_member_types_as_farmers_describe_themselves(nlu, text, want):
    assert slots(nlu, text).get("member_type") == want


def test_a_service_station_is_no_cooperative(nlu):
    assert "member_type" not in slots(nlu, "综合服务社里有化肥没有")


@pytest.mark.parametrize("text, want", [
    ("想办个订单质押的贷款", "订单质押贷款"),
    ("小额信贷我能贷好多", "农户小额信用贷款"),
    ("惠农一代好多利息", "惠农e贷"),
    ("我想申请住农带", "助农贷"),       # same sound, a character in common
])
def test_loan_product_as_the_pack_names_it(nlu, text, want):
    p = nlu.parse(text, today=TODAY)
    assert p.slots.get("product") == want and p.intent == "loan_products"


@pytest.mark.parametrize("text", ["栽秧的时候能不能派个机器来", "机插秧好多钱一亩", "盖秧田的薄膜要两卷"])
def test_crop_implied_by_the_work(nlu, text):
    assert slots(nlu, text).get("crop") == "水稻"


def test_implied_crops_are_written_only(nlu):
    # 买种子 sounds like 麦种 but names no wheat
    assert "crop" not in slots(nlu, "买种子可以赊账吗")


def test_after_the_harvest_is_kept_as_said(nlu):
    assert slots(nlu, "收完花椒以后再来帮我剪枝").get("date") == "收完花椒以后"


def test_last_weeks_day_is_in_the_past(nlu):
    assert slots(nlu, "上周五约的施肥到现在都没得人来").get("date") == "2026-11-20"


def test_a_place_names_numerals_are_no_amount(nlu):
    got = slots(nlu, "三汇镇有人收橘子没得")
    assert got.get("township") == "三汇镇" and "amount_yuan" not in got
