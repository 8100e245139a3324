"""The county office edits its knowledge pack in the console: checked like `knowledge check`, audited,
versioned, restorable, admin only, and out and back in as an xlsx template with a dry-run diff."""
from __future__ import annotations

import html
import io
import json
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.store.db import transaction
from bot.records.models import AuditLog, KnowledgeEdit, ServiceCenter
from tests.admin.conftest import api_token, page_login

CENTER = "zx-001-center"   # 忠州街道为农服务中心: phone 待补充 in the shipped pack


def center_of(ctx, code: str = CENTER):
    return ctx.pack.center(code)


def test_admin_sets_a_phone_and_the_pack_serves_it_with_a_version_and_an_audit_entry(console):
    http, ctx, _ = console
    assert center_of(ctx).phone == "待补充"
    headers = api_token(http, "county")
    answer = http.patch(f"/admin/api/knowledge/centers/{CENTER}", json={"phone": "023-54221234"}, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["version"] == 1
    assert center_of(ctx).phone == "023-54221234"
    assert ctx.knowledge.version == answer.json()["pack_version"] > 0
    item = http.get(f"/admin/api/knowledge/centers/{CENTER}", headers=headers).json()
    assert item["data"]["phone"] == "023-54221234" and "电话" not in item["placeholders"]
    assert [h["version"] for h in item["history"]] == [1]
    with transaction(ctx.sessions) as s:
        [entry] = s.scalars(select(AuditLog).where(AuditLog.action == "knowledge_edit")).all()
        assert entry.detail["before"]["phone"] == "待补充" and entry.detail["after"]["phone"] == "023-54221234"
        assert entry.detail["changed"] == ["phone"]
        row = s.scalar(select(ServiceCenter).where(ServiceCenter.code == CENTER))
        assert row is None or row.phone == "023-54221234"


def test_the_same_edit_sent_twice_makes_one_version(console):
    http, ctx, _ = console
    headers = api_token(http, "county")
    for _ in range(2):
        assert http.patch(f"/admin/api/knowledge/centers/{CENTER}", json={"hours": "周一至周五 9:00-17:00"},
                          headers=headers).status_code == 200
    with transaction(ctx.sessions) as s:
        assert s.scalars(select(KnowledgeEdit.version)).all() == [1]


@pytest.mark.parametrize("change, reason", [
    ({"services": ["飞天遁地"]}, "没有“飞天遁地”这项服务"),
    ({"township": "火星镇"}, "没有“火星镇”这个乡镇"),
    ({"phone": "打电话找老王"}, "不像电话号码"),
    ({"lat": "北边"}, "“纬度”须是数字"),
    ({"source": None}, "没有出处"),
])
def test_an_edit_that_would_fail_knowledge_check_is_refused_with_the_reason(console, change, reason):
    http, ctx, _ = console
    headers = api_token(http, "county")
    answer = http.patch(f"/admin/api/knowledge/centers/{CENTER}", json=change, headers=headers)
    assert answer.status_code == 422, answer.text
    assert reason in answer.json()["detail"]
    assert center_of(ctx).phone == "待补充" and ctx.knowledge.version == 0
    with transaction(ctx.sessions) as s:
        assert s.scalars(select(KnowledgeEdit)).all() == []


def test_removing_the_default_center_is_refused(console):
    http, ctx, _ = console
    answer = http.delete(f"/admin/api/knowledge/centers/{ctx.pack.info.default_center}",
                         headers=api_token(http, "county"))
    assert answer.status_code == 422 and "不能删除" in answer.json()["detail"]


def test_a_price_a_product_and_a_faq_entry_can_be_edited_and_restored(console):
    http, ctx, _ = console
    headers = api_token(http, "county")
    service = next(s for s in ctx.pack.services if s.price_yuan == "待补充")
    assert http.patch(f"/admin/api/knowledge/services/{service.name}", json={"price_yuan": 12.5},
                      headers=headers).status_code == 200
    assert ctx.pack.service(service.name).price_yuan == 12.5
    loan = ctx.pack.loan_products[0]
    assert http.patch(f"/admin/api/knowledge/loans/{loan.name}", json={"bank": "忠县农商银行"},
                      headers=headers).status_code == 200
    entry = ctx.pack.faq[0]
    new_answer = entry.answer + "（以县供销社最新通知为准）"
    assert http.patch(f"/admin/api/knowledge/faq/{entry.id}", json={"answer": new_answer},
                      headers=headers).status_code == 200
    assert next(f for f in ctx.pack.faq if f.id == entry.id).answer == new_answer
    back = http.post(f"/admin/api/knowledge/faq/{entry.id}/restore", json={"version": 0}, headers=headers)
    assert back.status_code == 200 and back.json()["version"] == 2
    assert next(f for f in ctx.pack.faq if f.id == entry.id).answer == entry.answer
    assert next(p for p in ctx.pack.loan_products if p.name == loan.name).bank == "忠县农商银行"


@pytest.mark.parametrize("username", ["staff_a", "viewer"])
def test_only_the_county_admin_edits_the_pack(console, username):
    http, ctx, _ = console
    headers = api_token(http, username)
    assert http.get("/admin/api/knowledge/centers", headers=headers).status_code == 403
    assert http.patch(f"/admin/api/knowledge/centers/{CENTER}", json={"phone": "023-54221234"},
                      headers=headers).status_code == 403
    page_login(http, username)
    assert http.get("/admin/knowledge").status_code == 403
    assert http.get(f"/admin/knowledge/centers/{CENTER}").status_code == 403
    assert "资料维护" not in http.get("/admin/tickets").text
    assert center_of(ctx).phone == "待补充"


def test_the_edit_page_saves_a_phone_and_shows_its_history(console):
    http, ctx, _ = console
    csrf = page_login(http, "county")
    listing = http.get("/admin/knowledge")
    assert listing.status_code == 200 and CENTER in listing.text and "待补充" in listing.text
    page = http.get(f"/admin/knowledge/centers/{CENTER}")
    assert page.status_code == 200 and 'name="phone"' in page.text
    form = {"csrf_token": csrf, "base_version": "0", "phone": "023-54220000"}
    saved = http.post(f"/admin/knowledge/centers/{CENTER}", data=form, follow_redirects=False)
    assert saved.status_code == 303
    shown = http.get(saved.headers["location"]).text
    assert "已保存" in shown and "023-54220000" in shown and "第 1 版" in shown
    refused = http.post(f"/admin/knowledge/centers/{CENTER}", data={**form, "base_version": "1", "township": "火星镇"})
    assert refused.status_code == 422 and "没有“火星镇”这个乡镇" in refused.text and "没有保存" in refused.text
    stale = http.post(f"/admin/knowledge/centers/{CENTER}", data={**form, "phone": "023-1111111"})
    assert stale.status_code == 409   # saved on version 0 while version 1 stands
    assert center_of(ctx).phone == "023-54220000"


def test_xlsx_template_round_trip_with_a_dry_run_diff(console):
    http, ctx, _ = console
    csrf = page_login(http, "county")
    sheet = http.get("/admin/knowledge-export.xlsx")
    assert sheet.status_code == 200
    book = load_workbook(io.BytesIO(sheet.content))
    assert set(book.sheetnames) == {"centers", "services", "bookkeeping", "loans", "faq"}
    centers = book["centers"]
    header = [c.value for c in centers[1]]
    rows = {r[0].value: r for r in centers.iter_rows(min_row=2)}
    rows[CENTER][header.index("phone")].value = "023-54229999"
    bad_row = next(i for i, r in enumerate(centers.iter_rows(min_row=2), start=2) if r[0].value != CENTER)
    lat = centers.cell(row=bad_row, column=header.index("lat") + 1)
    shipped_lat, lat.value = lat.value, "不知道"

    def upload(workbook) -> str:
        out = io.BytesIO()
        workbook.save(out)
        answer = http.post("/admin/knowledge-import", data={"csrf_token": csrf},
                           files={"file": ("pack.xlsx", out.getvalue(), "application/octet-stream")})
        return answer

    refused = upload(book)
    assert refused.status_code == 200, refused.text
    assert f"centers 第 {bad_row} 行" in refused.text and "纬度" in refused.text
    assert 'id="apply-form"' not in refused.text
    lat.value = shipped_lat
    faq = book["faq"]
    removed = faq.cell(row=2, column=1).value
    faq.delete_rows(2)       # one FAQ entry removed
    preview = upload(book)
    assert preview.status_code == 200 and 'id="apply-form"' in preview.text, preview.text
    assert "023-54229999" in preview.text and "删除" in preview.text
    assert center_of(ctx).phone == "待补充"           # a dry run changes nothing
    plan = html.unescape(re.search(r'name="plan" value="([^"]+)"', preview.text).group(1))
    assert {(kind, key, data is None) for kind, key, data in json.loads(plan)["edits"]} == {
        ("centers", CENTER, False), ("faq", removed, True)}
    applied = http.post("/admin/knowledge-import/apply", data={"csrf_token": csrf, "plan": plan},
                        follow_redirects=False)
    assert applied.status_code == 303
    assert center_of(ctx).phone == "023-54229999"
    assert removed not in {f.id for f in ctx.pack.faq}
    again = http.post("/admin/knowledge-import/apply", data={"csrf_token": csrf, "plan": plan})
    assert again.status_code == 422 and "重新上传" in again.text   # the pack moved since that preview


def test_a_garbage_upload_is_told_not_a_500(console):
    http, _, _ = console
    csrf = page_login(http, "county")
    answer = http.post("/admin/knowledge-import", data={"csrf_token": csrf},
                       files={"file": ("x.xlsx", b"not a workbook", "application/octet-stream")})
    assert answer.status_code == 422 and "读不了这个文件" in answer.text
