"""The 聊城 pack is true to its one document (聊政字〔2021〕16号) and can serve what it offers."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from knowledge import load_pack
from knowledge.check import check_pack
from knowledge.faq import answer
from knowledge.routing import find_townships
from knowledge.schema import PLACEHOLDER
from tests.knowledge.pack_truth import GROUP_WORDS, ambiguous_service_words

# The seed documents live beside the checkout (../shared/seeds), as the project README says.
SEEDS = Path(os.environ.get("NONGBOT_SEEDS", Path(__file__).resolve().parents[3] / "shared" / "seeds"))
NUMBER = "聊政字〔2021〕16号"
TITLE = "聊城市人民政府关于支持供销合作社增强为农服务能力的实施意见"


@pytest.fixture(scope="module")
def pack():
    return load_pack("liaocheng")


@pytest.fixture(scope="module")
def doc_text(pack):
    path = SEEDS / pack.info.documents[0].file
    if not path.exists():
        pytest.skip("seed document not on this machine")
    return path.read_text(encoding="utf-8")


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text).replace("(", "（").replace(")", "）")


def _clauses(text: str) -> set[str]:
    """The document's own numbering: 一 … 四, 三（一）, 三（一）4 …"""
    labels = {"文首", "落款", "附件"}
    top = sub = None
    for raw in text.splitlines():
        line = raw.strip().lstrip("#").strip()
        if m := re.match(r"^([一二三四])、", line):
            top, sub = m.group(1), None
            labels.add(top)
        elif top and (m := re.match(r"^[（(]([一二三四五六])[）)]", line)):
            sub = m.group(1)
            labels.add(f"{top}（{sub}）")
        elif top and sub and (m := re.match(r"^(\d+)[.．、]", line)):
            labels.add(f"{top}（{sub}）{m.group(1)}")
    return labels


def _section_parts(section: str) -> list[str]:
    parts = []
    for part in section.split("；"):
        part = re.sub(r"^([一二三四])、\S+$", r"\1", part.strip())   # 一、指导思想 → 一
        parts.append(part.split(" ", 1)[0])             # "三（一）6 机种机收": the clause, then its own words
    return parts


def _quoted_words(section: str) -> list[str]:
    """The document's words a section names after its clause ("三（一）6 机种机收" → 机种机收)."""
    return [part.strip().split(" ", 1)[1] for part in section.split("；") if " " in part.strip()]


def _all_sources(pack):
    for group in (pack.faq, pack.services, pack.functions, pack.centers, pack.loan_products, pack.targets,
                  pack.institutions, pack.programmes):
        for obj in group:
            yield obj, obj.source
    if pack.info.join:
        yield pack.info.join, pack.info.join.source


def test_pack_passes_check(pack):
    report = check_pack("liaocheng")
    assert report.ok, [str(e) for e in report.errors]


def test_pack_names_its_document_with_title_and_number(pack, doc_text):
    (doc,) = pack.info.documents
    assert doc.title == TITLE and doc.number == NUMBER
    assert NUMBER in doc_text and _squeeze(TITLE) in _squeeze(doc_text)
    assert pack.info.province == "山东省" and pack.info.dialect == "luxi"


def test_no_nonghelian_and_no_bookkeeping_where_the_document_sets_up_neither(pack, doc_text):
    assert "农合联" not in doc_text
    assert "农合联" not in (pack.info.bot_name or "")
    assert "农合联" not in pack.info.join.name
    assert not pack.nonghelian
    assert "代账" not in doc_text and "bookkeeping" not in pack.info.offers
    assert {"book_tuoguan", "find_service_center", "join_nonghelian", "policy_faq"} <= set(pack.info.offers)


def test_every_source_cites_a_clause_the_document_has(pack, doc_text):
    clauses = _clauses(doc_text)
    assert {"三（一）6", "三（二）4", "三（三）5", "四（二）"} <= clauses
    for obj, source in _all_sources(pack):
        assert source is not None and source.doc == "003", obj
        for part in _section_parts(source.section):
            assert part in clauses, (getattr(obj, "name", None) or getattr(obj, "id", None), part)
        for words in _quoted_words(source.section):
            assert words in _squeeze(doc_text), (getattr(obj, "name", None), words)


def test_no_figure_that_the_document_does_not_state(pack, doc_text):
    """Every number in an answer, a product, a target or a note is a number of the document."""
    doc_numbers = set(re.findall(r"\d+", _squeeze(doc_text)))
    texts = [e.answer for e in pack.faq] + [p.description for p in pack.loan_products]
    texts += [c.note for c in pack.centers] + [i.note + (i.target or "") for i in pack.institutions]
    texts += [p.description for p in pack.programmes] + [f"{v:g}" if isinstance(v, float) else str(v) for t in pack.targets for v in t.values.values()]
    texts += [y for t in pack.targets for y in t.values if y.isdigit()]
    for text in texts:
        for number in re.findall(r"\d+", re.sub(r"[（(]?[一二三四][）)]?\d*", "", text)):
            assert number in doc_numbers, (number, text)


