"""WeChat's 客服 message window and quota: which user action opens how many messages for how long."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.orm import Session

from bot.records.models import OutboxMessage, WechatUser


@dataclass(frozen=True)
class WindowRule:
    """What one kind of user action allows: `quota` 客服 messages within `lasts`."""

    quota: int
    lasts: timedelta


# Since 2023-06 a user message allows 5 客服 messages in 48 h; a menu click, subscribe or QR scan
# only 3 in 1 minute (errors 45015 out of window, 45047 over quota). See research/wechat_protocol.md.
RULES: dict[str, WindowRule] = {
    "message": WindowRule(quota=5, lasts=timedelta(hours=48)),
    "click": WindowRule(quota=3, lasts=timedelta(minutes=1)),
    "subscribe": WindowRule(quota=3, lasts=timedelta(minutes=1)),
    "scan": WindowRule(quota=3, lasts=timedelta(minutes=1)),
}
# The console warns when less than this is left of an open window.
CLOSING_SOON = timedelta(hours=6)
# Outbox kinds that spend the 客服 quota (template messages do not).
KF_KINDS = ("text",)


@dataclass(frozen=True)
class WindowState:
    open: bool
    closes_at: datetime | None
    remaining: int
    opened_by: str | None
    opened_at: datetime | None = None
    quota: int = 0

    @property
    def can_send(self) -> bool:
        return self.open and self.remaining > 0

    def closing_soon(self, now: datetime) -> bool:
        return self.open and self.closes_at is not None and self.closes_at - now <= CLOSING_SOON


CLOSED = WindowState(open=False, closes_at=None, remaining=0, opened_by=None)


def _user(session: Session, openid: str) -> WechatUser | None:
    return session.scalar(select(WechatUser).where(WechatUser.openid == openid))


def note_user_action(session: Session, openid: str, kind: str, now: datetime) -> None:
    """Record that the user just did `kind` (message | click | subscribe | scan), opening a window.

    A short window (click, scan) never cuts an open message window short: the user's earlier
    message still entitles the service to its 48 hours. The rule is `window_columns`, the same SET
    the webhook's user upsert runs.
    """
    window = window_columns(WechatUser.__table__, kind, now, window_keep_after(kind, now))
    if window:
        session.execute(update(WechatUser).where(WechatUser.openid == openid).values(**window)
                        .execution_options(synchronize_session="fetch"))


def window_columns(users: Any, kind: str, now: Any, keep_after: Any) -> dict[str, Any]:
    """The same rule as `note_user_action`, as the SET of an upsert on `users` (the wechat_users table,
    its current row in scope): a user action of `kind` opens a window `now`, unless it is a short one
    that would cut an open message window short. `now` and `keep_after` may be bind parameters;
    `keep_after` takes `window_keep_after(kind, now)`. Empty when `kind` opens no window."""
    if kind not in RULES:
        return {}
    if kind == "message":
        return {"window_opened_at": now, "window_opened_by": kind}
    keeps = and_(users.c.window_opened_by == "message", users.c.window_opened_at > keep_after)
    return {"window_opened_at": case((keeps, users.c.window_opened_at), else_=now),
            "window_opened_by": case((keeps, users.c.window_opened_by), else_=kind)}


def window_keep_after(kind: str, now: datetime) -> datetime:
    """A message window opened after this outlasts the window `kind` would open now (closes_at
    later than now + the rule's length): then `kind` leaves it alone."""
    lasts = RULES[kind].lasts if kind in RULES else timedelta(0)
    return now + lasts - RULES["message"].lasts


def _window_of(user: WechatUser) -> tuple[str, datetime] | None:
    """(kind, closes_at) of the user's last recorded window, or None."""
    if user.window_opened_at is None or user.window_opened_by not in RULES:
        return None
    return user.window_opened_by, user.window_opened_at + RULES[user.window_opened_by].lasts


def sent_since(session: Session, openid: str, since: datetime) -> int:
    """客服 messages queued or sent to the user since `since` (dead letters never reached WeChat)."""
    return session.scalar(
        select(func.count(OutboxMessage.id)).where(
            OutboxMessage.openid == openid, OutboxMessage.kind.in_(KF_KINDS),
            OutboxMessage.status != "dead", OutboxMessage.created_at >= since)) or 0


def window_state(session: Session, openid: str, now: datetime) -> WindowState:
    """Whether 客服 messages can reach the user now, until when, and how many are left."""
    user = _user(session, openid)
    if user is None or user.window_opened_at is None or user.window_opened_by not in RULES:
        return CLOSED
    rule = RULES[user.window_opened_by]
    opened_at = user.window_opened_at
    closes_at = opened_at + rule.lasts
    if now >= closes_at or not user.subscribed:
        return WindowState(open=False, closes_at=closes_at, remaining=0, opened_by=user.window_opened_by,
                           opened_at=opened_at, quota=rule.quota)
    remaining = max(0, rule.quota - sent_since(session, openid, opened_at))
    return WindowState(open=True, closes_at=closes_at, remaining=remaining, opened_by=user.window_opened_by,
                       opened_at=opened_at, quota=rule.quota)
