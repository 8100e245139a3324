"""Answers that land where they belong: a bare name given to another question, facts said before a form
opens, a list slot said again, who the farmer is beside what they join, a question back that is no skip,
a sentence that is no name, a voice message unheard twice that is not the same reply twice."""
from __future__ import annotations

import pytest

from bot.dialog.cues import is_question, member_type_is_wanted_thing, skips
from handlers.forms import member_type_of_name, person_name, read_name
from knowledge.loader import load_pack

PACK = load_pack("zhongxian")


@pytest.mark.parametrize("text, wanted", [
    ("我想加入合作社", True), ("我是石门镇种花椒的，想加入花椒合作社", True),
    ("加入农合联，我是汝溪的种植大户", False), ("我们合作社想加入农合联", False), ("俺们家庭农场想加入供销社", False)])
def test_the_thing_joined_is_not_who_the_farmer_is(text, wanted):
    assert member_type_is_wanted_thing(text) is wanted


@pytest.mark.parametrize("text", ["能的话我就入", "不晓得填啥子名字", "我想问下", "农民合作社"])
def test_a_sentence_or_a_kind_of_farmer_is_no_name(text):
    assert read_name(text, PACK) is None


@pytest.mark.parametrize("text, name", [("周志强", "周志强"), ("我叫王秀英", "王秀英"), ("石宝", None), ("不加入分会", None),
                                        ("确认", None), ("好的谢谢", None)])
def test_a_persons_name_alone(text, name):
    assert person_name(text, PACK) == name


@pytest.mark.parametrize("name, kind", [("东溪镇东溪村股份经济合作社", "村集体"), ("洋渡生猪专业合作社", "农民合作社"),
                                        ("官坝蜜柚家庭农场", "家庭农场")])
def test_an_organisations_name_says_its_kind(name, kind):
    assert member_type_of_name({"name": name}, PACK) == kind


@pytest.mark.parametrize("text", ["利息高不高", "你们有机子没得", "一亩好多钱", "入会要交会费不"])
def test_a_question_back_is_neither_an_answer_nor_a_skip(text):
    assert is_question(text) and not skips(text)


def test_a_bare_name_given_to_another_question_is_the_name(farmer):
    assert "身份" in farmer.say("我想加入农合联")
    reply = farmer.say("周志强")
    assert "周志强" in reply and "贵姓" not in reply
    for text in ("13800138101", "石宝", "不用"):
        farmer.say(text)
    farmer.say("确认")
    (member,) = farmer.records("members")
    assert (member.name, member.member_type, member.phone) == ("周志强", "农户", "13800138101")


def test_a_name_skipped_then_said_later_is_kept(farmer):
    farmer.say("想入会")
    farmer.say("农户")
    farmer.say("不晓得")          # the name question: skipped
    farmer.say("王秀英")          # said anyway, to the phone question
    for text in ("13800138102", "任家", "不用", "确认"):
        farmer.say(text)
    (member,) = farmer.records("members")
    assert member.name == "王秀英"


def test_facts_said_before_the_request_carry_into_the_form(farmer):
    farmer.say("你好，我是石宝镇的，电话13800138103")
    reply = farmer.say("我们合作社要代账")
    assert "石宝" in reply
    for text in ("忠县石宝柑橘专业合作社", "不晓得", "30张", "记账"):
        reply = farmer.say(text)
    assert "请核对" in reply and "13800138103" in reply and "石宝镇" in reply


def test_the_work_named_again_adds_to_what_was_named_first(farmer):
    farmer.say("合作社想找服务中心代理记账")   # 记账 read from the request
    farmer.say("忠县石宝柑橘专业合作社")
    farmer.say("不晓得")
    reply = farmer.say("记账报税")             # said to the vouchers question
    for text in ("30张", "石宝", "13800138104"):
        if "请核对" not in reply:
            reply = farmer.say(text)
    farmer.say("确认")
    (request,) = farmer.records("bookkeeping_requests")
    assert set(request.service.split("、")) == {"记账", "报税"}


