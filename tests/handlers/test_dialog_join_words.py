"""Joining in the farmer's own words (round 4): a 分会 joined, 签约服务 where the county's join is 签约, who the
farmer is said after a join offer, an organisation's registered name after 叫, a labelled credit code said
mid-form, a township said to a clarifying question, and an area that says which form is meant."""
from __future__ import annotations

import pytest

from bot.dialog.cues import introduced_applicant


@pytest.fixture
def county(make_farmer, make_settings, database_url):
    def build(pack: str, openid: str = "oFarmerJoinWords"):
        return make_farmer(openid, make_settings(database_url=database_url, deliver_in_process=False, knowledge=pack))
    return build


def _finish(farmer, lines):
    for line in lines:
        farmer.say(line)
    farmer.say("确认")
    return farmer.records("members")


@pytest.mark.parametrize("opening, industry", [("我养猪的，想进那个生猪产业分会", "生猪"), ("想加柑橘分会", "柑橘")])
def test_joining_a_branch_opens_the_join_form_with_the_branch(county, opening, industry):
    farmer = county("zhongxian")
    (member,) = _finish(farmer, [opening, "个人", "冉茂林", "洋渡镇", "13911110005"])
    assert (member.name, member.township, member.phone) == ("冉茂林", "洋渡镇", "13911110005")
    assert industry in (member.industry_nonghelian or "")


def test_signing_up_where_the_county_joins_by_signing_offers_the_join_form(county):
    farmer = county("fengdu")
    reply = farmer.say("签约服务咋个弄")
    assert "回复" in reply and farmer.records("members") == []
    (member,) = _finish(farmer, ["农户", "我叫秦大贵", "三合街道", "13911110011"])
    assert (member.member_type, member.name, member.township) == ("农户", "秦大贵", "三合街道")


def test_saying_who_one_is_after_a_join_offer_starts_the_form(county):
    farmer = county("zhongxian")
    farmer.say("农合联怎么入嘛")
    farmer.say("我屋头种了十几亩柑橘，就自己种")
    (member,) = _finish(farmer, ["谭光明", "拔山镇", "13911110001", "不加入"])
    assert (member.member_type, member.name, member.township) == ("农户", "谭光明", "拔山镇")
    assert farmer.records("bookings") == []


@pytest.mark.parametrize("text, name", [
    ("家庭农场，营业执照上叫忠县双桂黄家柑橘家庭农场", "忠县双桂黄家柑橘家庭农场"),
    ("我们合作社名字是忠县洋渡生猪养殖专业合作社", "忠县洋渡生猪养殖专业合作社"),
    ("我叫王大明，种水稻的", "王大明"), ("是家庭农场", None)])
def test_an_applicant_is_named_after_a_naming_word(text, name):
    assert introduced_applicant(text) == name


def test_a_registered_name_said_with_the_member_type_is_kept(county):
    farmer = county("zhongxian")
    farmer.say("想入会")
    (member,) = _finish(farmer, ["家庭农场，营业执照上叫忠县双桂黄家柑橘家庭农场", "双桂", "电话13911110003",
                                 "不加入"])
    assert (member.member_type, member.name) == ("家庭农场", "忠县双桂黄家柑橘家庭农场")


def test_a_labelled_credit_code_mid_join_is_no_loan_request(county):
    farmer = county("jiangjin")
    (member,) = _finish(farmer, ["合作社想加入基层供销社", "江津区吴滩花椒种植专业合作社",
                                 "信用代码93500116MA5YX7QK2P", "吴滩", "13911110022"])
    assert member.name == "江津区吴滩花椒种植专业合作社" and member.township == "吴滩镇"
    assert farmer.records("loan_requests") == []


def test_an_area_says_which_form_and_a_township_waits_for_the_choice(county):
    farmer = county("nanchuan")
    farmer.say("我想耕地，15亩")
    for line in ["三泉", "下个礼拜", "电话13911110050", "确认"]:
        farmer.say(line)
    (booking,) = farmer.records("bookings")
    assert (booking.township, float(booking.area_mu), booking.phone) == ("三泉镇", 15.0, "13911110050")
