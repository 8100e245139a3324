"""Constructions of issue 15's round 2, one test per construction, in the packs they belong to: joining where
there is no 农合联 (the pack's join offer), plan questions, adverts of unrelated goods, insurance over 托管, an
order's days counted, accounts handed over, homophones of the words that decide a label, the target area.
The sentences are new ones, not the blind set's."""
from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from intents import Understanding
from intents.understanding import _programme_names

TODAY = date(2026, 12, 7)
_CACHE: dict[str, Understanding] = {}


def nlu(county: str) -> Understanding:
    if county not in _CACHE:
        load_pack = pytest.importorskip("knowledge").load_pack
        _CACHE[county] = Understanding.from_pack(load_pack(county))
    return _CACHE[county]


def intent(county: str, text: str) -> str:
    return nlu(county).parse(text, today=TODAY).intent


@pytest.mark.parametrize("county, text", [
    ("fengdu", "我是散户，想入你们那个专业合作社，要啥子手续"),
    ("jiangjin", "屋头有三亩果园，可不可以入股"),
    ("nanchuan", "听说可以组建合作社，我们五户想办一个，咋个弄"),
    ("liaocheng", "俺们村的地想以经营权入股，中不中"),
    ("fengdu", "合作社咋个入，要交股金不"),
    ("jiangjin", "我们联合社想跟区里的合作社服务中心签服务，找哪个"),
    ("liaocheng", "俺想入供销社，咋弄"),
    ("nanchuan", "我们合作社想跟服务中心签约，顺便问下年报能不能一起办"),
])
def test_joining_the_packs_body_is_join_where_there_is_no_nonghelian(county, text):
    assert intent(county, text) == "join_nonghelian"


@pytest.mark.parametrize("county, text, want", [
    ("fengdu", "合作社服务中心在哪里", "find_service_center"),
    ("liaocheng", "不是要入社，是想查一下俺交的申请", "check_status"),
    ("fengdu", "十几个社员的小合作社，代账一年要好多钱", "bookkeeping"),
])
def test_join_words_do_not_take_other_asks(county, text, want):
    assert intent(county, text) == want


def _stand_in(institutions, nonghelian=()):
    return SimpleNamespace(
        info=SimpleNamespace(join=SimpleNamespace(name="加入茶叶专业合作社", description="鼓励茶农入社")),
        institutions=[SimpleNamespace(name=n) for n in institutions], nonghelian=list(nonghelian),
        townships=[], crops=[], services=[], loan_products=[], programmes=[], intents={})


def test_the_join_vocabulary_comes_from_the_pack():
    # the rules' own vocabulary (the learned stage, trained on every pack, reads 入股 as joining anywhere)
    bare = Understanding.from_pack(SimpleNamespace(townships=[], crops=[], services=[], intents={}), learned=False)
    joined = Understanding.from_pack(_stand_in(["某某县茶叶专业合作社"]), learned=False)
    text = "我们几户想加入茶叶专业合作社，咋个弄"
    assert joined.parse(text).intent == "join_nonghelian"
    # without a join offer (or with a 农合联 to join) 入两股 decides nothing
    with_nhl = Understanding.from_pack(_stand_in(["某某县茶叶专业合作社"], nonghelian=[SimpleNamespace(name="农合联")]),
                                       learned=False)
    assert bare.parse("我想入两股").intent != "join_nonghelian"
    assert with_nhl.parse("我想入两股").intent != "join_nonghelian"
    assert joined.parse("我想入两股").intent == "join_nonghelian"


@pytest.mark.parametrize("county, text", [
    ("fengdu", "听说到2025年全县要建好多个综合服务社，是真的不"),
    ("nanchuan", "三社融合是啥子意思"),
    ("jiangjin", "村社共建是指啥子"),
    ("liaocheng", "听说县里要建为农服务中心，俺们乡有没有份"),
    ("zhongxian", "到2025年要发展多少个示范社"),
    ("zhongxian", "供销社的技术培训哪天开班"),
    ("fengdu", "合作社做农产品加工，所得税能不能免"),
])
def test_plan_questions_are_policy(county, text):
    assert intent(county, text) == "policy_faq"


def test_a_later_ask_outranks_the_plan_question():
    text = "手头差点钱，听说可以拿圈舍抵押贷款，是不是真的？能贷多少？"
    assert intent("zhongxian", text) == "loan_products"


def test_programme_names_are_cleaned_for_definitions():
    pack = SimpleNamespace(programmes=[SimpleNamespace(name="“村社共建”利益共同体", aliases=[]),
                                       SimpleNamespace(name="农业社会化服务支持（智慧农业等）", aliases=["双减"])])
    names = _programme_names(pack)
    assert "村社共建" in names and "农业社会化服务支持" in names and "双减" in names


