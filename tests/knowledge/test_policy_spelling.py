"""The question in the pack's spelling (voice homophones, typing slips) and a table row read with its columns."""
from __future__ import annotations

import pytest

from knowledge import load_pack
from knowledge.document import answers_kind, sentences
from knowledge.faq import in_pack_spelling
from handlers.forms import read_org_name


@pytest.mark.parametrize("pack, said, meant", [
    ("zhongxian", "托官能上保险不", "托管能上保险不"),
    ("fengdu", "俺是小农户，能入合做社不", "俺是小农户，能入合作社不"),
    ("nanchuan", "惠农带款是啥子", "惠农贷款是啥子"),
    ("jiangjin", "风险补尝资金啥时候能解决", "风险补偿资金啥时候能解决"),
])
def test_a_homophone_of_a_pack_term_is_read_in_the_pack_spelling(pack, said, meant):
    assert in_pack_spelling(load_pack(pack), said) == meant


@pytest.mark.parametrize("pack, question", [
    ("jiangjin", "风险补偿资金一共有好多钱"),         # 一共 is no 益共 (利益共同体)
    ("fengdu", "区域性为农服务中心建设是依据哪个指导意见"),  # 建设 is a word the pack writes
    ("liaocheng", "我家在石宝镇想预约机收"),
    ("nanchuan", "惠农合作社保险一年保费多少"),         # 保费 is no 年报
    ("liaocheng", "秸秆回收一吨给多少钱"),
])
def test_words_spelt_right_are_left_alone(pack, question):
    assert in_pack_spelling(load_pack(pack), question) == question


def test_an_annex_task_row_names_its_lead_and_responsible_units():
    pack = load_pack("zhongxian")
    annex = next(c for c in pack.clauses if c.section == "附件3")
    row = next(s for s in sentences(annex) if "整村授信" in s)
    assert row == "推进“整村授信”。牵头单位：县政府办公室（县金融办）；责任单位：人行万州分行、县农业农村委、县金融监管局。"


def test_a_group_heading_read_into_a_row_is_left_out():
    pack = load_pack("zhongxian")
    annex = next(c for c in pack.clauses if c.section == "附件2")
    assert all("重大" not in s.split("。")[-2] for s in sentences(annex))


def test_asked_which_bank_an_answer_naming_none_does_not_answer():
    assert not answers_kind("想贷款找哪个银行", "方案积极引导国有农业担保、保险等机构参与试点。")
    assert not answers_kind("找哪个银行", "支持政府性融资担保、政策性农业保险、银行机构服务协同。")
    assert answers_kind("想贷款找哪个银行", "支持农商行丰都支行等金融机构开展农村普惠金融服务。")


@pytest.mark.parametrize("said", ["东昌府区", "临清市烟店镇", "石宝镇"])
def test_a_place_alone_is_no_organisation_name(said):
    assert read_org_name(said, load_pack("liaocheng")) is None


def test_an_organisation_named_after_its_place_is_still_a_name():
    assert read_org_name("东昌府区某某土地托管专业合作社", load_pack("liaocheng")) == "东昌府区某某土地托管专业合作社"


def test_how_much_one_may_borrow_is_not_answered_by_a_funds_size():
    assert not answers_kind("三社融合贷一户最多能贷好多", "县里统筹安排“三社融合贷”风险补偿金600万元，扩大信贷投放规模。")
    assert answers_kind("三社融合贷的风险补偿金有好多钱", "县里统筹安排“三社融合贷”风险补偿金600万元。")