def test_no_platform_or_requirement_the_document_does_not_name(pack):
    everything = " ".join(str(part) for group in (pack.faq, pack.centers, pack.services, pack.functions,
                                                  pack.loan_products, pack.institutions, pack.programmes)
                          for part in group) + str(pack.info)
    for invented in ("村村旺", "身份证", "户口本", "营业执照", "银行流水", "会员优惠", "农合联会员"):
        assert invented not in everything, invented
    assert "聊·胜一筹" in everything and "供联汇通" in everything


def test_eight_counties_with_aliases_match_the_townships(pack):
    names = {c.name for c in pack.counties}
    assert names == {"东昌府区", "茌平区", "阳谷县", "莘县", "东阿县", "冠县", "高唐县", "临清市"}
    assert {t.county for t in pack.townships} == names
    alias = {a: c.name for c in pack.counties for a in c.aliases}
    assert alias["临清"] == "临清市" and alias["茌平"] == "茌平区" and alias["东昌府"] == "东昌府区"
    assert len(alias) == sum(len(c.aliases) for c in pack.counties)            # no alias for two counties
    assert all(len(c.code) == 6 and c.code.startswith("3715") for c in pack.counties)
    forms = [f for t in pack.townships for f in dict.fromkeys([t.name, *t.aliases])]
    assert len(forms) == len(set(forms))                                       # no short name for two townships
    assert not set(forms) & set(alias) and all(set(t.common_word_aliases) <= set(t.aliases) for t in pack.townships)


@pytest.mark.parametrize("text,township", [
    ("临清市烟店镇", "烟店镇"), ("俺是烟店的", "烟店镇"), ("我在振兴街道", "振兴街道"), ("茌平区振兴那边", "振兴街道"),
    ("东阿县鱼山镇", "鱼山镇"), ("香江大市场", "香江光彩大市场服务中心"),
])
def test_townships_are_recognised_by_county_and_short_name(pack, text, township):
    found = find_townships(pack, text)
    assert found and found[0].township.name == township


@pytest.mark.parametrize("text", ["乡村振兴齐鲁样板", "人和事都要管", "新城区的大桥"])
def test_ordinary_words_are_not_townships_without_a_place_cue(pack, text):
    assert not find_townships(pack, text)


def test_tuoguan_catalogue_is_the_documents_ten_services_and_packages(pack, doc_text):
    names = {s.name for s in pack.services}
    ten = ["种肥供应", "深耕深松", "机种机收", "划片管理", "统防统治", "节水灌溉", "秸秆利用", "粮食烘干", "产销对接", "技术培训"]
    assert {"全程托管", "菜单式托管"} <= names
    squeezed = _squeeze(doc_text)
    for name in ten:
        assert name in squeezed
        found = pack.service(name)               # each item is bookable, by its name or as an operation's alias
        assert found is not None and found.name in names, name
        assert name == found.name or name in found.source.section, name
    # 机种机收 is two operations: a farmer books one of them; the item's name alone is its own literal entry
    assert {"机播", "机收", "烘干"} <= names
    assert not pack.service("机种机收").aliases
    assert {s.scope for s in pack.services} == {"全程", "多环节", "单环节"}
    assert all(s.role_name == "tuoguan" and s.category == "托管" for s in pack.services)
    assert all(s.price_yuan == PLACEHOLDER for s in pack.services)          # the document states no price


@pytest.mark.parametrize("word,service", [
    ("深松", "深耕深松"), ("浇越冬水", "节水灌溉"), ("秸秆打捆", "秸秆利用"), ("打药", "统防统治"), ("飞防", "统防统治"),
    ("烘棒子", "烘干"), ("粮食烘干", "烘干"), ("全托", "全程托管"), ("半托", "菜单式托管"), ("田间管理", "划片管理"),
    ("割麦", "机收"), ("收割", "机收"), ("掰棒子", "机收"), ("种麦", "机播"), ("播种", "机播"),
])
def test_farmers_words_name_a_service(pack, word, service):
    assert pack.service(word).name == service


def test_crops_have_luxi_words_and_services_are_not_crops(pack):
    crop_of = {w: c.name for c in pack.crops for w in [c.name, *c.aliases]}
    assert crop_of["棒子"] == "玉米" and crop_of["苞米"] == "玉米" and crop_of["麦子"] == "小麦"
    assert crop_of["地瓜"] == "红薯" and crop_of["黄豆"] == "大豆" and crop_of["谷子"] == "谷子"   # 谷子: millet here
    assert not {c.name for c in pack.crops} & GROUP_WORDS and not {"庄稼", "粮食"} & set(crop_of)
    assert ambiguous_service_words(pack) == []
    service_words = {w for s in [*pack.services, *pack.functions] for w in [s.name, *s.aliases]}
    for crop in pack.crops:
        assert not ({crop.name, *crop.aliases} & service_words), crop.name
        for activity in crop.activities:
            assert not any(w in activity for w in ("深松", "越冬水", "打捆", "打药", "烘干")), activity
    assert any("麦" in a for a in next(c for c in pack.crops if c.name == "小麦").activities)


