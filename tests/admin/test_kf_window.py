"""The 客服 window rules: what a user action opens, how long it lasts and how many messages remain."""
from __future__ import annotations

from datetime import timedelta

import pytest

from bot.store.db import session_factory, transaction
from bot.wechat.kf_window import note_user_action, window_state
from bot.records.models import OutboxMessage, WechatUser
from tests.admin.conftest import utc

OPENID = "oWindowUser0001"
T0 = utc(2026, 5, 1, 8, 0)


@pytest.fixture
def sessions(engine):
    factory = session_factory(engine)
    with transaction(factory) as s:
        s.add(WechatUser(openid=OPENID))
    return factory


def _send(session, n, at, kind="text", status="sent"):
    for _ in range(n):
        session.add(OutboxMessage(openid=OPENID, kind=kind, payload={}, status=status, created_at=at))


def test_no_user_action_means_the_window_is_closed(sessions):
    with transaction(sessions) as s:
        state = window_state(s, OPENID, T0)
        assert not state.open and state.remaining == 0 and not state.can_send
        assert not window_state(s, "oUnknown", T0).open


def test_user_message_opens_five_messages_for_48_hours(sessions):
    with transaction(sessions) as s:
        note_user_action(s, OPENID, "message", T0)
    with transaction(sessions) as s:
        state = window_state(s, OPENID, T0 + timedelta(hours=47))
        assert state.open and state.remaining == 5 and state.opened_by == "message"
        assert state.closes_at == T0 + timedelta(hours=48)
        assert state.closing_soon(T0 + timedelta(hours=47)) and not state.closing_soon(T0 + timedelta(hours=1))
        assert not window_state(s, OPENID, T0 + timedelta(hours=48)).open


def test_each_kf_message_sent_in_the_window_spends_the_quota(sessions):
    with transaction(sessions) as s:
        note_user_action(s, OPENID, "message", T0)
        _send(s, 2, T0 - timedelta(minutes=5))                 # before the window: not counted
        _send(s, 3, T0 + timedelta(minutes=1))
        _send(s, 1, T0 + timedelta(minutes=2), kind="template")  # templates have their own rules
        _send(s, 1, T0 + timedelta(minutes=3), status="dead")    # never reached WeChat
    with transaction(sessions) as s:
        assert window_state(s, OPENID, T0 + timedelta(hours=1)).remaining == 2
        _send(s, 2, T0 + timedelta(minutes=4), status="pending")
    with transaction(sessions) as s:
        state = window_state(s, OPENID, T0 + timedelta(hours=1))
        assert state.open and state.remaining == 0 and not state.can_send


@pytest.mark.parametrize("kind", ["click", "subscribe", "scan"])
def test_menu_click_subscribe_or_scan_open_three_messages_for_a_minute(sessions, kind):
    with transaction(sessions) as s:
        note_user_action(s, OPENID, kind, T0)
    with transaction(sessions) as s:
        state = window_state(s, OPENID, T0 + timedelta(seconds=30))
        assert state.open and state.remaining == 3 and state.opened_by == kind
        assert not window_state(s, OPENID, T0 + timedelta(seconds=61)).open


def test_a_menu_click_does_not_shorten_an_open_message_window(sessions):
    with transaction(sessions) as s:
        note_user_action(s, OPENID, "message", T0)
        note_user_action(s, OPENID, "click", T0 + timedelta(hours=1))
    with transaction(sessions) as s:
        assert window_state(s, OPENID, T0 + timedelta(hours=5)).opened_by == "message"
        note_user_action(s, OPENID, "click", T0 + timedelta(hours=49))
    with transaction(sessions) as s:
        assert window_state(s, OPENID, T0 + timedelta(hours=49, seconds=10)).opened_by == "click"


def test_a_new_message_restarts_the_window_and_its_quota(sessions):
    with transaction(sessions) as s:
        note_user_action(s, OPENID, "message", T0)
        _send(s, 5, T0 + timedelta(minutes=1))
        note_user_action(s, OPENID, "message", T0 + timedelta(hours=2))
    with transaction(sessions) as s:
        state = window_state(s, OPENID, T0 + timedelta(hours=3))
        assert state.remaining == 5 and state.closes_at == T0 + timedelta(hours=50)


def test_unsubscribed_users_cannot_be_reached(sessions):
    with transaction(sessions) as s:
        note_user_action(s, OPENID, "message", T0)
        s.query(WechatUser).filter_by(openid=OPENID).one().subscribed = False
    with transaction(sessions) as s:
        assert not window_state(s, OPENID, T0 + timedelta(minutes=1)).open
