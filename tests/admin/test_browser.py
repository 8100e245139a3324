"""The console in a real browser (Playwright driving Debian's Chromium, headless); saves README screenshots."""
from __future__ import annotations

import socket
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from bot.db import transaction, upgrade
from bot.models import Booking, MessageLog, Ticket, WechatUser
from tests.admin.conftest import FARMER_A, FARMER_B, PASSWORD, build_console_ctx, deliver, seed

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


@pytest.fixture
def served(make_settings, sqlite_engine, fake_wechat):
    """The app on a loopback port (uvicorn in a thread) over the embedded SQLite database."""
    import uvicorn

    from bot.app import create_app
    from tests.admin.conftest import _SilentResponder

    url = sqlite_engine.url.render_as_string(hide_password=False)
    upgrade(url)
    settings = make_settings(database_url=url, deliver_in_process=False, **fake_wechat.settings_overrides())
    ctx = build_console_ctx(settings, sqlite_engine)
    world = seed(ctx, ctx.clock())
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(ctx=ctx, responder=_SilentResponder()), host="127.0.0.1",
                                           port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", ctx, world
    server.should_exit = True
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is needed for browser tests: apt-get install -y chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def _page(browser, phone: bool = False):
    size = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
    return browser.new_context(viewport=size, locale="zh-CN").new_page()


def _login(page, base: str, username: str) -> None:
    page.goto(f"{base}/admin/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin/tickets")


def test_center_staff_replies_to_a_ticket_and_the_farmer_gets_it(served, browser, fake_wechat):
    base, ctx, world = served
    with transaction(ctx.sessions) as s:
        s.add(MessageLog(openid=FARMER_A, direction="in", msg_type="text", content="我家稻子生虫了，想找人来打药",
                         created_at=ctx.clock() - timedelta(minutes=50)))
    page = _page(browser)
    _login(page, base, "staff_a")
    assert page.locator("#ticket-list li").count() == 1
    page.click(f"a[href='/admin/tickets/{world.ticket_a}']")
    page.wait_for_selector("#history")
    assert "想找人来打药" in page.inner_text("#history")
    page.click("summary")
    page.click("text=请留电话")
    assert "联系电话" in page.input_value("#reply-text")
    page.fill("#reply-text", "您好，石宝镇为农服务中心明天上午安排飞防队上门。")
    page.click("#reply-form button[type=submit]")
    page.wait_for_selector("#delivery-notice")
    assert "客服消息" in page.inner_text("#delivery-notice")
    assert "明天上午安排飞防队" in page.inner_text("#history")
    page.screenshot(path=str(SHOTS / "ticket.png"), full_page=True)
    phone = _page(browser, phone=True)
    _login(phone, base, "staff_a")
    phone.goto(f"{base}/admin/tickets/{world.ticket_a}")
    phone.screenshot(path=str(SHOTS / "ticket-phone.png"), full_page=True)
    assert deliver(ctx) == 1
    assert fake_wechat.texts_to(FARMER_A) == ["您好，石宝镇为农服务中心明天上午安排飞防队上门。"]
    more_tickets(ctx, world.center_a, ctx.clock())
    page.goto(f"{base}/admin/tickets")
    page.screenshot(path=str(SHOTS / "inbox.png"), full_page=True)


def more_tickets(ctx, center_id, now) -> None:
    """Farmers in different 客服 window states, for the inbox screenshot."""
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


def test_booking_status_change_notifies_the_farmer(served, browser, fake_wechat):
    base, ctx, world = served
    page = _page(browser)
    _login(page, base, "staff_a")
    page.click("text=托管预约")
    page.click(f"a[href='/admin/requests/bookings/{world.booking_a}']")
    page.select_option("#status-select", "confirmed")
    page.fill("input[name=reason]", "5月3日上午作业")
    page.click("#status-form button[type=submit]")
    page.wait_for_selector("#delivery-notice")
    assert page.inner_text("#request-status") == "已确认"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "booking.png"), full_page=True)
    assert deliver(ctx) == 1
    [notice] = fake_wechat.texts_to(FARMER_A)
    assert "托管预约" in notice and "已确认" in notice and "5月3日上午作业" in notice
    with transaction(ctx.sessions) as s:
        assert s.get(Booking, world.booking_a).status == "confirmed"


def test_center_staff_cannot_open_another_centers_ticket_by_url(served, browser):
    base, ctx, world = served
    page = _page(browser)
    _login(page, base, "staff_a")
    answer = page.goto(f"{base}/admin/tickets/{world.ticket_b}")
    assert answer.status == 404
    assert "记录不存在或无权查看" in page.inner_text("#error-message")
    assert FARMER_B not in page.content()
    assert page.locator("#reply-form").count() == 0
    with transaction(ctx.sessions) as s:
        assert s.get(Ticket, world.ticket_b).status == "open"


def test_dashboard_screenshot(served, browser):
    base, ctx, _ = served
    enrich(ctx, ctx.clock())
    page = _page(browser)
    _login(page, base, "county")
    page.goto(f"{base}/admin/dashboard")
    assert page.locator("svg.chart").count() >= 4
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "dashboard.png"), full_page=True)
