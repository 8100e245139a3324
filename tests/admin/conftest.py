"""Console fixtures: a deployment from real parts with two centers, their staff, farmers, tickets and bookings."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient

from admin.accounts import hash_password
from bot.context import AppContext
from bot.store.db import session_factory, transaction
from bot.records.models import Booking, MessageLog, ServiceCenter, StaffUser, Ticket, TicketMessage, WechatUser

PASSWORD = "correct-horse-42"
FARMER_A = "oFarmerCenterA0001"
FARMER_B = "oFarmerCenterB0001"
_HASH: list[str] = []


def password_hash() -> str:
    if not _HASH:  # argon2 is slow on purpose: hash the shared test password once
        _HASH.append(hash_password(PASSWORD))
    return _HASH[0]


@dataclass
class World:
    """Ids of what the fixture created."""

    center_a: int = 0
    center_b: int = 0
    ticket_a: int = 0
    ticket_b: int = 0
    booking_a: int = 0
    booking_b: int = 0
    users: dict[str, int] = field(default_factory=dict)


def load_test_pack() -> Any:
    """The 忠县 pack (its FAQ feeds canned replies, its targets the dashboard)."""
    try:
        from knowledge import load_pack
    except ImportError:  # the pack loader lands separately: the console then works without FAQ or targets
        from types import SimpleNamespace

        return SimpleNamespace(path=None, info=SimpleNamespace(county="忠县"), faq=[], targets=[])
    return load_pack("zhongxian")


def build_console_ctx(settings, engine) -> AppContext:
    from bot.store.sql import SqlStore
    from bot.wechat.api import make_wechat_api

    store = SqlStore(engine)
    return AppContext(settings=settings, engine=engine, sessions=session_factory(engine), store=store,
                      pack=load_test_pack(), nlu=None, templates=None, wechat_api=make_wechat_api(settings, store))


def deliver(ctx: AppContext) -> int:
    """Run the outbox worker once, as `nongbot worker` would: what is due goes to the (fake) WeChat API."""
    from bot.wechat.outbox import OutboxWorker

    return OutboxWorker(ctx.sessions, ctx.wechat_api).deliver_due()


def seed(ctx: AppContext, now: datetime) -> World:
    world = World()
    with transaction(ctx.sessions) as s:
        a = ServiceCenter(code="t-a", name="石宝镇为农服务中心", kind="乡镇为农服务中心", township="石宝镇")
        b = ServiceCenter(code="t-b", name="新立镇为农服务中心", kind="乡镇为农服务中心", township="新立镇")
        s.add_all([a, b])
        s.flush()
        world.center_a, world.center_b = a.id, b.id
        for username, role, center in (("county", "county_admin", None), ("staff_a", "center_staff", a.id),
                                       ("staff_b", "center_staff", b.id), ("viewer", "viewer", None)):
            user = StaffUser(username=username, password_hash=password_hash(), role=role, center_id=center,
                             display_name=username)
            s.add(user)
            s.flush()
            world.users[username] = user.id
        for openid, center, township in ((FARMER_A, a.id, "石宝镇"), (FARMER_B, b.id, "新立镇")):
            s.add(WechatUser(openid=openid, center_id=center, township=township, phone="13800000000",
                             window_opened_at=now - timedelta(hours=1), window_opened_by="message"))
            s.add(MessageLog(openid=openid, direction="in", msg_type="text", content="转人工",
                             intent="human_agent", created_at=now - timedelta(hours=1)))
        tickets = []
        for openid, center in ((FARMER_A, a.id), (FARMER_B, b.id)):
            ticket = Ticket(openid=openid, center_id=center, reason="human_agent", summary="农户要求转人工",
                            idempotency_key=f"t:{openid}", created_at=now - timedelta(hours=1),
                            last_user_message_at=now - timedelta(hours=1))
            s.add(ticket)
            s.flush()
            s.add(TicketMessage(ticket_id=ticket.id, author="farmer", text="转人工", created_at=ticket.created_at))
            tickets.append(ticket.id)
        world.ticket_a, world.ticket_b = tickets
        bookings = []
        for openid, center, township in ((FARMER_A, a.id, "石宝镇"), (FARMER_B, b.id, "新立镇")):
            booking = Booking(openid=openid, center_id=center, township=township, crop="水稻", service="统防统治",
                              area_mu=50, phone="13800000000", name="张三", idempotency_key=f"b:{openid}",
                              slots={"crop": "水稻", "service": "统防统治", "area_mu": 50})
            s.add(booking)
            s.flush()
            bookings.append(booking.id)
        world.booking_a, world.booking_b = bookings
    return world


@pytest.fixture
def console(make_settings, engine, fake_wechat, request):
    """(TestClient, ctx, world) over the console on SQLite and PostgreSQL, sending to the fake WeChat API.

    The outbox is not delivered in-process: tests call `deliver(ctx)` when they want it sent."""
    from bot.app import create_app

    overrides = getattr(request, "param", {}) or {}
    settings = make_settings(database_url=engine.url.render_as_string(hide_password=False),
                             deliver_in_process=False, **fake_wechat.settings_overrides(), **overrides)
    ctx = build_console_ctx(settings, engine)
    world = seed(ctx, ctx.clock())
    with TestClient(create_app(ctx=ctx, responder=_SilentResponder())) as http:
        yield http, ctx, world


class _SilentResponder:
    def respond(self, unit):  # noqa: ANN001, ANN201
        from bot.dialog.unit import Outcome

        return Outcome()


def api_token(http: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    answer = http.post("/admin/api/login", json={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


def page_login(http: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log in through the form; returns the session's CSRF token."""
    page = http.get("/admin/login")
    answer = http.post("/admin/login", data={"username": username, "password": password,
                                             "csrf_token": csrf_of(page.text), "next": "/admin/tickets"},
                       follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/admin/tickets", answer.text
    return csrf_of(http.get("/admin/tickets").text)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)
