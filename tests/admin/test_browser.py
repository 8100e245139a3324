"""The console in a real browser (Playwright driving Debian's Chromium, headless) over a served app whose
farmers talk to it through POST /wechat, signed and encrypted as WeChat sends; saves README screenshots."""
from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from bot.app import build_context, create_app
from bot.store.db import transaction, upgrade
from bot.records.models import Booking, MessageLog, ServiceCenter, StaffUser, Ticket, WechatUser
from bot.wechat.simclient import WechatSim
from tests.admin.conftest import FARMER_A, FARMER_B, PASSWORD, deliver, password_hash
from tests.live import serve_in_thread

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# The README's screenshots are rewritten on purpose only (their times change on every run):
# NONGBOT_UPDATE_SCREENSHOTS=1 python -m pytest tests/admin -m browser. Otherwise they go to a temp dir.
SHOTS = (Path(__file__).resolve().parents[2] / "docs" / "screenshots" if os.environ.get("NONGBOT_UPDATE_SCREENSHOTS")
         else Path(tempfile.gettempdir()) / "nongbot-screenshots")
TOKEN, AES = "browser-token", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF1"
CENTER_A, CENTER_B = "石宝镇为农服务中心", "新立镇为农服务中心"


@dataclass
class Live:
    """A served deployment (real dialog, real knowledge pack) and the farmers' phones talking to it."""

    base: str
    ctx: object
    appid: str
    phones: list[httpx.Client] = field(default_factory=list)

    def farmer(self, openid: str) -> WechatSim:
        http = httpx.Client(base_url=self.base, timeout=15)
        self.phones.append(http)
        return WechatSim(http, TOKEN, AES, self.appid, openid=openid)

    def center_id(self, name: str) -> int:
        with transaction(self.ctx.sessions) as s:
            return s.scalar(select(ServiceCenter.id).where(ServiceCenter.name == name))


def number_in(reply: str, label: str) -> int:
    match = re.search(label + r" ?(\d+)", reply)
    assert match, reply
    return int(match.group(1))


def add_staff(ctx) -> None:
    with transaction(ctx.sessions) as s:
        centers = dict(s.execute(select(ServiceCenter.name, ServiceCenter.id)
                                 .where(ServiceCenter.name.in_([CENTER_A, CENTER_B]))).all())
        for username, role, center, shown in (("county", "county_admin", None, "县供销社 王科长"),
                                              ("staff_a", "center_staff", centers[CENTER_A], "石宝 李姐"),
                                              ("staff_b", "center_staff", centers[CENTER_B], "新立 陈哥")):
            s.add(StaffUser(username=username, password_hash=password_hash(), role=role, center_id=center,
                            display_name=shown))


