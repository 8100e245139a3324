"""丰都 pack (doc 001, 丰供发〔2022〕36号): true to its document and able to serve every offered form."""
from __future__ import annotations

import pytest

from knowledge import load_pack
from knowledge.faq import answer
from tests.knowledge.pack_truth import GROUP_WORDS, ambiguous_service_words, crop_of, unmarked_services

PACK = load_pack("fengdu")


def test_no_nonghelian_is_presented():
    # The document sets up no 农合联: not the bot's name, not what joining means, not an institution.
    assert "农合联" not in (PACK.info.bot_name or "")
    assert PACK.info.join is not None and "农合联" not in PACK.info.join.name
    assert not PACK.nonghelian
    assert all("农合联" not in i.name for i in PACK.institutions)


def test_planned_networks_are_not_places():
    planned = [c for c in PACK.centers if c.planned_count]
    assert {c.planned_count for c in planned} == {15, 200}
    assert all(c.address == "待补充" and c.township is None for c in PACK.centers)


def test_tuoguan_is_servable():
    assert PACK.services and PACK.crops
    assert all(s.price_yuan == "待补充" for s in PACK.services)   # the document gives no price
    assert all(not s.crops for s in PACK.services)                 # nor ties a service to a crop


@pytest.mark.parametrize("word,service", [
    ("打药", "统防统治"), ("飞防", "统防统治"), ("无人机打药", "统防统治"), ("病虫害防治", "统防统治"),
    ("施肥", "施肥"), ("犁田", "机耕"), ("打田", "机耕"), ("栽秧", "机插秧"), ("育秧", "育秧"),
    ("收割", "机收"), ("割谷子", "机收"), ("烘干", "烘干"), ("全托", "全程托管"), ("全程服务", "全程托管"),
    ("全程农业生产社会化服务", "全程托管"), ("产中服务", "产中服务"),
])
def test_farmers_words_reach_the_operation(word, service):
    assert PACK.service(word).name == service


def test_services_are_operations_marked_with_the_documents_stage():
    # the document names only 产前、产中、产后全程 (二（五）): each operation says which stage it falls in
    assert unmarked_services(PACK, "001", "二（五）") == []
    assert ambiguous_service_words(PACK) == []
    centers = {n for c in PACK.centers if "tuoguan" in c.roles for n in c.services}
    assert {s.name for s in PACK.services} <= centers


def test_crops_are_crops_not_industry_groups():
    names = [c.name for c in PACK.crops]
    assert {"水稻", "玉米", "油菜"} <= set(names) and not set(names) & GROUP_WORDS
    for word, crop in [("谷子", "水稻"), ("苞谷", "玉米"), ("菜籽", "油菜"), ("青菜头", "榨菜"), ("海椒", "辣椒"),
                       ("栽秧", "水稻")]:
        assert crop_of(PACK, word) == crop, word


@pytest.mark.parametrize("question,must_contain,section", [
    ("三社融合贷那个补偿金到底有好多钱", "600", "四（二）"),
    ("我们合作社想找人代账", "财务代理", "二（四）"),
    ("要建好多个区域性为农服务中心哦", "15个", "二（一）"),
    ("综合服务社要发展好多个", "200个", "二（二）"),
    ("试点分哪几个阶段", "2025年7月", "三"),
    ("领导小组办公室设在哪里", "业务发展科", "四（一）"),
    ("农商行的人到供销社兼职拿不拿工资", "兼职不兼薪", "二（八）"),
])
def test_paraphrased_questions_reach_the_clause(question, must_contain, section):
    found = answer(PACK, question)
    assert found is not None and found.confident, (question, found and found.entry.id)
    assert must_contain in found.entry.answer
    assert found.entry.source.section.startswith(section)

