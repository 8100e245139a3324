"""Constructions of issue 15 items 1-4 (brief wt-nlu): the asking clause of a long message, other topics,
set-aside negation, and slots read against the intent. One sentence per construction, new ones, not the
dev batches' (tests/data/nlu_dev_r7_nlu.jsonl)."""
from __future__ import annotations

from datetime import date

import pytest

from intents import Understanding

TODAY = date(2026, 12, 8)   # a Tuesday
_CACHE: dict[str, Understanding] = {}


def nlu(county: str) -> Understanding:
    if county not in _CACHE:
        load_pack = pytest.importorskip("knowledge").load_pack
        _CACHE[county] = Understanding.from_pack(load_pack(county))
    return _CACHE[county]


def parse(county: str, text: str):
    return nlu(county).parse(text, today=TODAY)


# --- long messages: the clause that asks -------------------------------------------------------------------
@pytest.mark.parametrize("county, text, want", [
    # what was heard goes on in the next clause until a question is put; "where" is asked of the place named
    ("fengdu", "我住在虎威，听邻居说街上有个服务社，可以买种子也可以交话费，就是不晓得在哪个位置", "find_service_center"),
    # a question someone else put to the writer is told, not asked
    ("jiangjin", "我在街上开了个小店，常有人问我哪里买得到正宗的农药，你们在油溪有没有点", "find_service_center"),
    # hearsay about the plan + is it true: a plan question even when it names a service
    ("liaocheng", "俺们村主任说，入了供销社的托管，地就归供销社了，是真的还是假的", "policy_faq"),
    # progress after another topic, with no word to us, is that topic's
    ("nanchuan", "前年在砖厂干了三个月零工，说好过年结账，结果老板跑了，这个钱找哪个要", "out_of_scope"),
    # a request whose verb echoes a topic named before (年报 … 帮我报)
    ("zhongxian", "我们家庭农场去年的年报还没弄，听说不报要上黑名单，我什么都不懂，你们能帮我报不", "bookkeeping"),
    # a body named without where/when yields to the clause that names the need
    ("fengdu", "去年在街上买到假种子，今年想在你们供销社买，有没有玉米种子，好多钱一斤", "supplies"),
    # a bare 是咋回事 after a story follows its topic; nobody in touch / still not received is progress
    ("zhongxian", "上个月在这里申请了入会，说是一个礼拜就有结果，到现在也没人联系我，是咋回事", "check_status"),
    ("liaocheng", "俺上礼拜在恁这儿约了机收，到现在合同还没拿到，是咋回事", "check_status"),
    # the loss is yours / someone to take charge: a complaint
    ("jiangjin", "你们的人来打的药把我的花椒树打死了几棵，这个损失你们得赔", "human_agent"),
    ("nanchuan", "送来的化肥袋子全是破的，送货的说不关他的事，总要有个人出来管一下嘛", "human_agent"),
    # labour as a cost is no 人工 (human agent)
    ("zhongxian", "今年橘子要摘了，人工太难请，听说你们有服务队，能不能安排人来", "book_tuoguan"),
    # the means asked for at the end of the clause
    ("fengdu", "想建个烘干房，要二十万，自己凑了八万，剩下的能不能在你们这里贷", "loan_products"),
])
def test_long_message_asking_clause(county, text, want):
    assert parse(county, text).intent == want


# --- other topics, by kind -----------------------------------------------------------------------------------
@pytest.mark.parametrize("county, text", [
    ("zhongxian", "帮我查下去万州的轮船几点开"),                       # travel
    ("fengdu", "我在网上买的鞋子尺码不对，商家不给换"),                # online purchase
    ("jiangjin", "我想请个律师，隔壁把我家的路堵了"),                  # law and disputes
    ("nanchuan", "屋顶漏雨了，哪里找人来修"),                          # household repair
    ("liaocheng", "俺的银行卡余额咋查"),                               # personal banking
    ("zhongxian", "孙女下个月结婚，县城哪家饭店办酒好"),               # life events
    ("fengdu", "周末想带孙子出去耍，丰都哪里好玩"),                    # leisure
    ("jiangjin", "我咳嗽好几天了，附近有没有诊所"),                    # health
    ("nanchuan", "想学个电焊，南川有没有技校"),                        # trades
    ("liaocheng", "社区拼团，水果便宜，进群领优惠券"),                  # group-buying adverts
])
def test_other_topics_are_out_of_scope(county, text):
    p = parse(county, text)
    assert p.intent == "out_of_scope" and not p.actionable