@pytest.fixture
def live(make_settings, sqlite_engine, fake_wechat):
    """The whole app served by uvicorn on a loopback port over the embedded SQLite database, with the
    忠县 pack and the dialog engine; outbound WeChat goes to the local fake when `deliver(ctx)` runs."""
    url = sqlite_engine.url.render_as_string(hide_password=False)
    upgrade(url)
    # A generous reply budget: these tests are about the console, the budget path has its own tests, and
    # a loaded machine must not turn a farmer's passive reply into 'success' (seen once at load ~4).
    settings = make_settings(database_url=url, wechat_token=TOKEN, wechat_aes_key=AES, deliver_in_process=False,
                             reply_budget_seconds=15.0, **fake_wechat.settings_overrides())
    ctx = build_context(settings)
    add_staff(ctx)
    with serve_in_thread(create_app(ctx=ctx)) as base:
        deployment = Live(base, ctx, settings.wechat_appid)
        yield deployment
        for phone in deployment.phones:
            phone.close()
    ctx.engine.dispose()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        from tests.conftest import service_missing

        service_missing("Chromium", f"{CHROMIUM} is needed for browser tests: apt-get install -y chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def _page(browser, phone: bool = False):
    size = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
    return browser.new_context(viewport=size, locale="zh-CN", device_scale_factor=1).new_page()


def _login(page, base: str, username: str) -> None:
    page.goto(f"{base}/admin/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin/tickets")


def test_center_staff_replies_to_a_ticket_the_farmer_opened_on_wechat(live, browser, fake_wechat):
    farmer = live.farmer(FARMER_A)
    farmer.text("你好")
    opened = farmer.text("石宝镇这边，我要转人工").text
    assert CENTER_A in opened
    ticket_id = number_in(opened, "工单号")
    farmer.text("我家50亩稻子生虫了，想找人来打药，价格好多")

    page = _page(browser)
    _login(page, live.base, "staff_a")
    assert page.locator("#ticket-list li").count() == 1
    page.click(f"a[href='/admin/tickets/{ticket_id}']")
    page.wait_for_selector("#history")
    history = page.inner_text("#history")
    assert "石宝镇这边，我要转人工" in history and "想找人来打药" in history and "工单号" in history
    page.click("#canned >> text=请留电话")  # one tap, no menu to open
    assert "联系电话" in page.input_value("#reply-text")
    reply = "您好，石宝镇为农服务中心明天上午安排飞防队上门看虫情，打药按亩收费，到时现场报价。"
    page.fill("#reply-text", reply)
    page.click("#reply-form button[type=submit]")
    page.wait_for_selector("#delivery-notice")
    assert "客服消息" in page.inner_text("#delivery-notice")
    page.click(".note-box summary")
    page.fill("#note-text", "农户说是稻飞虱，已约飞防队 张师傅")
    page.click("#note-form button[type=submit]")
    page.wait_for_selector("#history .msg.note")
    said = [page.locator("#history .msg").nth(i).get_attribute("class").split()[-1]
            for i in range(page.locator("#history .msg").count())]
    assert said == ["farmer", "bot", "farmer", "bot", "farmer", "bot", "staff", "note"]
    assert reply in page.inner_text("#history")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "ticket.png"), full_page=True)
    phone = _page(browser, phone=True)
    _login(phone, live.base, "staff_a")
    phone.goto(f"{live.base}/admin/tickets/{ticket_id}")
    phone.screenshot(path=str(SHOTS / "ticket-phone.png"), full_page=True)

    assert deliver(live.ctx) == 1
    assert fake_wechat.texts_to(FARMER_A) == [reply]
    assert [m["kind"] for m in fake_wechat.received] == ["custom"]

    more_tickets(live.ctx, live.center_id(CENTER_A), live.ctx.clock())
    page.goto(f"{live.base}/admin/tickets")
    page.screenshot(path=str(SHOTS / "inbox.png"), full_page=True)


def more_tickets(ctx, center_id, now) -> None:
    """Farmers in other 客服 window states (hours ago cannot be sent through /wechat), for the inbox screenshot."""
    cases = [("oFarmerShibao0002", 45, "pending", "询问烘干收费，等农户回电"),
             ("oFarmerShibao0003", 60, "open", "贷款 5 万元想找银行客户经理"),
             ("oFarmerShibao0004", 2, "resolved", "柑橘修剪托管已安排")]
    with transaction(ctx.sessions) as s:
        for openid, hours, status, summary in cases:
            at = now - timedelta(hours=hours)
            s.add(WechatUser(openid=openid, center_id=center_id, window_opened_at=at, window_opened_by="message"))
            s.add(MessageLog(openid=openid, direction="in", msg_type="text", content=summary, created_at=at))
            s.add(Ticket(openid=openid, center_id=center_id, status=status, summary=summary, reason="human_agent",
                         idempotency_key=f"shot-{openid}", created_at=at, last_user_message_at=at))


