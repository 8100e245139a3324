"""Who may read and change what, proven through the console's HTTP routes (pages and JSON API)."""
from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.store.db import transaction
from bot.records.models import AuditLog, Booking, OutboxMessage, RequestEvent, StaffUser, Ticket, TicketMessage
from tests.admin.conftest import PASSWORD, api_token, csrf_of, page_login


def _counts(ctx):
    with transaction(ctx.sessions) as s:
        return (s.scalar(select(func.count(TicketMessage.id)).where(TicketMessage.author.in_(("staff", "note")))),
                s.scalar(select(func.count(RequestEvent.id))), s.scalar(select(func.count(OutboxMessage.id))))


def test_center_staff_lists_only_their_centers_tickets(console):
    http, ctx, world = console
    items = http.get("/admin/api/tickets", headers=api_token(http, "staff_a")).json()["items"]
    assert [item["id"] for item in items] == [world.ticket_a]
    assert items[0]["center"] == "石宝镇为农服务中心" and {"openid", "status", "created_at"} <= set(items[0])
    page_login(http, "staff_a")
    page = http.get("/admin/tickets").text
    assert f"/admin/tickets/{world.ticket_a}" in page and f"/admin/tickets/{world.ticket_b}" not in page


def test_county_admin_and_viewer_see_every_center(console):
    http, _, world = console
    for username in ("county", "viewer"):
        items = http.get("/admin/api/tickets", headers=api_token(http, username)).json()["items"]
        assert {item["id"] for item in items} == {world.ticket_a, world.ticket_b}


def test_center_staff_cannot_read_another_centers_ticket_by_id(console):
    http, _, world = console
    headers = api_token(http, "staff_a")
    assert http.get(f"/admin/api/tickets/{world.ticket_a}", headers=headers).status_code == 200
    assert http.get(f"/admin/api/tickets/{world.ticket_b}", headers=headers).status_code in (403, 404)
    page_login(http, "staff_a")
    page = http.get(f"/admin/tickets/{world.ticket_b}")
    assert page.status_code == 404 and "oFarmerCenterB" not in page.text


def test_center_staff_cannot_reply_to_another_centers_ticket(console):
    http, ctx, world = console
    before = _counts(ctx)
    answer = http.post(f"/admin/api/tickets/{world.ticket_b}/reply", json={"text": "hi"},
                       headers=api_token(http, "staff_a"))
    assert answer.status_code in (403, 404)
    csrf = page_login(http, "staff_a")
    for action, data in (("reply", {"text": "hi"}), ("note", {"text": "x"}), ("status", {"status": "resolved"})):
        answer = http.post(f"/admin/tickets/{world.ticket_b}/{action}", data=data | {"csrf_token": csrf},
                           follow_redirects=False)
        assert answer.status_code == 404
    assert _counts(ctx) == before
    with transaction(ctx.sessions) as s:
        assert s.get(Ticket, world.ticket_b).status == "open"


def test_center_staff_cannot_change_another_centers_request(console):
    http, ctx, world = console
    before = _counts(ctx)
    answer = http.post(f"/admin/api/requests/bookings/{world.booking_b}/status",
                       json={"status": "confirmed", "reason": ""}, headers=api_token(http, "staff_a"))
    assert answer.status_code in (403, 404)
    csrf = page_login(http, "staff_a")
    answer = http.post(f"/admin/requests/bookings/{world.booking_b}/status",
                       data={"status": "confirmed", "csrf_token": csrf}, follow_redirects=False)
    assert answer.status_code == 404
    assert http.get(f"/admin/requests/bookings/{world.booking_b}").status_code == 404
    assert _counts(ctx) == before
    with transaction(ctx.sessions) as s:
        assert s.get(Booking, world.booking_b).status == "received"


def test_center_staff_request_list_and_export_hold_only_their_center(console):
    http, _, world = console
    headers = api_token(http, "staff_a")
    items = http.get("/admin/api/requests/bookings", headers=headers).json()["items"]
    assert [item["id"] for item in items] == [world.booking_a]
    # Asking for the other center by filter does not widen what they may see.
    assert http.get(f"/admin/api/requests/bookings?center={world.center_b}", headers=headers).json()["items"] == []
    page_login(http, "staff_a")
    page = http.get("/admin/requests/bookings").text
    assert f"/admin/requests/bookings/{world.booking_a}" in page
    assert f"/admin/requests/bookings/{world.booking_b}" not in page
    for query in ("", f"?center={world.center_b}"):
        export = http.get(f"/admin/requests/bookings/export.xlsx{query}")
        assert export.status_code == 200
        rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
        ids = [row[0] for row in rows[1:]]
        assert ids == ([world.booking_a] if not query else [])
        assert "oFarmerCenterB0001" not in str(rows)


