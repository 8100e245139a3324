"""江津 pack (doc 002, 江津区深入推进“三社”融合发展政策措施): true to its document, able to serve every form."""
from __future__ import annotations

import pytest

from knowledge import load_pack
from knowledge.faq import answer
from tests.knowledge.pack_truth import GROUP_WORDS, ambiguous_service_words, crop_of, unmarked_services

PACK = load_pack("jiangjin")


def test_no_nonghelian_is_presented():
    assert "农合联" not in (PACK.info.bot_name or "")
    assert PACK.info.join is not None and "农合联" not in PACK.info.join.name
    assert not PACK.nonghelian


def test_crops_are_the_documents_key_industries_crop_by_crop():
    names = [c.name for c in PACK.crops]
    # 二（五）: 粮油、蔬菜、花椒、柑橘、茶叶; 粮油 is written out as its crops, the group word is no crop
    assert {"水稻", "玉米", "油菜", "蔬菜", "花椒", "柑橘", "茶叶"} <= set(names)
    assert not set(names) & GROUP_WORDS and len(names) == len(set(names))
    for word, crop in [("谷子", "水稻"), ("稻谷", "水稻"), ("苞谷", "玉米"), ("菜籽", "油菜"), ("九叶青", "花椒"),
                       ("橘子", "柑橘"), ("茶", "茶叶"), ("栽秧", "水稻"), ("打谷子", "水稻"), ("摘花椒", "花椒")]:
        assert crop_of(PACK, word) == crop, word


@pytest.mark.parametrize("word,service", [
    ("打药", "统防统治"), ("飞防", "统防统治"), ("无人机打药", "统防统治"), ("喷药", "统防统治"),
    ("病虫害防治", "统防统治"), ("施肥", "施肥"), ("犁田", "机耕"), ("翻地", "机耕"), ("旋耕", "机耕"),
    ("打田", "机耕"), ("栽秧", "机插秧"), ("插秧", "机插秧"), ("育秧", "育秧"), ("播种", "机播"), ("收割", "机收"),
    ("割谷子", "机收"), ("收谷子", "机收"), ("烘干", "烘干"), ("花椒树修剪", "花椒修剪"), ("剪花椒枝", "花椒修剪"), ("全托", "全程托管"),
    ("全程服务", "全程托管"), ("全程农业社会化服务", "全程托管"), ("产中服务", "产中服务"),
])
def test_farmers_words_reach_the_operation(word, service):
    assert PACK.service(word).name == service


def test_services_are_operations_marked_with_the_documents_stage():
    assert unmarked_services(PACK, "002", "二（五）") == []
    assert ambiguous_service_words(PACK) == []
    assert all(s.price_yuan == "待补充" for s in PACK.services)   # the document gives no price
    # “等重点产业” is no restriction: only a crop's own work is tied to it
    assert {s.name: s.crops for s in PACK.services if s.crops} == {"柑橘修剪": ["柑橘"], "花椒修剪": ["花椒"]}
    centers = {n for c in PACK.centers if "tuoguan" in c.roles for n in c.services}
    assert {s.name for s in PACK.services} <= centers


def test_recycling_and_auction_are_their_own_functions():
    assert PACK.service("农膜回收").role_name == "recycling"
    assert PACK.service("拍卖").role_name == "auction"
    assert PACK.service("代账").role_name == "bookkeeping"


@pytest.mark.parametrize("question,must_contain,section", [
    ("用过的农膜交给哪个", "废旧农膜回收", "一（二）"),
    ("合作社有些资产想拍卖掉", "资产拍卖", "一（四）"),
    ("到2022年基层供销社要改造几个", "40个", "一（一）"),
    ("村里综合服务社到2025年要搞好多个", "175个", "一（二）"),
    ("承包地可以拿去抵押贷款不", "两权", "二（七）"),
    ("贴息的门槛是不是降低了", "贴息", "四（九）"),
    ("一江津彩是啥子", "一江津彩", "二（六）"),
    ("三社里头信用社是哪个", "重庆农商行江津支行", "前言"),
])
def test_paraphrased_questions_reach_the_clause(question, must_contain, section):
    found = answer(PACK, question)
    assert found is not None and found.confident, (question, found and found.entry.id)
    assert must_contain in found.entry.answer
    assert found.entry.source.section.startswith(section)



def test_a_crops_own_work_follows_the_crop_named_with_it():
    """剪枝 said of 花椒 is 花椒修剪 (the NLU's generic 修剪 word names 柑橘修剪); other operations stay."""
    from types import SimpleNamespace

    from handlers.book_tuoguan import _validate_service
    turn = lambda crop: SimpleNamespace(ctx=SimpleNamespace(pack=PACK), slots={"crop": crop})  # noqa: E731
    assert _validate_service("柑橘修剪", turn("花椒")) == "花椒修剪"
    assert _validate_service("柑橘修剪", turn("柑橘")) == "柑橘修剪"
    assert _validate_service("统防统治", turn("花椒")) == "统防统治"
    assert _validate_service("柑橘修剪", turn("水稻")) == "柑橘修剪"   # no 水稻修剪: the farmer's word stands
