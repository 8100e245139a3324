"""Normalization, numerals, phone, dates and offsets."""
from datetime import date

import pytest

from intents.dates import find_date
from intents.numbers import cn_to_number, find_numbers, is_range
from intents.pinyin import pinyin_key
from intents.slots import find_phone

TODAY = date(2026, 11, 23)  # Monday


def test_width_traditional_case_and_punctuation_fold(nlu):
    norm = nlu.normalize("ＴＵＯ管，貸款！")
    assert norm.text == "tuo管|贷款|"


@pytest.mark.parametrize("text, normalized", [
    ("我們要貸款", "我们要贷款"), ("他很沈默", "他很沉默"),   # a phrase of simplified-looking characters
    ("乾隆", "乾隆"), ("干部", "干部"), ("我要贷款", "我要贷款"),
])
def test_traditional_text_is_simplified_and_simplified_text_left_alone(nlu, text, normalized):
    assert nlu.normalize(text).text == normalized


def test_dialect_and_domain_typos_are_rewritten(nlu):
    assert nlu.normalize("托官咋个收费嘛").text == "托管怎么收费"
    assert nlu.normalize("石宝有莫得服务站").text == "石宝有没有服务站"
    assert nlu.normalize("代帐好多钱").text == "代账多少钱"
    assert nlu.normalize("农和联").text == "农合联"
    assert nlu.normalize("带款").text == "贷款"


def test_offsets_point_into_the_original_text(nlu):
    text = "我想 托官，五十亩"
    norm = nlu.normalize(text)
    i = norm.text.index("托管")
    s, e = norm.original_span(i, i + 2)
    assert text[s:e] == "托官"


def test_typed_pinyin_sounds_like_the_characters():
    assert pinyin_key("daikuan") == pinyin_key("贷款")
    assert pinyin_key("zhuan rengong".replace(" ", "")) == pinyin_key("转人工")
    assert pinyin_key("十宝") == pinyin_key("石宝")


@pytest.mark.parametrize("text, value", [("五十", 50), ("一百二", 120), ("三万五", 35000), ("5万", 50000),
                                         ("1.5万", 15000), ("两千", 2000), ("幺三八", 138), ("半", 0.5)])
def test_numerals(text, value):
    assert cn_to_number(text) == value


def test_one_character_numerals_are_what_cn2an_reads():
    import cn2an
    assert [cn_to_number(c) for c in "零〇一二两三四五六七八九幺十"] == [0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9, 1, 10]
    assert (cn_to_number("百"), cn_to_number("千"), cn_to_number("半")) == (100, 1000, 0.5)   # 百把亩: one hundred
    assert cn_to_number("万") is None and cn_to_number("点") is None
    assert cn_to_number("七") == float(cn2an.cn2an("七", "smart"))


def test_ranges_are_not_concatenated():
    assert is_range("两三") and is_range("五六十")
    assert [t.is_range for t in find_numbers("两三亩")] == [True]


def test_phone_from_digits_and_spoken_digits():
    assert find_phone("电话13812345678")[0] == "13812345678"
    assert find_phone("幺三八一二三四五六七八")[0] == "13812345678"
    assert find_phone("123456") is None


@pytest.mark.parametrize("text, iso", [
    ("今天", "2026-11-23"), ("明天来", "2026-11-24"), ("后天", "2026-11-25"), ("大后天", "2026-11-26"),
    ("下周三", "2026-12-02"), ("下个星期五", "2026-12-04"), ("这个月底", "2026-11-30"),
    ("12月5号", "2026-12-05"), ("十一月二十五号", "2026-11-25"), ("28号", "2026-11-28"), ("5号", "2026-12-05"),
    ("周五", "2026-11-27"), ("下个月10号", "2026-12-10"),
])
def test_relative_dates_against_a_fixed_today(text, iso):
    assert find_date(text, TODAY).value == iso


def test_date_without_today_keeps_the_text():
    assert find_date("下周三", None).value == "下周三"


@pytest.mark.parametrize("text", ["你们的点点在哪", "点点点", "有没得点点"])
def test_repeated_dian_is_no_number_and_no_crash(text):
    assert all(t.value is None or t.value >= 0 for t in find_numbers(text))
    assert not [t for t in find_numbers(text) if t.value is not None]
