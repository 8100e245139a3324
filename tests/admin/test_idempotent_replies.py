"""A staff reply is sent once, however often it is submitted: double click, resubmitted form, retried API call."""
from __future__ import annotations

import re

from sqlalchemy import select

from admin import inbox
from admin.policy import Staff
from bot.store.db import transaction
from bot.records.models import OutboxMessage, StaffUser, TicketMessage
from tests.admin.conftest import FARMER_A, api_token, deliver, page_login
from tests.fakes.threads import run_in_threads

REPLY_TOKEN = re.compile(r'name="reply_token" value="([^"]+)"')


def _sent(ctx):
    with transaction(ctx.sessions) as s:
        staff = s.scalars(select(TicketMessage.text).where(TicketMessage.author == "staff")).all()
        queued = s.scalars(select(OutboxMessage.id).where(OutboxMessage.openid == FARMER_A)).all()
        return list(staff), list(queued)


def test_resubmitted_reply_form_shows_the_reply_once_and_queues_one_message(console, fake_wechat):
    http, ctx, world = console
    csrf = page_login(http, "staff_a")
    page = http.get(f"/admin/tickets/{world.ticket_a}")
    form = {"text": "您好，明天上午上门", "csrf_token": csrf, "reply_token": REPLY_TOKEN.search(page.text).group(1)}
    first = http.post(f"/admin/tickets/{world.ticket_a}/reply", data=form, follow_redirects=False)
    again = http.post(f"/admin/tickets/{world.ticket_a}/reply", data=form, follow_redirects=False)
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"] == f"/admin/tickets/{world.ticket_a}?sent=kf"
    assert _sent(ctx)[0] == ["您好，明天上午上门"] and len(_sent(ctx)[1]) == 1
    assert http.get(f"/admin/tickets/{world.ticket_a}").text.count("您好，明天上午上门") == 1
    assert deliver(ctx) == 1 and fake_wechat.texts_to(FARMER_A) == ["您好，明天上午上门"]


def test_each_rendering_of_the_reply_form_carries_a_new_token(console):
    http, _, world = console
    page_login(http, "staff_a")
    tokens = {REPLY_TOKEN.search(http.get(f"/admin/tickets/{world.ticket_a}").text).group(1) for _ in range(2)}
    assert len(tokens) == 2


def test_retried_api_reply_with_the_same_idempotency_key_is_sent_once(console):
    http, ctx, world = console
    headers = api_token(http, "staff_a") | {"Idempotency-Key": "reply-7f3a"}
    url = f"/admin/api/tickets/{world.ticket_a}/reply"
    first = http.post(url, json={"text": "明天上门"}, headers=headers).json()
    again = http.post(url, json={"text": "明天上门"}, headers=headers).json()
    assert (first["repeated"], again["repeated"]) == (False, True)
    assert first["outbox_id"] == again["outbox_id"] and again["delivery"] == "kf"
    other = http.post(url, json={"text": "明天上门"}, headers=headers | {"Idempotency-Key": "reply-8b1c"}).json()
    plain = http.post(url, json={"text": "明天上门"}, headers=api_token(http, "staff_a")).json()
    assert len({first["outbox_id"], other["outbox_id"], plain["outbox_id"]}) == 3
    assert len(_sent(ctx)[0]) == 3


def test_a_refused_reply_leaves_its_key_free_for_the_corrected_one(console):
    http, ctx, world = console
    headers = api_token(http, "staff_a") | {"Idempotency-Key": "reply-empty"}
    url = f"/admin/api/tickets/{world.ticket_a}/reply"
    assert http.post(url, json={"text": "   "}, headers=headers).status_code == 400
    assert http.post(url, json={"text": "好的"}, headers=headers).json()["repeated"] is False
    assert _sent(ctx)[0] == ["好的"]


def test_double_click_arriving_at_two_workers_together_sends_once(console):
    _, ctx, world = console
    with transaction(ctx.sessions) as s:
        staff = Staff.of(s.get(StaffUser, world.users["staff_a"]))

    def submit(_: int) -> inbox.SentReply:
        return inbox.reply_once(lambda: transaction(ctx.sessions), ctx.store, ctx.settings, staff, world.ticket_a,
                                "马上安排", ctx.clock(), "token-double-click")

    results = run_in_threads(submit, 2)
    assert sorted(r.repeated for r in results) == [False, True]
    assert results[0].outbox_id == results[1].outbox_id
    assert _sent(ctx)[0] == ["马上安排"] and len(_sent(ctx)[1]) == 1