@pytest.mark.parametrize("county, text, want", [
    ("fengdu", "长期收购废旧家电，上门回收，微信同号13800001111", "out_of_scope"),
    ("jiangjin", "转让二手收割机一台，九成新，价格面议，电话13511112222", "out_of_scope"),
    ("liaocheng", "出售二手电动三轮，八成新，有意者联系13600001111", "out_of_scope"),
    ("zhongxian", "我想在网上买个电动车，哪个牌子好", "out_of_scope"),
    # a farmer selling his own produce with his number is no advert
    ("zhongxian", "我有三千斤柑橘要出售，电话13800001111", "sell_produce"),
    ("nanchuan", "方竹笋收购价好多，电话13912341234", "sell_produce"),
])
def test_adverts_of_unrelated_goods_with_a_contact(county, text, want):
    assert intent(county, text) == want


@pytest.mark.parametrize("county, text, want", [
    ("zhongxian", "全托管的地出了灾能不能理赔", "loan_products"),
    ("fengdu", "托管了两百亩，想买个种植保险，咋个买", "loan_products"),
    ("liaocheng", "俺托管的麦子能上保险不", "loan_products"),
    ("zhongxian", "屋头老人的养老保险咋个交", "out_of_scope"),
    ("jiangjin", "示范社能贷好多钱", "loan_products"),
    ("nanchuan", "我想贷个十来万扩大茶园", "loan_products"),
])
def test_insurance_and_sums_to_borrow_are_loans(county, text, want):
    assert intent(county, text) == want


@pytest.mark.parametrize("county, text", [
    ("jiangjin", "上个礼拜订的有机肥，到今天都第六天了"),
    ("nanchuan", "化肥送到没有嘛，等了好几天了"),
    ("fengdu", "叫了好几天了，收割机还不来"),
])
def test_an_orders_days_counted_is_progress(county, text):
    assert intent(county, text) == "check_status"


@pytest.mark.parametrize("county, text", [
    ("zhongxian", "社里的账一团糟，能不能交给你们代理"),
    ("fengdu", "我们家庭农场想把财务托管出去，你们接不接"),
    ("nanchuan", "合作社的账乱得很，能不能交给你们帮到管"),
])
def test_accounts_handed_over_are_bookkeeping(county, text):
    assert intent(county, text) == "bookkeeping"


@pytest.mark.parametrize("county, text, want", [
    ("jiangjin", "我要头诉，你们的人收了钱不来", "human_agent"),
    ("nanchuan", "地模好多钱一卷，要十卷", "supplies"),
    ("zhongxian", "合作社报锐找哪个", "bookkeeping"),
    ("fengdu", "我想入合作射", "join_nonghelian"),
    ("liaocheng", "托管的地能买保现不", "loan_products"),
    ("fengdu", "要两瓶杀菌剂，柑橘上用", "supplies"),
])
def test_slips_of_decisive_words(county, text, want):
    assert intent(county, text) == want


def test_land_nobody_farms_taken_on_whole_is_a_booking():
    assert intent("zhongxian", "屋头的田没得人种了，你们能不能包起来种") == "book_tuoguan"
    # but nobody answering is a complaint, not land to farm
    assert intent("zhongxian", "打了好几次电话都没人接，你们到底有没有人管") == "human_agent"


@pytest.mark.parametrize("text, want", [
    ("从二十亩加到四十亩托管，能不能来", 40),
    ("今年托管想从30亩扩到50亩", 50),
    ("我有四十亩地，想先托管一部分", 40),
])
def test_the_area_a_message_changes_to_is_the_one_meant(text, want):
    assert nlu("zhongxian").parse(text, today=TODAY).slots.get("area_mu") == want


@pytest.mark.parametrize("text, want", [
    # a day the writer did something on is the past one (CONTRACT: relative to today)
    ("我前天交的申请，到哪一步了", "2026-12-05"),
    ("昨天报的机耕批了没", "2026-12-06"),
    ("上个月十号交的贷款申请", "2026-11-10"),
    ("十一月二十八号约的烘干，还没排上", "2026-11-28"),
    # a day to come stays ahead
    ("十二月二十号来收谷子", "2026-12-20"),
    ("五号来帮我打药", "2027-01-05"),
    # a month of a named year is kept as said
    ("明年十月来收玉米", "明年十月"),
])
def test_dates_said_in_the_past_and_months_of_a_year(text, want):
    assert nlu("zhongxian").parse(text, today=TODAY).slots.get("date") == want


@pytest.mark.parametrize("county, text, want", [
    # the contrast in the next clause negates the whole first clause, its own 是 included
    ("zhongxian", "不是问农合联是啥子，是我自己想入，在哪里报名", "join_nonghelian"),
    ("fengdu", "不是问托管是啥，是问我约的托管到哪一步了", "check_status"),
    ("zhongxian", "不要复合肥，要有机肥", "supplies"),
])
def test_a_contrast_in_the_next_clause_negates_the_first_whole(county, text, want):
    assert intent(county, text) == want


@pytest.mark.parametrize("text, want", [
    ("额度能不能从五万提到十万", 100000),
    ("原来贷了三万，想加到8万", 80000),
    ("想贷五万块买化肥，利息好多", 50000),
])
def test_the_sum_a_message_changes_to_is_the_one_meant(text, want):
    assert nlu("jiangjin").parse(text, today=TODAY).slots.get("amount_yuan") == want
