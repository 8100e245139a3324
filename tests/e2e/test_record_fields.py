"""The records' fields as the CONTRACT lists them ("Records export"), read back through `nongbot export`
after whole conversations over POST /wechat."""
from __future__ import annotations

from handlers.bookkeeping import credit_code_check_char

CODE = "93500233MA5U4ABC1" + credit_code_check_char("93500233MA5U4ABC1")
CONTRACT = {
    "bookings": ("crop", "service", "area_mu", "township", "date", "phone", "member_type", "name"),
    "members": ("name", "member_type", "township", "phone", "industry"),
    "loan_requests": ("product", "amount_yuan", "purpose", "member_type", "township", "phone"),
    "bookkeeping_requests": ("org_name", "credit_code", "service", "member_type", "township", "phone"),
    "tickets": ("township", "phone", "reason", "summary"),
}


def _talk(phone, *texts: str) -> list[str]:
    return [phone.text(t).text for t in texts]


def test_every_kind_exports_the_contract_fields_even_when_empty(phone, deployment):
    for kind, names in CONTRACT.items():
        assert deployment.export(kind) == []
    _talk(phone, "转人工")
    (ticket,) = deployment.export("tickets")
    assert all(name in ticket for name in (*CONTRACT["tickets"], "id", "openid", "status", "created_at", "center"))


def test_a_loan_carries_the_product_the_farmer_named(phone, deployment):
    replies = _talk(phone, "我想办惠农e贷，借5w买农机", "1", "没有", "石宝", "13800138000", "确认")
    assert "贷款咨询已提交" in replies[-1]
    (row,) = deployment.export("loan_requests")
    assert (row["product"], row["amount_yuan"], row["township"], row["phone"]) == ("惠农e贷", 50000, "石宝镇",
                                                                                   "13800138000")


def test_a_bookkeeping_request_carries_service_township_and_member_type(phone, deployment):
    replies = _talk(phone, "我们合作社要代账，要记账和报税", "忠县石宝柑橘专业合作社", CODE, "30", "石宝镇", "13800138000",
                    "确认")
    assert "代账申请已提交" in replies[-1], replies
    (row,) = deployment.export("bookkeeping_requests")
    assert (row["service"], row["township"], row["member_type"], row["credit_code"]) == (
        "记账、报税", "石宝镇", "农民合作社", CODE)


def test_a_ticket_carries_the_township_and_phone_said_before_it(phone, deployment):
    _talk(phone, "我是石宝镇的，想托管水稻", "算了，叫个人打给我，13912345678")
    (row,) = deployment.export("tickets")
    assert (row["township"], row["phone"], row["center"]) == ("石宝镇", "13912345678", "石宝镇为农服务中心")


def test_a_withdrawn_booking_keeps_its_row(phone, deployment):
    _talk(phone, "我要给石宝镇30亩柑橘打药", "下周三，电话13800138000", "确认")
    reply = _talk(phone, "把刚才那个预约取消掉")[0]
    assert "已取消" in reply
    (row,) = deployment.export("bookings")
    assert row["status"] == "withdrawn" and row["area_mu"] == 30
