"""The webhook's work per callback: de-duplicate, run the responder within the reply budget, log, defer.

WeChat re-sends a callback it got no answer to within 5 s, up to three times. The first
attempt claims the callback's dedup key in the store and runs the responder; a retry waits
for that attempt's stored reply (or answers 'success'). When the responder overruns the
budget, the webhook answers 'success' and the reply goes out later through the outbox (客服).
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from bot.context import AppContext, Responder
from bot.db import transaction
from bot.inbound import Inbound, Outcome
from bot.kf_window import note_user_action
from bot.models import MessageLog, WechatUser, utcnow
from bot.outbox import enqueue_text
from bot.wechat import split_for_wechat

log = logging.getLogger(__name__)

POLL_SECONDS = 0.05
USER_LOCK_SECONDS = 60.0
# Events that open a 客服 window; LOCATION is pushed automatically and opens nothing.
WINDOW_OPENERS = {"text": "message", "voice": "message", "location": "message", "image": "message",
                  "link": "message", "video": "message", "subscribe": "subscribe", "scan": "scan",
                  "click": "click"}


@dataclass
class _Attempt:
    """Shared between the webhook waiting for a reply and the thread producing it."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    abandoned: bool = False
    done: bool = False
    passive: str | None = None


class Gateway:
    def __init__(self, ctx: AppContext, responder: Responder) -> None:
        self.ctx = ctx
        self.responder = responder
        self._background: set[asyncio.Future] = set()

    @property
    def budget(self) -> float:
        return self.ctx.settings.reply_budget_seconds

    # ---- entry point ----------------------------------------------------------------
    async def answer(self, inbound: Inbound) -> str | None:
        """The passive reply text for this callback, or None for 'success'."""
        if inbound.kind == "event" and inbound.event == "location":
            # Pushed every few seconds by WeChat: remember it, never answer, never dedup.
            await run_in_threadpool(self._remember_location, inbound)
            return None
        deadline = time.monotonic() + self.budget
        key = inbound.dedup_key
        first = await run_in_threadpool(self.ctx.store.add, f"dedup:{key}", "1",
                                        self.ctx.settings.dedup_ttl_seconds)
        if not first:
            return await self._await_first(key, deadline)
        attempt = _Attempt()
        task = asyncio.ensure_future(run_in_threadpool(self._run, inbound, attempt))
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        try:
            return await asyncio.wait_for(asyncio.shield(task), timeout=max(0.0, deadline - time.monotonic()))
        except asyncio.TimeoutError:
            with attempt.lock:
                if attempt.done:
                    return attempt.passive
                attempt.abandoned = True
            log.warning("reply budget exceeded for %s; answering later via 客服", key)
            return None

    async def _await_first(self, key: str, deadline: float) -> str | None:
        while time.monotonic() < deadline:
            stored = await run_in_threadpool(self.ctx.store.get, f"reply:{key}")
            if stored is not None:
                return stored.get("text")
            await asyncio.sleep(POLL_SECONDS)
        return None

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait for handling that outlived its webhook (tests, shutdown)."""
        if self._background:
            await asyncio.wait(list(self._background), timeout=timeout)

    # ---- the work, in a worker thread -----------------------------------------------
    def _run(self, inbound: Inbound, attempt: _Attempt) -> str | None:
        key = inbound.dedup_key
        try:
            with self.ctx.store.lock(f"user:{inbound.openid}", ttl=USER_LOCK_SECONDS, wait=USER_LOCK_SECONDS):
                outcome = self.responder.respond(inbound)
        except Exception:  # noqa: BLE001 - the farmer gets an apology, never a failure banner
            log.exception("responder failed for %s", key)
            outcome = Outcome(replies=[self.ctx.templates.render("gateway/error")])
        texts = [piece for reply in outcome.replies for piece in split_for_wechat(reply)]
        passive, later = (texts[0], texts[1:]) if texts else (None, [])
        with attempt.lock:
            if attempt.abandoned:
                passive, later = None, texts
            attempt.passive = passive
            attempt.done = True
        self._record(inbound, outcome, texts, later)
        self.ctx.store.set(f"reply:{key}", {"text": passive}, ttl=self.ctx.settings.dedup_ttl_seconds)
        return passive

    def _record(self, inbound: Inbound, outcome: Outcome, texts: list[str], later: list[str]) -> None:
        """One transaction: the user's last-seen and 客服 window, the message log, and what the
        passive reply could not carry queued for 客服 delivery."""
        now = utcnow()
        with transaction(self.ctx.sessions) as session:
            self._touch_user(session, inbound, now)
            rows = [dict(openid=inbound.openid, direction="in", msg_type=inbound.event or inbound.kind,
                         msg_id=inbound.msg_id, content=_inbound_content(inbound), media_id=inbound.media_id,
                         intent=outcome.intent, confidence=outcome.confidence,
                         extra={"event_key": inbound.event_key} if inbound.event_key else {}, created_at=now)]
            passive_count = len(texts) - len(later)
            rows += [dict(openid=inbound.openid, direction="out", msg_type="text", msg_id=None, content=text,
                          media_id=None, intent=None, confidence=None,
                          extra={"via": "passive" if index < passive_count else "outbox"}, created_at=now)
                     for index, text in enumerate(texts)]
            session.execute(insert(MessageLog), rows)
            for index, text in enumerate(later):
                enqueue_text(session, inbound.openid, text, source="reply",
                             dedup_key=f"reply:{inbound.dedup_key}:{index}")

    @staticmethod
    def _touch_user(session: Session, inbound: Inbound, now: datetime) -> None:
        user = session.scalar(select(WechatUser).where(WechatUser.openid == inbound.openid))
        if user is None:
            user = WechatUser(openid=inbound.openid, first_seen=now)
            try:
                with session.begin_nested():
                    session.add(user)
            except IntegrityError:  # created meanwhile by another worker
                user = session.scalar(select(WechatUser).where(WechatUser.openid == inbound.openid))
        user.last_seen = now
        if inbound.event in ("subscribe", "unsubscribe"):
            user.subscribed = inbound.event == "subscribe"
        opener = WINDOW_OPENERS.get(inbound.event or inbound.kind)
        if opener:
            session.flush()
            note_user_action(session, inbound.openid, opener, now)

    def _remember_location(self, inbound: Inbound) -> None:
        self.ctx.store.set(f"location:{inbound.openid}", {"lat": inbound.lat, "lon": inbound.lon},
                           ttl=24 * 3600)


def _inbound_content(inbound: Inbound) -> str | None:
    if inbound.text is not None:
        return inbound.text
    if inbound.kind == "location":
        return f"{inbound.label or ''} ({inbound.lat},{inbound.lon})".strip()
    if inbound.kind == "link":
        return f"{inbound.title or ''} {inbound.url or ''}".strip()
    return inbound.event_key
