"""The dialog's first slice, driven through POST /wechat as WeChat sends it (signed, encrypted)."""
from __future__ import annotations

import threading
import time

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.app import build_context, create_app
from bot.records.models import ServiceCenter, Ticket, TicketMessage
from bot.wechat.simclient import WechatSim
from tests.live import serve_in_thread

AES = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF1"


def _settings(make_settings, database_url, **extra):
    fields = dict(database_url=database_url, wechat_token="tok", wechat_aes_key=AES, wechat_appid="wxslice",
                  deliver_in_process=False)
    fields.update(extra)
    return make_settings(**fields)


@pytest.fixture
def app_ctx(make_settings, sqlite_engine):
    url = sqlite_engine.url.render_as_string(hide_password=False)
    ctx = build_context(_settings(make_settings, url))
    with TestClient(create_app(ctx=ctx)) as http:
        yield ctx, WechatSim(http, "tok", AES, "wxslice", openid="oSlice1")


def _tickets(ctx):
    with ctx.sessions() as session:
        return session.scalars(select(Ticket)).all()


def _only_ticket_and_its_center(ctx):
    (ticket,) = _tickets(ctx)
    with ctx.sessions() as session:
        return ticket, session.get(ServiceCenter, ticket.center_id)


def test_asking_for_a_person_opens_one_ticket_routed_to_a_center(app_ctx):
    ctx, sim = app_ctx
    reply = sim.text("石宝镇这边，我要转人工")
    ticket, center = _only_ticket_and_its_center(ctx)
    with ctx.sessions() as session:
        messages = session.scalars(select(TicketMessage).where(TicketMessage.ticket_id == ticket.id)).all()
    assert center.township == "石宝镇"
    assert f"工单号 {ticket.id}" in reply.text and center.name in reply.text
    assert [m.text for m in messages] == ["石宝镇这边，我要转人工"]


def test_a_person_asked_for_halfway_through_a_form_goes_to_the_forms_township(app_ctx):
    ctx, sim = app_ctx
    sim.text("我要给汝溪镇的柑橘打药")
    reply = sim.text("转人工")
    ticket, center = _only_ticket_and_its_center(ctx)
    assert center.township == "汝溪镇"
    assert center.name in reply.text
    assert ticket.slots.get("township") == "汝溪镇"


def test_a_township_named_with_a_person_request_is_not_asked_again_in_the_next_form(app_ctx):
    ctx, sim = app_ctx
    sim.text("我在汝溪镇，转人工")
    # What the farmer says next is for the person (the ticket asked them to say what the matter is) ...
    assert "补充到您的工单" in sim.text("我要预约机收水稻，30亩").text
    # ... and another request said as one starts a form that knows the township already.
    reply = sim.text("我还想另外预约机收水稻，30亩")
    assert "汝溪镇" in reply.text
    assert "哪个乡镇" not in reply.text


def test_follow_ups_while_a_ticket_is_open_reach_the_same_ticket(app_ctx):
    ctx, sim = app_ctx
    sim.text("转人工")
    reply = sim.text("还有个事，我家的牛跑了")
    (ticket,) = _tickets(ctx)
    with ctx.sessions() as session:
        texts = [m.text for m in session.scalars(select(TicketMessage).where(TicketMessage.ticket_id == ticket.id))]
    assert texts == ["转人工", "还有个事，我家的牛跑了"]
    assert "补充到您的工单" in reply.text


def test_menu_digit_and_click_start_the_same_flows(app_ctx):
    ctx, sim = app_ctx
    assert "工单号" in sim.text("7").text
    assert "助农贷" in sim.event("CLICK", "MENU_LOAN").text
    assert "人工咨询" not in sim.text("6").text  # the loan form's question listed 1-4: 6 is not the menu's


def test_nearest_center_by_township_words_and_by_location(app_ctx):
    ctx, sim = app_ctx
    by_name = sim.text("十宝那边有莫得服务站")
    assert by_name.text.startswith("离石宝镇最近的服务点") and "石宝镇为农服务中心" in by_name.text
    shibao = ctx.pack.township("石宝镇")
    by_place = sim.location(shibao.lat + 0.01, shibao.lon, "石宝")
    assert "石宝镇为农服务中心" in by_place.text


