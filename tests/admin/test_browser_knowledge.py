"""The county office fills in a center's phone in the console, in a real browser, and the farmer on WeChat
gets it at once; saves the README screenshot of the knowledge page."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.store.db import transaction
from bot.records.models import AuditLog

from tests.admin.test_browser import SHOTS, _login, _page, browser, live  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser

CENTER = "zx-001-center"
PHONE = "023-54221234"
QUESTION = "忠州街道服务中心电话是多少"


def test_county_admin_fills_in_a_center_phone_and_the_farmer_sees_it(live, browser):  # noqa: F811
    farmer = live.farmer("oFarmerKnowledge01")
    assert PHONE not in farmer.text(QUESTION).text

    page = _page(browser)
    _login(page, live.base, "county")
    page.click("text=资料维护")
    page.wait_for_selector("#knowledge-list")
    row = page.locator(f"#knowledge-list tr[data-key='{CENTER}']")
    assert "待补充" in row.inner_text()
    row.locator("a").first.click()
    page.wait_for_selector("#edit-form")
    assert "电话" in page.inner_text("#todo-notice")
    page.fill("input[name=phone]", PHONE)
    page.fill("input[name=hours]", "周一至周五 8:30-17:30")
    page.fill("input[name=edit_note]", "中心来电更新")
    page.click("#save-button")
    page.wait_for_selector("#saved-notice, #edit-errors")
    assert page.locator("#edit-errors").count() == 0, page.inner_text("#edit-errors")
    assert page.input_value("input[name=phone]") == PHONE
    assert "中心来电更新" in page.inner_text("#history")
    assert "中心来电更新" not in page.input_value("textarea[name=note]")   # the edit's note, not the center's
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "knowledge.png"), full_page=True)

    with transaction(live.ctx.sessions) as s:
        entry = s.scalars(select(AuditLog).where(AuditLog.action == "knowledge_edit")).one()
        assert entry.detail["changed"] == ["hours", "phone"]   # the whole form sent back changes nothing else

    page.fill("input[name=phone]", "找老王")
    page.click("#save-button")
    page.wait_for_selector("#edit-errors")
    assert "不像电话号码" in page.inner_text("#edit-errors")

    reply = farmer.text(QUESTION).text
    assert f"电话：{PHONE}" in reply, reply
