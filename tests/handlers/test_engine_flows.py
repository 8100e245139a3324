"""The packs engine through the dialog: routing by 附件1.1, the farmer's latest word, policy answers, county menus."""
from __future__ import annotations

import pytest

from bot.records.models import ServiceCenter


def _center_name(farmer, center_id):
    with farmer.ctx.sessions() as session:
        return session.get(ServiceCenter, center_id).name


@pytest.mark.parametrize("township,center", [("洋渡镇", "乌杨街道为农服务中心"), ("永丰镇", "拔山镇为农服务中心"),
                                             ("磨子土家族乡", "东溪镇为农服务中心")])
def test_a_booking_goes_to_the_center_of_the_nonghelian_covering_the_township(farmer, township, center):
    farmer.say(f"我要给{township}30亩水稻打药")
    farmer.say("下周三")
    farmer.say("13800138000")
    farmer.say("确认")
    (booking,) = farmer.records("bookings")
    assert booking.township == township and _center_name(farmer, booking.center_id) == center


def test_the_township_said_wins_over_a_location_sent_before(farmer):
    farmer.send(farmer.inbound("location", lat=30.421264, lon=108.197104, label="石宝镇"))
    reply = farmer.say("新立镇有没有服务站")
    assert reply.startswith("离新立镇最近的服务点") and "新立镇为农服务中心" in reply.split("\n2.")[0]


def test_a_location_names_its_township_and_no_apology_for_a_missing_one(farmer):
    reply = "\n".join(farmer.send(farmer.inbound("location", lat=30.421264, lon=108.197104, label="石宝")).replies)
    if "服务点" in reply:    # a bare location answers with the centers near it
        assert "没有精确位置" not in reply


def test_planned_centers_are_stated_as_plans(farmer):
    reply = farmer.say("石宝镇的服务站在哪")
    assert "方案只定了数量" in reply and "具体地点还在确定" in reply and "石宝镇属石宝镇农村合作经济组织联合会" in reply


def test_policy_question_is_answered_with_wenhao_and_section(farmer):
    reply = farmer.say("为农服务中心是干啥的")
    assert "需求调查" in reply and "忠府办发〔2024〕42号" in reply and "二（二）" in reply


@pytest.mark.parametrize("pack", ["fengdu", "jiangjin", "liaocheng", "nanchuan"])
def test_other_counties_greet_in_their_own_words(make_farmer, dialog_settings, pack):
    farmer = make_farmer(settings=dialog_settings.model_copy(update={"knowledge": pack}))
    reply = farmer.say("你好")
    assert "忠县" not in reply and "石宝" not in reply
    assert farmer.ctx.pack.info.county[:2] in reply
