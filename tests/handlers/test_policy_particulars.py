"""Questions on an office's or a center's particulars (phone, street, hours, where it sits), on a name of a kind
(which bank), or with a typo heard by voice reach the document: its answer with its clause, or a plain "the
document does not give it" with a person offered — never only "您在哪个乡镇？"."""
from __future__ import annotations

import re

import pytest

FIGURE = re.compile(r"\d+(?:\.\d+)?\s*(?:万|亿|元|%|％|亩|个|家|户|处|名)")


@pytest.fixture
def county(make_farmer, make_settings, database_url):
    def build(pack: str, openid: str = "oFarmerParticulars01"):
        return make_farmer(openid, make_settings(database_url=database_url, deliver_in_process=False, knowledge=pack))
    return build


@pytest.mark.parametrize("pack, question", [
    ("zhongxian", "为农服务中心电话是好多"),
    ("liaocheng", "为农服务中心在哪条街"),
    ("nanchuan", "合作社服务中心几点上班"),
])
def test_a_phone_street_or_hours_the_document_does_not_give_is_said_unanswered_with_a_person_offered(county, pack,
                                                                                                    question):
    reply = county(pack).say(question)
    assert "待补充" in reply and "转人工" in reply and not FIGURE.search(reply)


@pytest.mark.parametrize("pack, question, fact, section", [
    ("liaocheng", "工作专班办公室设在哪", "市供销合作社", "四（一）"),
    ("fengdu", "试点领导小组办公室设在哪", "业务发展科", "四（一）"),
])
def test_where_an_office_sits_is_quoted_from_its_clause_not_a_township_asked_or_a_ticket(county, pack, question,
                                                                                        fact, section):
    farmer = county(pack)
    reply = farmer.say(question)
    assert fact in reply and section in reply and "您在哪个乡镇" not in reply and farmer.tickets() == []


def test_which_bank_is_answered_by_a_clause_naming_a_bank(county):
    reply = county("fengdu").say("想贷款找哪个银行")
    assert "农商行丰都支行" in reply and "二（七）" in reply


def test_who_leads_a_task_of_the_annex_table_is_read_from_its_column(county):
    reply = county("zhongxian").say("整村授信是哪个部门牵头搞")
    assert "牵头单位：县政府办公室（县金融办）" in reply and "附件3" in reply


def test_a_typo_heard_by_voice_still_finds_the_clause(county):
    reply = county("liaocheng").say("托官能上保险不")
    assert "专项保险产品" in reply and "四（二）" in reply


def test_investing_land_or_a_homestead_is_asked_of_the_document_not_a_membership_form(county):
    reply = county("nanchuan").say("闲着的宅基地能入股合作社不")
    assert "闲置宅基地入股" in reply and "您贵姓" not in reply


def test_a_planned_center_of_zhongxian_is_shown_as_the_plan_count_not_as_a_place(county):
    reply = county("zhongxian").say("石宝有没得服务站")
    assert "方案只定了数量" in reply and "10个" in reply and "具体地点还在确定" in reply


def test_an_faq_answer_carries_the_documents_own_words_from_the_clause_it_cites(county):
    reply = county("zhongxian").say("水稻全程托管先在哪些地方搞")
    assert "高标准农田建设、宜机化改造等集中连片区域" in reply and "三（三）" in reply


def test_who_leads_quotes_the_clauses_lead_line_beside_a_sentence_that_only_mentions_someone(county):
    reply = county("liaocheng").say("俺村想搞土地托管，这事儿归哪个部门牵头管？")
    assert "牵头单位：市供销合作社" in reply and "三（一）" in reply


def test_what_a_body_does_is_answered_not_a_plan_counting_it(county):
    reply = county("zhongxian").say("乡镇农合联是搞啥的")
    assert "组织实施" in reply and "二（四）" in reply


def test_the_countys_name_opening_a_question_does_not_pull_another_clause(county):
    reply = county("zhongxian").say("忠县农合联到底是个啥子组织哦？")
    assert "农村合作经济组织联合会" in reply and ("一、" in reply or "二（一）" in reply)