def test_a_side_question_mid_form_is_answered_and_the_question_comes_back(farmer):
    farmer.say("我想加入农合联")
    reply = farmer.say("入会要交会费不")
    assert "身份" in reply  # the pending question again, after the answer
    farmer.say("农户")
    assert farmer.records("members") == []


def test_a_voice_unheard_twice_is_not_the_same_reply_twice(farmer):
    farmer.say("我们合作社要代账")
    first = "\n".join(farmer.send(farmer.inbound(kind="voice", media_id="m1")).replies)
    second = "\n".join(farmer.send(farmer.inbound(kind="voice", media_id="m2")).replies)
    assert first != second and "全称" in second


def test_a_value_said_again_is_acknowledged_and_the_question_stays(farmer):
    farmer.say("我想加入农合联")
    farmer.say("农户")
    farmer.say("谭国华")
    farmer.say("13800138105")
    farmer.say("石宝")
    reply = farmer.say("石宝镇")  # known already: said so, not "没看明白"
    assert "没看明白" not in reply and "石宝镇" in reply


def test_the_work_changed_after_submitting_changes_the_record(farmer):
    for text in ("我们合作社要代账", "忠县石宝柑橘专业合作社", "不晓得", "20张", "年报", "石宝", "13800138106", "确认"):
        farmer.say(text)
    (request,) = farmer.records("bookkeeping_requests")
    assert request.service == "年报公示"
    farmer.say("改成记账和年报")
    (request,) = farmer.records("bookkeeping_requests")
    assert set(request.service.split("、")) == {"记账", "年报公示"}


@pytest.fixture
def county(make_farmer, make_settings, database_url):
    def build(pack: str, openid: str = "oFarmerCarry01"):
        return make_farmer(openid, make_settings(database_url=database_url, deliver_in_process=False, knowledge=pack))
    return build


@pytest.mark.parametrize("pack, text", [("fengdu", "我想当社员"), ("liaocheng", "俺们村的基层社能入不"),
                                        ("nanchuan", "我们想成立合作社"), ("jiangjin", "入个社要得不")])
def test_joining_in_the_countys_words_opens_its_join_form(county, pack, text):
    farmer = county(pack)
    reply = farmer.say(text)
    assert farmer.ctx.pack.info.join.name.split("（")[0] in reply


@pytest.mark.parametrize("text", ["合作社咋个入账", "帮我办合作社的代账"])
def test_accounts_are_not_joining(county, text):
    farmer = county("nanchuan")
    assert "入社" not in farmer.say(text).split("\n")[0]


@pytest.mark.parametrize("text", ["等我问下屋头的", "好麻烦哦", "就是那个嘛"])
def test_a_remark_or_a_deferral_is_no_purpose_and_no_name(text):
    from handlers.loan_products import _read_purpose

    assert _read_purpose(text, PACK) is None and read_name(text, PACK) is None


@pytest.mark.parametrize("text", ["买农机", "扩大养殖", "柑橘园改造"])
def test_a_use_of_the_money_is_a_purpose(text):
    from handlers.loan_products import _read_purpose

    assert _read_purpose(text, PACK) == text


@pytest.mark.parametrize("pack, absent", [("liaocheng", "代账"), ("zhongxian", None)])
def test_a_cancelled_form_lists_only_what_the_county_offers(county, pack, absent):
    farmer = county(pack, openid="oFarmerCancelMenu")
    farmer.say("我想贷款")
    reply = farmer.say("取消")
    assert "已取消" in reply and "托管" in reply and "贷款" in reply
    if absent:
        assert absent not in reply
    else:
        assert "代账" in reply


def test_a_form_the_county_does_not_list_is_taken_for_staff_and_said_plainly(county):
    # 聊城's document names no 代账: the request is recorded for a person to answer, nothing promised
    farmer = county("liaocheng", openid="oFarmerUnlisted")
    first = farmer.say("俺们合作社想找人代账")
    assert "没有写" in first and "待补充" in first
    farmer.say("临清市烟店镇红星土地股份合作社")
    farmer.say("13800138000")
    done = farmer.say("跳过")
    while "提交" not in done and "确认" in done:
        done = farmer.say("确认")
    assert "签约" not in done