def test_booking_is_scheduled_and_the_farmer_is_told_the_date_price_and_center(live, browser, fake_wechat):
    farmer = live.farmer(FARMER_A)
    farmer.text("我要给石宝镇30亩柑橘打药")
    farmer.text("下周三，电话13800138000")
    done = farmer.text("确认").text
    assert "预约已提交" in done and CENTER_A in done
    booking_id = number_in(done, "预约号")
    with transaction(live.ctx.sessions) as s:  # the county office filled in the center's phone
        s.scalar(select(ServiceCenter).where(ServiceCenter.name == CENTER_A)).phone = "023-54000000"

    page = _page(browser)
    _login(page, live.base, "staff_a")
    page.click("header >> text=托管预约")
    page.click(f"a[href='/admin/requests/bookings/{booking_id}']")
    page.select_option("#status-select", "scheduled")
    page.fill("#scheduled-for", "12月20日上午")
    page.fill("#price-yuan", "1200")
    page.fill("#schedule-note", "飞防队张师傅上门")
    page.click("#status-form button[type=submit]")
    page.wait_for_selector("#delivery-notice")
    assert page.inner_text("#request-status") == "已排期"
    assert "12月20日上午" in page.inner_text("#schedule") and "1200" in page.inner_text("#schedule")
    assert "30.0" not in page.inner_text("main")  # 面积 30 亩, as the farmer said it
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "booking.png"), full_page=True)
    phone = _page(browser, phone=True)
    _login(phone, live.base, "staff_a")
    phone.goto(f"{live.base}/admin/requests/bookings/{booking_id}")
    phone.screenshot(path=str(SHOTS / "booking-phone.png"), full_page=True)

    assert deliver(live.ctx) == 1
    [notice] = fake_wechat.texts_to(FARMER_A)
    assert "已排期" in notice and "时间：12月20日上午" in notice and "价格：1200元" in notice
    assert "说明：飞防队张师傅上门" in notice and "原因" not in notice
    progress = farmer.text("查进度").text
    assert f"托管预约（{booking_id}号）：已排期，12月20日上午，1200元" in progress
    assert f"{CENTER_A} 电话 023-54000000" in progress
    with transaction(live.ctx.sessions) as s:
        booking = s.get(Booking, booking_id)
        assert (booking.status, booking.openid, booking.crop, booking.area_mu) == ("scheduled", FARMER_A, "柑橘", 30)


def test_a_withdrawn_booking_shows_as_withdrawn(live, browser):
    farmer = live.farmer(FARMER_A)
    farmer.text("我要给石宝镇30亩柑橘打药")
    farmer.text("下周三，电话13800138000")
    booking_id = number_in(farmer.text("确认").text, "预约号")
    with transaction(live.ctx.sessions) as s:  # the farmer withdrew it in the chat
        s.get(Booking, booking_id).status = "withdrawn"
    page = _page(browser, phone=True)
    _login(page, live.base, "staff_a")
    page.goto(f"{live.base}/admin/requests/bookings")
    row = page.locator("#request-table tbody tr").first
    assert "changed" in row.get_attribute("class") and "已撤回" in row.inner_text()
    page.click(f"a[href='/admin/requests/bookings/{booking_id}']")
    assert "农户已撤回" in page.inner_text("#withdrawn-notice")
    assert page.locator("#status-form").count() == 0  # nothing left to do


def test_center_staff_cannot_open_another_centers_ticket_by_url(live, browser, fake_wechat):
    other = number_in(live.farmer(FARMER_B).text("新立镇的，我要转人工").text, "工单号")
    page = _page(browser)
    _login(page, live.base, "staff_a")
    assert page.locator(f"a[href='/admin/tickets/{other}']").count() == 0
    answer = page.goto(f"{live.base}/admin/tickets/{other}")
    assert answer.status == 404
    assert "记录不存在或无权查看" in page.inner_text("#error-message")
    assert FARMER_B not in page.content() and "新立镇的，我要转人工" not in page.content()
    assert page.locator("#reply-form").count() == 0
    with transaction(live.ctx.sessions) as s:
        ticket = s.get(Ticket, other)
        assert (ticket.status, ticket.first_response_at) == ("open", None)
    assert deliver(live.ctx) == 0 and fake_wechat.received == []


