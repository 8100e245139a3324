"""Policy questions reach the document's own words: clauses.yaml is the document clause by clause, a question
finds the sentence that holds its answer (quoted as it stands), and a question the document does not answer
gets no figure.

The questions here are generated from the clauses themselves, by a rule unlike the hand-written dev set in
bench/data/policy_dev.jsonl that the retrieval was tuned on: held out by construction."""
from __future__ import annotations

import re
import shutil

import pytest
import yaml

from handlers.policy_faq import lookup
from knowledge import load_pack
from knowledge.check import check_pack
from knowledge.clauses import parse
from knowledge.coverage import seeds_dir
from knowledge.document import best_quote, sentences

PACKS = ["zhongxian", "fengdu", "jiangjin", "liaocheng", "nanchuan"]
FIGURE = re.compile(r"(\d+(?:\.\d+)?)\s*(个|家|处|名)")
LEADS = re.compile(r"^(?:[（(][一二三四五六七八九十]+[）)]|\d+\s*[.．])?\s*(?:[^，,。]*?[：:])?(?:力争|到\d{4}年(?:底前?)?|在全[县区市]|全[县区市]|，|,)*")
MONEY = re.compile(r"\d[\d.,]*\s*(?:万元|亿元|元)|\d[\d.]*\s*[%％]")


def _generated_count_questions(pack) -> list[tuple[str, str]]:
    """(question, figure) from every body sentence that states a count: the phrase before the figure, asked as a
    farmer would ("…要搞好多个"), with the year and clause numbering left out."""
    out = []
    for clause in pack.clauses:
        if clause.section.startswith("附件"):
            continue
        for sentence in sentences(clause):
            for phrase in re.split(r"[，,；;。]", sentence):
                m = FIGURE.search(phrase)
                if not m or m.start() < 6:
                    continue
                subject = LEADS.sub("", phrase[:m.start()]).strip()
                if len(subject) >= 5:
                    out.append((f"{subject}要搞好多{m.group(2)}？", m.group(1) + m.group(2)))
    return out


def _said(found) -> str:
    if found is None:
        return ""
    return (found.quote.text if found.quote else "") + (found.faq.entry.answer if found.faq else "")


@pytest.mark.parametrize("pack_name", PACKS)
def test_a_count_asked_in_other_words_finds_the_sentence_that_states_it(pack_name):
    pack = load_pack(pack_name)
    questions = _generated_count_questions(pack)
    assert len(questions) >= 3
    # The document's sentence holds the figure, or (a subject the plan counts twice: 2024 and 2027) the subject
    # with a count; what the farmer is told (quote or FAQ entry) too.
    def holds(said: str, figure: str, q: str) -> bool:
        said = said.replace(" ", "")
        return figure in said or q[:4] in said and bool(FIGURE.search(said))

    found = [q for q, figure in questions
             if holds(getattr(best_quote(pack, q), "text", ""), figure, q) and holds(_said(lookup(pack, q)), figure, q)]
    assert len(found) / len(questions) >= 0.8, sorted(set(q for q, _ in questions) - set(found))


@pytest.mark.parametrize("pack_name", PACKS)
def test_an_amount_of_money_the_document_does_not_give_is_never_answered_with_a_figure(pack_name):
    pack = load_pack(pack_name)
    text = "".join(c.text for c in pack.clauses)
    topics = {c.title[-5:] for c in pack.clauses if len(c.title) >= 5}
    asked = 0
    for topic in sorted(topics):
        for form in ("{}一个月补贴好多钱", "{}的贷款利率是多少", "{}要交好多会费"):
            question = form.format(topic)
            found = lookup(pack, question)
            said = "" if found is None else (found.quote.text if found.quote else found.faq.entry.answer)
            asked += 1
            # A money figure only when the document has one for it: every figure said is in the document.
            for figure in MONEY.findall(said):
                assert figure in text, (question, said)
            if found is not None and found.quote is not None:
                assert MONEY.search(found.quote.text), (question, found.quote.text)
    assert asked >= 9


@pytest.mark.parametrize("pack_name", PACKS)
def test_every_clause_is_quoted_word_for_word_from_the_seed(pack_name):
    pack = load_pack(pack_name)
    for doc in pack.info.documents:
        seed = seeds_dir() / doc.file
        if not seed.exists():
            pytest.skip("seed documents not at hand")
        flat = "".join(line.strip() for line in seed.read_text(encoding="utf-8").splitlines())
        for clause in (c for c in pack.clauses if c.doc == doc.id and not c.section.startswith("附件")):
            for sentence in sentences(clause):
                assert sentence in flat, (clause.section, sentence)


def test_a_heading_goes_with_its_sentence_and_a_broken_line_is_joined():
    text = "一、总体要求\n（一）安排部署阶段（2022年7月至9月）。成立领导小组，制定方\n案。\n附件1\n\t序号\n\t名称\n1\n\t甲\n\t乙\n"
    clauses = parse(text)
    assert [c.section for c in clauses] == ["一、", "一（一）", "附件1"]
    assert clauses[1].text() == "（一）安排部署阶段（2022年7月至9月）。成立领导小组，制定方案。"
    assert clauses[2].text().split("\n") == ["序号 名称", "1 甲 乙"]


def test_a_quote_is_one_sentence_of_the_clause_not_the_whole_clause():
    pack = load_pack("fengdu")
    quote = best_quote(pack, "风险补偿金安排了好多")
    assert quote is not None and "600万元" in quote.text and quote.clause.section == "四（二）"
    assert "营造良好环境" not in quote.text and len(quote.text) < len(quote.clause.text)


@pytest.fixture
def copy(tmp_path):
    dst = tmp_path / "fd"
    shutil.copytree(load_pack("fengdu").path, dst)
    return dst


def test_check_fails_a_pack_without_its_clauses(copy):
    (copy / "clauses.yaml").unlink()
    assert any("has no clauses" in str(p) for p in check_pack(copy).errors)


def test_check_fails_clauses_that_differ_from_the_seed(copy):
    if not (seeds_dir() / load_pack("fengdu").info.documents[0].file).exists():
        pytest.skip("seed documents not at hand")
    data = yaml.safe_load((copy / "clauses.yaml").read_text(encoding="utf-8"))
    data["clauses"][5]["text"] = data["clauses"][5]["text"].replace("15个", "25个")
    (copy / "clauses.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert any("not what the seed document says" in str(p) for p in check_pack(copy).errors)


@pytest.mark.parametrize("pack_name", PACKS)
def test_coverage_reads_the_packs_own_clauses_without_the_seed_files(pack_name, tmp_path):
    from knowledge.coverage import coverage

    (found,) = coverage(load_pack(pack_name), tmp_path)   # an empty folder: no seed file at hand
    assert len(found.leaves) >= 10 and found.covered
