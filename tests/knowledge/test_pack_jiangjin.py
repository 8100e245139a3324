"""江津 pack (doc 002, 江津区深入推进“三社”融合发展政策措施): true to its document, able to serve every form."""
from __future__ import annotations

import pytest

from knowledge import load_pack
from knowledge.faq import answer
from tests.knowledge.pack_truth import (
    FORM_ROLES, foreign_applicant_types, invented_figures, misrouted_variants, seed_text, unknown_sections,
)

PACK = load_pack("jiangjin")


def test_document_title_is_the_documents_own():
    (doc,) = PACK.info.documents
    assert doc.title in seed_text(PACK)
    assert doc.number is None          # the text carries no 文号: none is invented


def test_no_nonghelian_is_presented():
    assert "农合联" not in (PACK.info.bot_name or "")
    assert PACK.info.join is not None and "农合联" not in PACK.info.join.name
    assert not PACK.nonghelian


@pytest.mark.parametrize("role", [*FORM_ROLES, "recycling", "auction"])
def test_every_role_has_a_center(role):
    assert any(role in c.roles for c in PACK.centers), role


def test_crops_are_the_documents_key_industries():
    assert [c.name for c in PACK.crops] == ["粮油", "蔬菜", "花椒", "柑橘", "茶叶"]
    for s in PACK.services:
        assert set(s.crops) == {"粮油", "蔬菜", "花椒", "柑橘", "茶叶"}
    assert PACK.service("打药").name == "产中服务"


def test_recycling_and_auction_are_their_own_functions():
    assert PACK.service("农膜回收").role_name == "recycling"
    assert PACK.service("拍卖").role_name == "auction"
    assert PACK.service("代账").role_name == "bookkeeping"


def test_no_figure_absent_from_the_document():
    assert invented_figures(PACK, seed_text(PACK)) == []


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


def test_faq_covers_every_clause_of_the_document():
    cited = {part for e in PACK.faq for part in e.source.section.split("、")}
    for section in ["前言", "一（一）", "一（二）", "一（三）", "一（四）", "二（五）", "二（六）", "二（七）", "三（八）",
                    "四（九）", "四（十）"]:
        assert section in cited, section
    assert len(PACK.faq) >= 30


def test_faq_sections_are_the_documents_own_numbering():
    assert unknown_sections(PACK, seed_text(PACK)) == []


def test_every_question_variant_finds_its_own_entry():
    assert misrouted_variants(PACK) == []


def test_loan_applicants_are_the_forms_member_types():
    assert foreign_applicant_types(PACK) == []
