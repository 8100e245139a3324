"""Whole conversations through POST /wechat (signed, AES-encrypted as WeChat sends them), with
the records they create read back through `nongbot export`."""
from __future__ import annotations

from handlers.bookkeeping import credit_code_check_char
from tests.e2e.conftest import AES, APPID, TOKEN

BOOKING_FIELDS = ("crop", "service", "area_mu", "township", "date", "phone", "center", "status")


def _talk(phone, *texts: str) -> list[str]:
    return [phone.text(t).text for t in texts]


def test_tuoguan_booking_in_three_messages_lands_in_the_export(phone, deployment):
    replies = _talk(phone, "我要给石宝镇30亩柑橘打药", "下周三，电话13800138000", "要得")
    assert "预约已提交" in replies[-1]
    (row,) = deployment.export("bookings")
    assert {k: row[k] for k in BOOKING_FIELDS} == {
        "crop": "柑橘", "service": "统防统治", "area_mu": 30, "township": "石宝镇", "date": "2026-12-02",
        "phone": "13800138000", "center": "石宝镇为农服务中心", "status": "received"}
    assert row["openid"] == "oE2eFarmer01" and row["created_at"].startswith("20") and row["id"]


def test_step_by_step_booking_with_numbered_answers(phone, deployment):
    replies = _talk(phone, "2", "2", "1", "50", "石宝", "越快越好", "13800138000", "1")
    assert "种的是什么" in replies[0] and "预约已提交" in replies[-1]
    (row,) = deployment.export("bookings")
    assert (row["crop"], row["service"], row["area_mu"], row["date"]) == ("水稻", "全程托管", 50, "越快越好")


def test_correction_then_confirm(phone, deployment):
    replies = _talk(phone, "我要给石宝镇30亩柑橘打药", "下周三，电话13800138000", "不对，是40亩", "确认")
    assert "面积改成40亩" in replies[2]
    assert [r["area_mu"] for r in deployment.export("bookings")] == [40]


def test_cancel_leaves_no_record(phone, deployment):
    replies = _talk(phone, "我要给石宝镇30亩柑橘打药", "算了不弄了", "确认")
    assert "已取消" in replies[1]
    assert deployment.export("bookings") == []


def test_side_question_then_resume(phone, deployment):
    replies = _talk(phone, "我要给石宝镇30亩柑橘打药", "农合联是啥子", "下周三，13800138000", "对")
    assert "出自《" in replies[1] and "继续刚才的" in replies[1]
    assert len(deployment.export("bookings")) == 1


def test_location_instead_of_township(phone, deployment):
    _talk(phone, "帮我约水稻机收", "80亩")
    shibao = phone.ctx.pack.township("石宝镇")
    asked_date = phone.location(shibao.lat, shibao.lon + 0.003, "石宝镇").text
    assert "哪天" in asked_date
    _talk(phone, "12月5号", "13800138000", "1")
    (row,) = deployment.export("bookings")
    assert (row["township"], row["service"], row["center"]) == ("石宝镇", "机收", "石宝镇为农服务中心")


def test_retry_of_the_confirming_message_creates_one_record(phone, deployment):
    _talk(phone, "我要给石宝镇30亩柑橘打药", "下周三，电话13800138000")
    fields = phone.fields("text", Content="确认")
    first = phone.post(fields)
    retried = phone.post(fields)  # WeChat's retry: same MsgId
    store = phone.ctx.store
    store.delete(f"dedup:msg:{phone.openid}:{fields['MsgId']}")  # past the gateway's dedup window
    store.delete(f"reply:msg:{phone.openid}:{fields['MsgId']}")
    late = phone.post(fields)
    assert len(deployment.export("bookings")) == 1
    assert first.text == retried.text == late.text and "预约已提交" in first.text


def test_restart_in_the_middle_of_a_form(deployment):
    from bot.wechat.simclient import WechatSim

    ctx, client = deployment.start()
    with client as http:
        WechatSim(http, TOKEN, AES, APPID, openid="oE2eRestart").text("我要给石宝镇30亩柑橘打药")
    ctx.engine.dispose()
    _, client = deployment.start()  # a new process: new context, new store instance, same database
    with client as http:
        again = WechatSim(http, TOKEN, AES, APPID, openid="oE2eRestart")
        assert "请核对托管预约" in again.text("下周三，电话13800138000").text
        again.text("1")
    assert len(deployment.export("bookings")) == 1


def test_join_nonghelian_happy_path(phone, deployment):
    replies = _talk(phone, "我想入会", "1", "王大明", "13912345678", "石宝镇", "3", "确认")
    assert "入会申请已提交" in replies[-1]
    (row,) = deployment.export("members")
    assert (row["member_type"], row["name"], row["township"], row["phone"]) == ("农户", "王大明", "石宝镇",
                                                                                "13912345678")
    assert row["nonghelian"] == "石宝镇农村合作经济组织联合会" and "笋竹" in row["industry_nonghelian"]
    assert row["center"] == "石宝镇为农服务中心"


def test_loan_happy_path(phone, deployment):
    replies = _talk(phone, "我想贷款", "1", "买农资", "3万", "没有", "石宝", "13800138000", "1")
    assert "农户小额信用贷款" in replies[-2] and "贷款咨询已提交" in replies[-1]
    (row,) = deployment.export("loan_requests")
    assert (row["member_type"], row["amount_yuan"], row["township"]) == ("农户", 30000, "石宝镇")
    assert row["products"] == ["农户小额信用贷款"] and row["center"] == "石宝镇为农服务中心"


def test_bookkeeping_happy_path(phone, deployment):
    code = "93500233MA5U4ABC1" + credit_code_check_char("93500233MA5U4ABC1")
    replies = _talk(phone, "合作社代账咋个办", "忠县石宝柑橘专业合作社", code, "20", "4", "13800138000", "1")
    assert "代账申请已提交" in replies[-1]
    (row,) = deployment.export("bookkeeping_requests")
    assert (row["org_name"], row["credit_code"], row["monthly_vouchers"]) == ("忠县石宝柑橘专业合作社", code, 20)
    assert row["needs"] == ["记账", "报税"] and row["center"] == "忠县为农服务中心"


def test_menu_click_starts_a_form_and_a_person_gets_the_ticket(phone, deployment):
    assert "种的是什么" in phone.event("CLICK", "MENU_TUOGUAN").text
    assert "工单号" in phone.text("转人工").text
    (row,) = deployment.export("tickets")
    assert row["status"] == "open" and row["intent"] == "book_tuoguan"