@pytest.mark.parametrize("county, text, want", [
    ("jiangjin", "不是要去服务站，是想直接在网上买化肥", "supplies"),   # 网上买 + a farm input stays ours
    ("zhongxian", "贷款逾期了会怎么样", "loan_products"),              # a loan's own trouble stays ours
])
def test_messy_requests_stay_in_scope(county, text, want):
    assert parse(county, text).intent == want


# --- negation: set aside, and whose -------------------------------------------------------------------------
@pytest.mark.parametrize("county, text, want", [
    ("nanchuan", "托管先不说，我想问下惠农贷咋个申请", "loan_products"),
    ("fengdu", "贷款的事先放一放，我想先约个机耕", "book_tuoguan"),
    ("liaocheng", "俺不要恁的种子，俺就想约个深松", "book_tuoguan"),   # whose, not what kind: still refused
])
def test_set_aside_and_whose_refuse(county, text, want):
    assert parse(county, text).intent == want


# --- slots read against the intent --------------------------------------------------------------------------
@pytest.mark.parametrize("county, text", [
    ("zhongxian", "服务中心星期六开门不"),                      # a weekday said to a center is its hours
    ("fengdu", "年底了，屋头几头猪想卖，你们晓得哪里收不"),       # a scene set apart (年底了，…)
    ("jiangjin", "农合联是搞什么的，明年还有没有"),              # plan questions take no date
    ("nanchuan", "我种了十来年茶叶，想入社"),                    # 十来年 = about ten years
    ("liaocheng", "俺儿说今天都星期二了，那个事办没办"),          # the day it is now, told of a wait
])
def test_no_date_where_the_intent_takes_none(county, text):
    assert "date" not in parse(county, text).slots


@pytest.mark.parametrize("county, text, want", [
    ("zhongxian", "明年开春想把三十亩田托管出去", "明年开春"),   # a booking keeps a vague date as text
    ("zhongxian", "下个礼拜", "下个礼拜"),                      # a bare answer keeps its date
    ("fengdu", "月初交的入会申请，批了没有", "2026-12-01"),      # 月初交的: past
    ("jiangjin", "5号报的烘干，还没排上", "2026-12-05"),         # this month's 5th, not last month's
])
def test_dates_kept(county, text, want):
    assert parse(county, text).slots.get("date") == want


@pytest.mark.parametrize("county, text", [
    ("fengdu", "农业保险有哪些"), ("jiangjin", "贷款贴息门槛高不高"), ("nanchuan", "低息贷款能贷好多"),
])
def test_a_kind_of_product_fills_no_product(county, text):
    p = parse(county, text)
    assert p.intent == "loan_products" and "product" not in p.slots


def test_a_named_product_is_filled_and_its_words_are_not_the_writer():
    p = parse("nanchuan", "惠农合作社保险一年交好多")
    assert p.slots.get("product") == "惠农合作社保险" and "member_type" not in p.slots


def test_one_crops_own_work_follows_the_message_crop():
    p = parse("jiangjin", "我有三十亩花椒，想请人来剪枝")
    assert p.slots.get("service") == "花椒修剪"


@pytest.mark.parametrize("text", ["想买点玉米种子", "俺要买点棒子种"])
def test_buying_some_is_no_sowing_service(text):
    assert "service" not in parse("liaocheng", text).slots


@pytest.mark.parametrize("text", ["大棚一亩要一万多，想贷款", "把几个社捏到一块搞"])
def test_unit_prices_and_together_are_no_amount(text):
    assert "amount_yuan" not in parse("zhongxian", text).slots


def test_a_price_is_asked_of_the_need_not_the_body():
    text = "果园要补一批树苗，两百株左右，听说你们供销社统一采购，价格能不能便宜点"
    assert parse("jiangjin", text).intent == "supplies"


def test_asking_a_buyer_is_no_harvest_booking():
    p = parse("fengdu", "不是要你们来收割，我是问你们收不收菜籽")
    assert p.intent == "sell_produce" and "service" not in p.slots
