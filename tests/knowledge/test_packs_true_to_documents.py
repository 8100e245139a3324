"""Every county pack against its own seed document (one harness for the five packs: tests/knowledge/pack_truth.py).

What each test holds: the document is cited as it names itself, no figure is absent from it, every fact carries
its source, every clause is cited by some FAQ entry, every listed question variant reaches its own entry, and no
planned count is presented as a place. County-specific facts stay in test_pack_<county>.py.
"""
from __future__ import annotations

import pytest

from knowledge import load_pack
from knowledge.check import check_pack
from knowledge.coverage import coverage, seeds_dir
from tests.knowledge.pack_truth import (
    PACKS, foreign_applicant_types, invented_figures, misrouted_variants, seed_text, unknown_sections,
)

# The 文号 each document carries in its own text (江津's 通知 prints none: none is invented).
NUMBERS = {"zhongxian": "忠府办发〔2024〕42号", "fengdu": "丰供发〔2022〕36号", "jiangjin": None,
           "liaocheng": "聊政字〔2021〕16号", "nanchuan": "南川委农办〔2021〕15号"}


def _flat(text: str) -> str:
    return "".join(text.split())


@pytest.mark.parametrize("name", PACKS)
def test_the_document_is_cited_as_it_names_itself(name):
    pack = load_pack(name)
    text = _flat(seed_text(pack))
    for doc in pack.info.documents:
        assert _flat(doc.title) in text, doc.title
        assert doc.number == NUMBERS[name]
        assert doc.number is None or _flat(doc.number) in text


@pytest.mark.parametrize("name", PACKS)
def test_no_figure_absent_from_the_document(name):
    pack = load_pack(name)
    assert invented_figures(pack, seed_text(pack)) == []


@pytest.mark.parametrize("name", PACKS)
def test_every_fact_has_its_source(name):
    report = check_pack(name)
    assert report.ok and report.unsourced == [], [str(p) for p in report.errors]


@pytest.mark.skipif(not seeds_dir().exists(), reason="the county documents (../shared/seeds) are not here")
@pytest.mark.parametrize("name", PACKS)
def test_every_clause_of_the_document_is_cited_by_some_faq_entry(name):
    for doc in coverage(load_pack(name)):
        assert set(doc.leaves) - set(doc.covered) == set(), doc.title


@pytest.mark.parametrize("name", PACKS)
def test_every_listed_question_variant_finds_its_own_entry(name):
    assert misrouted_variants(load_pack(name)) == []


@pytest.mark.parametrize("name", ["fengdu", "jiangjin", "nanchuan"])   # 忠县/聊城 also cite 附件 and named parts
def test_faq_sections_are_the_documents_own_numbering(name):
    pack = load_pack(name)
    assert unknown_sections(pack, seed_text(pack)) == []


@pytest.mark.parametrize("name", [n for n in PACKS if n != "liaocheng"])   # 聊城's products are for 供销社, not farmers
def test_loan_applicants_are_the_forms_member_types(name):
    assert foreign_applicant_types(load_pack(name)) == []


@pytest.mark.parametrize("name", PACKS)
def test_planned_counts_are_plans_without_an_address(name):
    for c in load_pack(name).centers:
        if c.planned_count is not None or c.status == "planned":
            assert c.status == "planned" and c.address == "待补充", c.code
