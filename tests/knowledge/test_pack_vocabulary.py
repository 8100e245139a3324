"""Across the five packs: a booking carries the operation and the crop (CONTRACT.md slot values), never a stage
of the document (产中服务) or an industry group (粮油), and no farmer's word names two services."""
from __future__ import annotations

from datetime import date

import pytest

from intents import Understanding
from knowledge import load_pack
from tests.knowledge.pack_truth import GROUP_WORDS, ambiguous_service_words, crop_of

PACKS = ["zhongxian", "fengdu", "jiangjin", "liaocheng", "nanchuan"]
TUOGUAN_PACKS = ["zhongxian", "fengdu", "jiangjin", "liaocheng"]


@pytest.mark.parametrize("name", PACKS)
def test_crops_are_crops_and_service_words_are_unambiguous(name):
    pack = load_pack(name)
    assert pack.crops and not {c.name for c in pack.crops} & GROUP_WORDS
    assert ambiguous_service_words(pack) == []
    words = [w for c in pack.crops for w in [c.name, *c.aliases]]
    assert len(words) == len(set(words)), name                   # a crop word names one crop


@pytest.mark.parametrize("name", TUOGUAN_PACKS)
@pytest.mark.parametrize("word,service", [("打药", "统防统治"), ("飞防", "统防统治"), ("收割", "机收"), ("全托", "全程托管")])
def test_farmers_words_reach_the_same_operation_in_every_county(name, word, service):
    assert load_pack(name).service(word).name == service


@pytest.mark.parametrize("name,text,crop,service", [
    ("jiangjin", "先锋镇花椒冬季清园打药，12亩", "花椒", "统防统治"),
    ("jiangjin", "白沙镇20亩谷子要收割", "水稻", "机收"),
    ("jiangjin", "30亩菜籽请无人机飞防", "油菜", "统防统治"),
    ("fengdu", "虎威镇水稻打药，12亩", "水稻", "统防统治"),
    ("fengdu", "15亩苞谷想全托", "玉米", "全程托管"),
    ("fengdu", "社坛镇10亩谷子要烘干", "水稻", "烘干"),
    ("liaocheng", "三十亩麦子要收割", "小麦", "机收"),
    ("liaocheng", "二十亩棒子打药", "玉米", "统防统治"),
    ("nanchuan", "方竹笋要找人打药", "笋竹", "统防统治"),
    ("nanchuan", "古树茶园想请人施肥", "茶叶", "施肥"),
])
def test_a_request_parses_to_the_operation_and_the_crop(name, text, crop, service):
    parsed = Understanding.from_pack(load_pack(name)).parse(text, today=date(2026, 12, 7))
    assert parsed.slots.get("crop") == crop and parsed.slots.get("service") == service, parsed.slots


def test_the_documents_industry_names_are_aliases_of_their_crops():
    nanchuan, jiangjin = load_pack("nanchuan"), load_pack("jiangjin")
    assert [crop_of(nanchuan, w) for w in ("古树茶", "方竹笋", "南川米")] == ["茶叶", "笋竹", "水稻"]
    assert crop_of(jiangjin, "粮油") is None                     # a group word is no crop a booking carries