def test_center_clerk_dashboard_shows_only_their_center(live, browser):
    live.farmer(FARMER_A).text("石宝镇这边，我要转人工")
    live.farmer(FARMER_B).text("新立镇的，我要转人工")
    live.farmer("oFarmerXinli0002").text("新立镇的，转人工")
    enrich(live.ctx, live.ctx.clock())  # county-wide history with no center
    page = _page(browser)
    _login(page, live.base, "staff_a")
    page.goto(f"{live.base}/admin/dashboard")
    assert page.inner_text("#board-scope") == CENTER_A
    assert page.inner_text("#users-total") == "1" and page.inner_text("#conversations-total") == "1"
    assert page.locator("#center-filter").count() == 0 and page.locator("#targets").count() == 0
    county = _page(browser)
    _login(county, live.base, "county")
    county.goto(f"{live.base}/admin/dashboard")
    assert int(county.inner_text("#users-total")) > 3
    county.select_option("#center-filter select", label=CENTER_B)
    county.click("#center-filter button")
    county.wait_for_url(re.compile(r"center=\d+"))
    assert county.inner_text("#board-scope") == CENTER_B and county.inner_text("#users-total") == "2"


def test_dashboard_and_inbox_screenshots(live, browser):
    enrich(live.ctx, live.ctx.clock())
    page = _page(browser)
    _login(page, live.base, "county")
    page.goto(f"{live.base}/admin/dashboard")
    assert page.locator("svg.chart").count() >= 4
    for chart in page.locator("svg.chart").all():
        if chart.is_visible():  # each chart fills its card
            card = chart.locator("xpath=ancestor::section[1]").bounding_box()
            assert chart.bounding_box()["width"] >= card["width"] - 40
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "dashboard.png"), full_page=True)
    phone = _page(browser, phone=True)
    _login(phone, live.base, "county")
    phone.goto(f"{live.base}/admin/dashboard")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert phone.locator(".narrow-only svg.chart").is_visible() and not phone.locator(".wide-only svg").is_visible()
    phone.screenshot(path=str(SHOTS / "dashboard-phone.png"), full_page=True)
    more_tickets(live.ctx, live.center_id(CENTER_A), live.ctx.clock())
    for where in ("tickets", "requests/bookings", "audit", "outbox"):
        phone.goto(f"{live.base}/admin/{where}")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390, where  # usable at 390 px
    phone.goto(f"{live.base}/admin/tickets")
    phone.screenshot(path=str(SHOTS / "inbox-phone.png"), full_page=True)


def enrich(ctx, now) -> None:
    """A month of conversations and requests, so the dashboard screenshot shows something real-looking."""
    intents = ["book_tuoguan", "loan_products", "policy_faq", "find_service_center", "human_agent",
               "join_nonghelian", "bookkeeping", "book_tuoguan", "policy_faq", "book_tuoguan"]
    towns = ["石宝镇", "新立镇", "忠州街道", "拔山镇", "石宝镇"]
    services = ["统防统治", "机耕", "机收", "烘干", "全程托管"]
    with transaction(ctx.sessions) as s:
        for day in range(30):
            for n in range(3 + (day * 7) % 9):
                s.add(MessageLog(openid=f"oDemoFarmer{day:02d}{n:02d}", direction="in", msg_type="text",
                                 content="托管咋个收费", intent=intents[(day + n) % len(intents)],
                                 created_at=now - timedelta(days=day, hours=n)))
        for i in range(12):
            s.add(Booking(openid=f"oDemoFarmer{i:04d}", center_id=None, township=towns[i % len(towns)],
                          crop="水稻", service=services[i % len(services)], area_mu=20 + 10 * i,
                          status="done" if i % 3 == 0 else "received", idempotency_key=f"demo-b-{i}",
                          created_at=now - timedelta(days=i)))
        for i in range(8):
            opened = now - timedelta(days=i, hours=3)
            s.add(Ticket(openid=f"oDemoFarmer{i:04d}", reason="human_agent", idempotency_key=f"demo-t-{i}",
                         created_at=opened, first_response_at=opened + timedelta(minutes=5 + 7 * i),
                         resolved_at=opened + timedelta(hours=1 + i) if i % 2 == 0 else None,
                         status="resolved" if i % 2 == 0 else "pending"))


