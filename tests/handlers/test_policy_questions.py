"""A question about the document is answered from it, even when it names a topic a form serves; a question it
does not answer is said to be unanswered, with no figure; a request put as a question still opens its form."""
from __future__ import annotations

import re

import pytest

MONEY = re.compile(r"\d[\d.,]*\s*(?:万元|亿元|元|万)|\d\s*%")


@pytest.fixture
def county(make_farmer, make_settings, database_url):
    def build(pack: str, openid: str = "oFarmerPolicy01"):
        return make_farmer(openid, make_settings(database_url=database_url, deliver_in_process=False, knowledge=pack))
    return build


def test_a_question_about_a_loan_fund_gets_the_figure_quoted_with_its_clause_not_the_loan_form(county):
    reply = county("fengdu").say("三社融合贷那个风险补偿金一共有好多钱哦")
    assert "600万元" in reply and "四（二）" in reply and "丰供发〔2022〕36号" in reply
    assert "身份" not in reply


def test_a_yes_no_question_about_tuoguan_is_answered_not_booked(county):
    reply = county("liaocheng").say("托管的话要不要把地流转出去")
    assert "不流转土地" in reply and "三（一）" in reply and "种的是什么" not in reply


def test_an_amount_the_document_does_not_give_is_said_to_be_unanswered_with_no_figure(county):
    reply = county("nanchuan").say("惠农贷一户最多能贷好多")
    assert "待补充" in reply and "转人工" in reply and not MONEY.search(reply)


def test_who_the_document_names_is_answered_not_handed_to_a_person(county):
    farmer = county("nanchuan")
    reply = farmer.say("试点领导小组的组长是谁")
    assert "分管副区长为组长" in reply and farmer.tickets() == []


def test_a_request_put_as_a_question_still_opens_its_form(county):
    reply = county("zhongxian").say("能不能帮我预约一下柑橘打药")
    assert "文件原文" not in reply and ("亩" in reply or "哪天" in reply or "乡镇" in reply)
