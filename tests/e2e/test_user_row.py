"""The user's row the dialog works with comes back from the webhook's own upsert (no second read, on
PostgreSQL; SQLite reads it, see Gateway): for a brand-new user, a returning one, one who unsubscribed."""
from __future__ import annotations

from sqlalchemy import select

from bot.records.models import ServiceCenter, WechatUser
from tests.statements import statements_sent


def _user_reads(phone, action) -> tuple[object, int]:
    """The action's result and how often it read wechat_users (counted on PostgreSQL; SQLite reads it, see Gateway)."""
    with statements_sent(phone.ctx.engine) as seen:
        result = action()
    reads = sum(s.lstrip().upper().startswith("SELECT") and "FROM wechat_users" in s for s in seen)
    return result, reads if phone.ctx.engine.dialect.name == "postgresql" else 0


def _user(phone) -> WechatUser:
    with phone.ctx.sessions() as session:
        return session.scalar(select(WechatUser).where(WechatUser.openid == phone.openid))


def test_a_brand_new_user_bound_by_a_center_qr_code_gets_it_on_the_row_the_webhook_created(phone):
    reply, reads = _user_reads(phone, lambda: phone.event("subscribe", "qrscene_center:zx-107-center").text)
    assert "石宝镇为农服务中心" in reply and reads == 0
    user = _user(phone)
    assert user.subscribed is True and user.window_opened_by == "subscribe"
    with phone.ctx.sessions() as session:
        assert session.get(ServiceCenter, user.center_id).code == "zx-107-center"
        assert len(session.scalars(select(WechatUser.id).where(WechatUser.openid == phone.openid)).all()) == 1


def test_a_brand_new_users_form_start_reads_no_user_row(phone):
    reply, reads = _user_reads(phone, lambda: phone.text("我想加入农合联").text)
    assert "入会" in reply and reads == 0
    assert _user(phone).window_opened_by == "message"


def test_what_an_earlier_request_taught_is_on_the_row_the_next_form_starts_from(phone):
    for text in ("我要给石宝镇30亩柑橘打药", "下周三，电话13800138000", "要得"):
        phone.text(text)
    reply, reads = _user_reads(phone, lambda: phone.text("我要入会").text)
    assert reads == 0
    user = _user(phone)
    assert (user.phone, user.township) == ("13800138000", "石宝镇")
    # Phone and township are prefilled from the row: neither is asked, the summary shows both.
    replies = [phone.text(text).text for text in ("1", "王大明", "不用")]
    assert not any("电话" in r and "？" in r for r in replies[:2])
    assert "13800138000" in replies[-1] and "石宝镇" in replies[-1]


def test_after_an_unsubscribe_the_bound_center_still_routes_a_ticket(phone):
    phone.event("subscribe", "qrscene_center:zx-107-center")
    phone.event("unsubscribe")
    assert _user(phone).subscribed is False
    reply, reads = _user_reads(phone, lambda: phone.text("转人工").text)
    assert "石宝镇为农服务中心" in reply and "工单号" in reply and reads == 0
    assert _user(phone).subscribed is False  # a message does not resubscribe; the center stays bound