def test_new_tickets_and_farmer_messages_appear_without_reload(live, browser):
    page = _page(browser)
    _login(page, live.base, "staff_a")
    assert page.locator("#ticket-list li").count() == 0
    first, second = live.farmer(FARMER_A), live.farmer("oFarmerShibao0009")
    one = number_in(first.text("石宝镇这边，我要转人工").text, "工单号")
    page.wait_for_selector(f"#ticket-list li[data-ticket='{one}']", timeout=15000)
    page.wait_for_function("() => document.title.startsWith('(1) ')", timeout=15000)
    two = number_in(second.text("我是石宝镇的，转人工，电话13911112222").text, "工单号")
    page.wait_for_selector(f"#ticket-list li[data-ticket='{two}']", timeout=15000)
    page.wait_for_function("() => document.title.startsWith('(2) ')", timeout=15000)
    assert page.inner_text("#waiting-count") == "2"

    # On the open ticket: the farmer's new message shows up, and whose turn it is follows who spoke last.
    page.goto(f"{live.base}/admin/tickets/{one}")
    assert page.inner_text("#waiting-state") == "等待工作人员"
    page.fill("#reply-text", "您好，请问是哪块田？")
    page.click("#reply-form button[type=submit]")
    page.wait_for_selector("#delivery-notice")
    assert page.inner_text("#waiting-state") == "等待农户"
    page.evaluate("window.notReloaded = true")
    first.text("屋后头那块田，稻子生虫了")
    page.wait_for_function("() => document.querySelector('#history').innerText.includes('稻子生虫了')", timeout=15000)
    page.wait_for_function("() => document.querySelector('#waiting-state').innerText === '等待工作人员'", timeout=15000)
    assert page.evaluate("window.notReloaded === true")  # the same page, not reloaded


def test_ticket_shows_phone_and_township_said_earlier(live, browser):
    farmer = live.farmer(FARMER_A)
    farmer.text("我要给石宝镇30亩柑橘打药")
    farmer.text("电话13800138000")
    ticket_id = number_in(farmer.text("转人工").text, "工单号")
    page = _page(browser, phone=True)
    _login(page, live.base, "staff_a")
    page.goto(f"{live.base}/admin/tickets/{ticket_id}")
    assert page.get_attribute("#call-farmer", "href") == "tel:13800138000"
    assert page.inner_text("#farmer-township") == "石宝镇"
    assert page.inner_text("#ticket-title").startswith("石宝镇 · 托管预约 · 柑橘30亩")
    # Phone-first: the reply box is on screen without scrolling through the history.
    box = page.locator("#reply-text").bounding_box()
    assert box is not None and box["y"] + box["height"] <= 844 * 1.6
    assert page.locator("#canned .canned-reply").first.is_visible()


def test_a_voice_message_plays_and_a_picture_shows_from_the_fake_media_api(live, browser, fake_wechat):
    from tests.admin.media_samples import amr_voice, png_picture

    fake_wechat.add_media("voice-said", amr_voice(2.0), "audio/amr")
    fake_wechat.add_media("voice-mumbled", amr_voice(1.0, seed=3), "audio/amr")
    fake_wechat.add_media("pic-leaf", png_picture(), "image/png")
    farmer = live.farmer(FARMER_A)
    opened = number_in(farmer.text("石宝镇这边，我要转人工").text, "工单号")
    farmer.voice(None, media_id="voice-mumbled")
    ticket_id = number_in(farmer.voice(None, media_id="voice-said").text, "工单号")  # the call-back offer
    assert ticket_id == opened
    farmer.post(farmer.fields("image", MediaId="pic-leaf", PicUrl="http://example.invalid/leaf.png"))
    farmer.voice("叶子上全是黄斑，你们看下图片", media_id="voice-said")

    page = _page(browser)
    _login(page, live.base, "staff_a")
    page.goto(f"{live.base}/admin/tickets/{ticket_id}")
    assert "识别文字：叶子上全是黄斑" in page.inner_text("#history")
    audio = page.locator("#history audio").last
    audio.evaluate("a => a.load()")
    page.wait_for_function("() => { const a = [...document.querySelectorAll('#history audio')].pop();"
                           " return a.readyState >= 1 && a.duration > 1.5; }", timeout=15000)
    page.wait_for_function("() => { const i = document.querySelector('#history img');"
                           " return i && i.complete && i.naturalWidth === 48; }", timeout=15000)
    assert sorted(set(fake_wechat.media_fetches)) == ["pic-leaf", "voice-said"]
    assert fake_wechat.media_fetches.count("voice-said") == 1  # two messages of the same media: fetched once