def test_every_role_a_form_needs_has_a_center_and_no_site_is_invented(pack):
    roles = {r for c in pack.centers for r in c.roles}
    assert {"tuoguan", "supplies", "marketing", "finance", "membership", "recycling", "consult"} <= roles
    assert pack.center(pack.info.default_center) is not None
    for c in pack.centers:
        assert "集配" not in c.name and "集配" not in c.kind                   # a logistics hub serves no farmer
        assert (c.address, c.phone, c.hours) == (PLACEHOLDER,) * 3, c.code      # the document names no site
        assert c.lat is None and c.lon is None and c.township is None
        assert c.source is not None
    tuoguan = [c for c in pack.centers if "tuoguan" in c.roles]
    assert any({s.name for s in pack.services} <= set(c.services) for c in tuoguan)
    planned = {c.name: c.planned_count for c in pack.centers}
    assert planned["乡镇为农服务综合体"] == 40


def test_institutions_existing_and_planned_as_the_document_says(pack):
    by_name = {i.name: i for i in pack.institutions}
    assert by_name["县域供销综合集配中心"].status == "planned" and by_name["县域供销综合集配中心"].count == 3
    assert by_name["为农服务中心"].status == "existing"
    assert "membership" in by_name["基层供销合作社（基层社）"].roles
    for name in ("土地股份合作社", "“聊·胜一筹”", "茌平区供联汇通农产品交易平台", "农村综合服务社", "“中央厨房”龙头企业",
                 "山东省农业发展信贷担保有限责任公司聊城管理中心"):
        assert name in by_name, name


def test_financial_products_are_stated_facts_with_kinds(pack):
    kinds = {p.kind for p in pack.loan_products}
    assert {"credit", "guarantee", "insurance", "fund"} <= kinds
    for p in pack.loan_products:
        assert p.bank == PLACEHOLDER and p.amount_max_yuan is None and not p.documents   # none stated


def test_targets_have_years_and_units(pack):
    keys = [t.key for t in pack.targets]
    assert len(keys) == len(set(keys))
    values = {t.key: t.values for t in pack.targets}
    assert values["tuoguan_share"] == {"2025": "四分之一"}
    assert values["distribution_hubs"] == {"2021": 1, "2025": 3}
    assert values["farmer_cooperatives"] == {"2025": "50%"}
    for t in pack.targets:
        assert t.unit and all(k.isdigit() or k == "每年" for k in t.values)


def test_faq_covers_every_clause_of_the_document(pack, doc_text):
    assert 30 <= len(pack.faq) <= 50
    cited = {part for e in pack.faq for part in _section_parts(e.source.section)}
    items = {c for c in _clauses(doc_text) if re.search(r"\d$", c) or c.startswith("四（") or c in "一二"}
    assert items <= cited, sorted(items - cited)
    assert all(e.keywords for e in pack.faq)


def test_every_listed_question_finds_its_own_entry(pack):
    for entry in pack.faq:
        for question in entry.questions:
            found = answer(pack, question)
            assert found is not None and found.confident and found.entry.id == entry.id, question


@pytest.mark.parametrize("question,must_contain", [
    ("土地入股了以后分红咋算", "保底收益+盈余分红"),
    ("三化五统十服务到底是啥", "统一融资保险"),
    ("托管以后俺的地还是俺的吗", "不流转土地"),
    ("到2025年托管面积要到多少", "四分之一"),
    ("聊胜一筹是个啥", "聊·胜一筹"),
])
def test_paraphrased_policy_questions_reach_the_document(pack, question, must_contain):
    found = answer(pack, question)
    assert found is not None and found.confident and must_contain in found.entry.answer
    assert found.entry.source.doc == "003" and found.entry.source.section


def test_examples_are_the_countys_own_words(pack):
    ex = pack.info.examples
    assert find_townships(pack, ex.township)
    assert any(ex.org_name.startswith(c.name) for c in pack.counties)
    words = {w for c in pack.crops for w in [c.name, *c.aliases]} | {w for s in pack.services for w in [s.name, *s.aliases]}
    assert len(ex.requests) >= 3
    assert any(w in r for r in ex.requests for w in ("俺", "恁", "咋弄", "中不中", "明儿个"))
    assert any(w in r for r in ex.requests for w in words)
    assert not any(w in r for r in ex.requests for w in ("石宝", "柑橘", "忠县"))