def test_a_center_in_the_asked_township_says_so_and_unknown_contacts_point_to_a_person(app_ctx):
    _, sim = app_ctx
    reply = sim.text("石宝镇服务中心在哪").text
    assert "石宝镇为农服务中心（本乡镇）" in reply and "0.0公里" not in reply
    # The 忠县 documents give no address or phone: say so once, never "请电话咨询" beside an unknown phone.
    assert "地址电话还在登记，可回复 7 转人工问路" in reply and "请电话咨询" not in reply


def test_policy_answers_quote_their_source_document(app_ctx):
    _, sim = app_ctx
    reply = sim.text("农合联是啥子")
    assert "出自《" in reply.text and "忠县" in reply.text


@pytest.mark.parametrize("store_kind", ["embedded", pytest.param("redis", marks=pytest.mark.redis)])
def test_three_concurrent_retries_of_a_ticket_request_create_one_ticket(make_settings, database_url, store_kind,
                                                                      request):
    extra = {"redis_url": request.getfixturevalue("redis_url")} if store_kind == "redis" else {}
    ctx = build_context(_settings(make_settings, database_url, **extra))
    with serve_in_thread(create_app(ctx=ctx)) as url, httpx.Client(base_url=url, timeout=10) as http:
        sim = WechatSim(http, "tok", AES, "wxslice", openid="oRetry1")
        fields, params = sim.fields("text", Content="我要转人工，水稻托管的事"), sim.params()
        replies = []

        def send() -> None:
            replies.append(sim.post(fields, params=params))

        threads = [threading.Thread(target=send) for _ in range(3)]
        for t in threads:
            t.start()
            time.sleep(0.05)
        for t in threads:
            t.join()
    assert len(_tickets(ctx)) == 1
    assert len({r.text for r in replies}) == 1 and "工单号" in replies[0].text


def test_farmer_asks_for_a_person_and_the_centers_staff_reply_reaches_wechat(make_settings, sqlite_engine,
                                                                              fake_wechat):
    from admin.accounts import create_user
    from bot.store.db import transaction
    from bot.wechat.outbox import OutboxWorker

    url = sqlite_engine.url.render_as_string(hide_password=False)
    settings = _settings(make_settings, url, secret_key="slice-secret", **fake_wechat.settings_overrides())
    ctx = build_context(settings)
    with TestClient(create_app(ctx=ctx)) as http:
        farmer = WechatSim(http, "tok", AES, settings.wechat_appid, openid="oLoop01")
        farmer.text("石宝这边有人吗，转人工")
        (ticket,) = _tickets(ctx)
        with transaction(ctx.sessions) as session:
            center = session.get(ServiceCenter, ticket.center_id)
            create_user(session, "shibao_staff", "password-123", "center_staff", center=center.name)
            other = session.scalar(select(ServiceCenter).where(ServiceCenter.id != center.id))
            create_user(session, "other_staff", "password-123", "center_staff", center=other.name)
        token = http.post("/admin/api/login", json={"username": "shibao_staff", "password": "password-123"}).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        assert [t["id"] for t in http.get("/admin/api/tickets", headers=auth).json()["items"]] == [ticket.id]
        assert http.post(f"/admin/api/tickets/{ticket.id}/reply", json={"text": "您好，明天上午给您回电。"},
                         headers=auth).status_code == 200
        other_token = http.post("/admin/api/login", json={"username": "other_staff",
                                                           "password": "password-123"}).json()["token"]
        assert http.get(f"/admin/api/tickets/{ticket.id}",
                        headers={"Authorization": f"Bearer {other_token}"}).status_code in (403, 404)
    OutboxWorker(ctx.sessions, ctx.wechat_api).deliver_due()
    assert fake_wechat.texts_to("oLoop01") == ["您好，明天上午给您回电。"]


def test_a_pushed_location_reaches_the_answer_with_the_claim_not_a_store_read_of_its_own(app_ctx):
    ctx, sim = app_ctx
    shibao = ctx.pack.township("石宝镇")
    sim.event("LOCATION", Latitude=shibao.lat + 0.01, Longitude=shibao.lon, Precision=65)
    reads: list[str] = []
    real_get = ctx.store.get
    ctx.store.get = lambda key: (reads.append(key), real_get(key))[1]
    try:
        reply = sim.text("附近有没有服务站")
    finally:
        del ctx.store.get
    assert "石宝镇为农服务中心" in reply.text
    assert not [key for key in reads if key.startswith("location:")]
