"""南川 pack (doc 004, 南川委农办〔2021〕15号): true to its document, offering only what it sets up."""
from __future__ import annotations

import pytest

from knowledge import load_pack
from knowledge.faq import answer
from tests.knowledge.pack_truth import crop_of

PACK = load_pack("nanchuan")


def test_offers_only_what_the_document_sets_up():
    # The plan names no 农资 supply (not offered); it names 农业社会化服务 (三（三）5) with no operation, team or
    # price: book_tuoguan is offered as a request the 区农民合作社服务中心 answers, every price 待补充.
    assert "book_tuoguan" in PACK.info.offers and "supplies" not in PACK.info.offers
    assert "农合联" not in (PACK.info.bot_name or "") and not PACK.nonghelian
    assert PACK.info.join is not None and "合作社" in PACK.info.join.name


def test_crops_are_the_documents_special_industries():
    # 中药材、古树茶、方竹笋和南川米“3+1”以及蓝莓 (三（一）2), each as the crop a message carries
    assert [c.name for c in PACK.crops] == ["中药材", "茶叶", "笋竹", "水稻", "蓝莓"]
    for word, crop in [("古树茶", "茶叶"), ("黄金芽", "茶叶"), ("方竹笋", "笋竹"), ("笋子", "笋竹"),
                       ("南川米", "水稻"), ("谷子", "水稻"), ("栽秧", "水稻"), ("黄精", "中药材"), ("玄参", "中药材")]:
        assert crop_of(PACK, word) == crop, word


def test_social_service_is_vocabulary_with_no_invented_price_team_or_crop():
    assert PACK.services and all(s.role_name == "tuoguan" for s in PACK.services)
    for s in PACK.services:
        assert s.price_yuan == "待补充" and not s.crops, s.name
        assert s.source.doc == "004" and s.source.section.startswith("三（三）5"), s.name
    generic = [s for s in PACK.services if s.scope == "全程"]
    assert [s.name for s in generic] == ["农业社会化服务"] and "托管" in generic[0].aliases
    (center,) = [c for c in PACK.centers if "tuoguan" in c.roles]
    assert "区农民合作社服务中心" in center.name and "待补充" in center.note
    assert PACK.info.tuoguan is not None and "待补充" in PACK.info.tuoguan.description


def test_finance_partners_are_the_documents():
    names = {p.name for p in PACK.loan_products}
    assert {"惠农贷", "惠农合作社保险", "邮政优惠利率贷款产品"} <= names
    for p in PACK.loan_products:
        assert p.amount_max_yuan is None and p.amount_min_yuan is None   # the plan states no amount


@pytest.mark.parametrize("question,must_contain,section", [
    ("我们镇上的辅导员是哪些人当", "第一书记", "三（三）7"),
    ("南川一共好多家合作社", "1446", "一（二）2"),
    ("区级示范社每年评好多个", "7个", "三（三）6"),
    ("年报不报有啥要求", "100%", "三（一）1"),
    ("邮储那边有没有便宜点的贷款", "优惠利率", "三（三）9"),
    ("闲置宅基地可以入股不", "宅基地", "三（一）3"),
    ("试点是哪年开始的", "2021年8月", "一（一）"),
])
def test_paraphrased_questions_reach_the_clause(question, must_contain, section):
    found = answer(PACK, question)
    assert found is not None and found.confident, (question, found and found.entry.id)
    assert must_contain in found.entry.answer
    assert found.entry.source.section.startswith(section)