def test_county_admin_export_filters_by_center(console):
    http, _, world = console
    page_login(http, "county")
    export = http.get(f"/admin/requests/bookings/export.xlsx?center={world.center_b}&status=received")
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "编号" and [row[0] for row in rows[1:]] == [world.booking_b]


def test_viewer_reads_everything_but_changes_nothing(console):
    http, ctx, world = console
    before = _counts(ctx)
    headers = api_token(http, "viewer")
    assert http.get(f"/admin/api/tickets/{world.ticket_b}", headers=headers).status_code == 200
    assert http.post(f"/admin/api/tickets/{world.ticket_a}/reply", json={"text": "hi"},
                     headers=headers).status_code == 403
    assert http.post(f"/admin/api/requests/bookings/{world.booking_a}/status", json={"status": "confirmed"},
                     headers=headers).status_code == 403
    csrf = page_login(http, "viewer")
    assert "发送回复" not in http.get(f"/admin/tickets/{world.ticket_a}").text
    for url, data in ((f"/admin/tickets/{world.ticket_a}/reply", {"text": "hi"}),
                      (f"/admin/tickets/{world.ticket_a}/status", {"status": "resolved"}),
                      (f"/admin/requests/bookings/{world.booking_a}/status", {"status": "confirmed"})):
        assert http.post(url, data=data | {"csrf_token": csrf}, follow_redirects=False).status_code == 403
    assert _counts(ctx) == before


def test_form_without_csrf_token_is_rejected(console):
    http, ctx, world = console
    csrf = page_login(http, "staff_a")
    before = _counts(ctx)
    for data in ({"text": "hi"}, {"text": "hi", "csrf_token": "forged"}):
        answer = http.post(f"/admin/tickets/{world.ticket_a}/reply", data=data, follow_redirects=False)
        assert answer.status_code == 403 and "CSRF" in answer.text
    # The cookie alone does not authorise the JSON API either: a cookie caller must send the token.
    assert http.post(f"/admin/api/tickets/{world.ticket_a}/status", json={"status": "resolved"}).status_code == 403
    assert _counts(ctx) == before
    ok = http.post(f"/admin/tickets/{world.ticket_a}/note", data={"text": "内部备注", "csrf_token": csrf},
                   follow_redirects=False)
    assert ok.status_code == 303


def test_login_form_needs_its_csrf_token(console):
    http, _, _ = console
    answer = http.post("/admin/login", data={"username": "staff_a", "password": PASSWORD}, follow_redirects=False)
    assert answer.status_code == 403
    assert http.get("/admin/tickets", follow_redirects=False).status_code == 303  # still logged out


def test_api_needs_a_valid_token(console):
    http, _, _ = console
    assert http.get("/admin/api/tickets").status_code == 401
    assert http.get("/admin/api/tickets", headers={"Authorization": "Bearer forged.token"}).status_code == 401
    assert http.post("/admin/api/login", json={"username": "staff_a", "password": "wrong"}).status_code == 401


def test_pages_redirect_to_login_when_logged_out(console):
    http, _, world = console
    answer = http.get(f"/admin/tickets/{world.ticket_a}", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/admin/login?next=")


def test_login_is_rate_limited_per_username(console):
    http, ctx, _ = console
    statuses = [http.post("/admin/api/login", json={"username": "staff_a", "password": f"guess{i}"}).status_code
                for i in range(10)]
    assert statuses == [401] * 10
    # Even the right password is refused once the limit is reached.
    assert http.post("/admin/api/login", json={"username": "staff_a", "password": PASSWORD}).status_code == 429
    page = http.get("/admin/login")
    answer = http.post("/admin/login", data={"username": "staff_a", "password": PASSWORD,
                                             "csrf_token": csrf_of(page.text)})
    assert "登录尝试过多" in answer.text
    with transaction(ctx.sessions) as s:
        assert s.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "login_failed")) == 10
        assert s.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "login_blocked")) == 2


