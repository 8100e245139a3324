"""Round 3, batch 3 mechanisms, on sentences of their own (not the dev batch's): a clause that tells what
usually happens or what someone said is story, not the ask; 还有人 is no side ask; a long message's progress
clause with no request of ours yields to the clause that asks; an advert's shape (a contact, a landline too,
beside a selling pitch); what the plan's bodies are, which, how two differ, whether the plan requires it."""
from __future__ import annotations

from datetime import date

import pytest

from intents import Understanding

TODAY = date(2026, 12, 7)
_CACHE: dict[str, Understanding] = {}


def intent(county: str, text: str) -> str:
    if county not in _CACHE:
        load_pack = pytest.importorskip("knowledge").load_pack
        _CACHE[county] = Understanding.from_pack(load_pack(county))
    return _CACHE[county].parse(text, today=TODAY).intent


@pytest.mark.parametrize("county, text, want", [
    # habitual story with a request form inside (找人), then the ask
    ("fengdu", "我家有八亩田，以前都是找人来犁的，今年人工太贵了。你们那里的化肥好多钱一包", "supplies"),
    # reported speech (他说) is story
    ("liaocheng", "俺在地里种了三十亩花生，今年长势不孬。邻居他说要找人来收，俺想问问恁这儿收不收花生", "sell_produce"),
    # 还有人 is "there is also someone", not a side ask
    ("jiangjin", "我种了二十亩柑橘，一直是自己打理的。听人家讲入了会的买农资有折扣还有人上门教技术。我想入会，要带啥子", "join_nonghelian"),
])
def test_story_clauses_do_not_ask(county, text, want):
    assert intent(county, text) == want


@pytest.mark.parametrize("county, text, want", [
    # nobody of ours was asked for anything: "没来" is the story of the buyers
    ("zhongxian", "我屋头今年橘子结得多，往年收橘子的老板早就来了。今年到现在都没来，橘子都快落了。你们晓得哪里有人收橘子不", "sell_produce"),
    # a request of ours was made (报的): still its progress
    ("nanchuan", "上个月报的飞防，到现在还没人来，咋回事", "check_status"),
])
def test_progress_in_a_story_needs_a_request_of_ours(county, text, want):
    assert intent(county, text) == want


@pytest.mark.parametrize("county, text", [
    ("fengdu", "本人有旋耕机微耕机出租，价格优惠，有需要的联系 0236 7012345"),
    ("jiangjin", "专业承接各类工程，一条龙服务，欢迎来电 15923456789"),
    ("liaocheng", "代办各类证件，价格实惠，联系电话 0635-8123456"),
])
def test_an_advert_is_a_contact_beside_a_selling_pitch(county, text):
    assert intent(county, text) == "out_of_scope"


@pytest.mark.parametrize("county, text, want", [
    # a farmer's own number and need is no advert
    ("fengdu", "我想托管二十亩水稻，电话13812345678", "book_tuoguan"),
    ("liaocheng", "俺想卖五千斤玉米，俺电话 0635-8123456", "sell_produce"),
    # a landline of a centre asked for stays a place
    ("zhongxian", "为农服务中心的座机是多少", "find_service_center"),
])
def test_a_contact_without_a_pitch_keeps_the_request(county, text, want):
    assert intent(county, text) == want


@pytest.mark.parametrize("county, text", [
    ("zhongxian", "农村综合服务社和为农服务中心有啥区别"),
    ("jiangjin", "基层供销社跟农民合作社是不是一回事"),
    ("fengdu", "综合服务社是干啥的，跟供销社一样不"),
    ("liaocheng", "村级供销社是干啥的"),
    ("nanchuan", "听说每个村都要有综合服务社，这是硬性规定吗"),
    ("jiangjin", "星级社是咋个评的"),
])
def test_what_the_plans_bodies_are_is_policy(county, text):
    assert intent(county, text) == "policy_faq"


@pytest.mark.parametrize("county, text, want", [
    ("fengdu", "你们这个号是干啥的", "greeting"),
    # after a plan question, a later clause asking where a centre is asks for a place …
    ("zhongxian", "听说县里要建为农服务中心，是真的吗？石宝镇那个服务中心在哪里", "find_service_center"),
    # … one that names a body again, without where/phone/hours, does not
    ("zhongxian", "听说县里要建为农服务中心，是真的吗？跟供销社有啥子不同", "policy_faq"),
])
def test_plan_questions_leave_the_account_and_places_alone(county, text, want):
    assert intent(county, text) == want