def test_changes_are_audited_with_who_did_them(console):
    http, ctx, world = console
    headers = api_token(http, "staff_a")
    http.post(f"/admin/api/tickets/{world.ticket_a}/status", json={"status": "pending"}, headers=headers)
    http.post(f"/admin/api/requests/bookings/{world.booking_a}/status",
              json={"status": "rejected", "reason": "本季已排满"}, headers=headers)
    with transaction(ctx.sessions) as s:
        rows = {(a.action, a.target_kind, a.target_id): a for a in s.scalars(select(AuditLog))}
        ticket = rows[("ticket_status", "ticket", world.ticket_a)]
        booking = rows[("request_status", "bookings", world.booking_a)]
        assert ticket.staff_id == booking.staff_id == world.users["staff_a"]
        assert ticket.detail["to"] == "pending" and booking.detail["reason"] == "本季已排满"
        assert ("login", None, None) in rows
    page_login(http, "county")
    audit = http.get("/admin/audit").text
    assert "staff_a 把预约 %d 从 已受理 改为 未通过，原因：本季已排满" % world.booking_a in audit
    assert "staff_a 把工单 %d 从 等待工作人员 改为 等待农户" % world.ticket_a in audit
    assert "request_status" not in audit and "{'" not in audit and "&#39;" not in audit
    assert api_token(http, "staff_a") and http.get("/admin/audit", headers=headers).status_code == 403


def test_farmer_html_shows_as_text(console):
    from bot.records.models import MessageLog

    http, ctx, world = console
    with transaction(ctx.sessions) as s:
        s.add(MessageLog(openid="oFarmerCenterA0001", direction="in", msg_type="text",
                         content='<script>alert("x")</script><b>粗体</b>'))
    page_login(http, "staff_a")
    page = http.get(f"/admin/tickets/{world.ticket_a}").text
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page


def test_create_user_command_stores_an_argon2_hash(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from bot.cli import main
    from bot.store.db import make_engine, session_factory, upgrade
    from bot.records.models import ServiceCenter

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade(url)
    sessions = session_factory(make_engine(url))
    with transaction(sessions) as s:
        s.add(ServiceCenter(code="c1", name="石宝镇为农服务中心", kind="乡镇为农服务中心"))
    monkeypatch.setenv("NONGBOT_DATABASE_URL", url)
    runner = CliRunner()
    ok = runner.invoke(main, ["admin", "create-user", "li", "--password", "s3cret-pass", "--role", "center_staff",
                              "--center", "石宝镇为农服务中心"])
    assert ok.exit_code == 0, ok.output
    missing = runner.invoke(main, ["admin", "create-user", "wang", "--password", "s3cret-pass",
                                   "--role", "center_staff"])
    assert missing.exit_code != 0 and "--center" in missing.output
    unknown = runner.invoke(main, ["admin", "create-user", "zhao", "--password", "s3cret-pass",
                                   "--role", "center_staff", "--center", "不存在的中心"])
    assert unknown.exit_code != 0
    with transaction(sessions) as s:
        users = s.scalars(select(StaffUser)).all()
        assert [u.username for u in users] == ["li"]
        assert users[0].password_hash.startswith("$argon2id$") and "s3cret-pass" not in users[0].password_hash
        assert users[0].center.name == "石宝镇为农服务中心"


def test_logout_ends_the_session_and_a_tampered_cookie_is_refused(console):
    http, _, world = console
    csrf = page_login(http, "staff_a")
    cookie = http.cookies.get("nongbot_admin")
    assert http.post("/admin/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    assert http.get("/admin/tickets", follow_redirects=False).status_code == 303
    # Change the signature's second-to-last character (all of its bits count) to a different one.
    forged = cookie[:-2] + ("A" if cookie[-2] != "A" else "B") + cookie[-1]
    assert forged != cookie
    http.cookies.set("nongbot_admin", forged, path="/admin")
    assert http.get(f"/admin/tickets/{world.ticket_a}", follow_redirects=False).status_code == 303


def test_demo_admin_is_created_once_with_a_generated_password(console):
    from admin.accounts import ensure_demo_admin

    http, ctx, _ = console
    with transaction(ctx.sessions) as s:
        s.query(StaffUser).delete()
    username, password = ensure_demo_admin(ctx)
    assert username == "admin" and password and len(password) >= 8
    assert ensure_demo_admin(ctx) == ("admin", None)
    assert http.post("/admin/api/login", json={"username": "admin", "password": password}).status_code == 200


def test_without_a_secret_key_the_console_is_closed_and_the_bot_still_serves(make_settings, sqlite_engine):
    from fastapi.testclient import TestClient

    from bot.app import create_app
    from tests.admin.conftest import _SilentResponder, build_console_ctx

    settings = make_settings(database_url=sqlite_engine.url.render_as_string(hide_password=False),
                             deliver_in_process=False, secret_key="")
    with TestClient(create_app(ctx=build_console_ctx(settings, sqlite_engine), responder=_SilentResponder())) as http:
        assert http.get("/admin/tickets").status_code == 503
        assert http.post("/admin/api/login", json={"username": "a", "password": "b"}).status_code == 503
        assert http.get("/healthz").status_code == 200
