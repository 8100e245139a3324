"""The webhook's work per callback: de-duplicate, run the responder within the reply budget, log, defer.

WeChat re-sends a callback it got no answer to within 5 s, up to three times. The first
attempt claims the callback's dedup key in the store and runs the responder; a retry waits
for that attempt's stored reply (or answers 'success'). When the responder overruns the
budget, the webhook answers 'success' and the reply goes out later through the outbox (客服).

One message costs one worker-thread hop, two store round trips — the claim (dedup key, the user's
lock, the dialog memory, the last pushed location) and the finish (memory, stored reply, lock
released) — and one database transaction: the responder's records, the user's row, the message log
and the outbox. One farmer's messages queue one behind the other before they take a worker slot, so
a burst from one farmer never holds the slots another farmer's message needs. A claim
names its owner, a process that keeps a heartbeat key fresh; a retry that finds the owner dead
(the worker crashed mid-message) takes the message over instead of answering 'success' forever; an
attempt whose transaction rolled back (a database gone mid-message) releases its claim, so WeChat's next
retry starts the message over.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import time
import uuid
import weakref
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from bot.context import AppContext, Responder
from bot import logs, metrics
from bot.records import conversations as dialog_state
from bot.records.messages import MessageRecords
from bot.dialog.unit import MessageUnit, Outcome
from bot.wechat.inbound import Inbound, location_key, remember_location
from bot.wechat.kf_window import window_columns, window_keep_after
from bot.records.models import utcnow
from bot.wechat.outbox import enqueue_texts
from bot.store import OWNER_MARK, Claim, LockTimeout, MessageKeys, alive_key, poll_lock, process_owner
from bot.wechat.protocol import split_for_wechat

log = logging.getLogger(__name__)

POLL_SECONDS = 0.05
USER_LOCK_SECONDS = 60.0
# A process refreshes its heartbeat every ALIVE_SECONDS / 4; a retry finding it gone takes over. On the same
# machine a retry needs no wait: a claim names its owner's process (bot.store.process_owner), and a retry
# whose owner process no longer runs takes over at once; from another machine, within ALIVE_SECONDS, inside
# WeChat's 5 s between attempts.
ALIVE_SECONDS = 4.0
# Messages worked on at once per process: more only queue on the GIL and the connection pools.
CONCURRENT_MESSAGES = 8
# Overload: a message that would wait longer than this before it even starts (the request's own wait in the
# server since it arrived, or the queue of messages ahead of it at the rate this process finishes them) is
# shed: answered 'success' at once and handled once the process has room, its answer sent as 客服 messages.
# WeChat would otherwise time out at 5 s and send it again, three times: a burst (a broadcast answered by
# thousands of farmers) would become a retry storm.
SHED_AFTER_SECONDS = 1.0
# A reply ready this close to its webhook's deadline is not held for it: it goes out through the outbox,
# queued in the message's own transaction, rather than after a commit that may end past the deadline.
COMMIT_MARGIN_SECONDS = 0.5
RATE_WINDOW_SECONDS = 2.0     # the finishing rate is counted over this much recent time
# A message handled past its webhook (its webhook answered 'success', so WeChat will not send it again) that
# fails on the way (the database busy or gone for a moment: everything it wrote rolled back) is started again
# this many times, after a growing pause, before it is given up and logged: nobody else would redo it.
REDO_TIMES = 3
REDO_PAUSE_SECONDS = 1.0
MIN_RATE = 20.0               # messages a second assumed before there is a rate to count (a cold start)
# Events that open a 客服 window; LOCATION is pushed automatically and opens nothing.
WINDOW_OPENERS = {"text": "message", "voice": "message", "location": "message", "image": "message",
                  "link": "message", "video": "message", "subscribe": "subscribe", "scan": "scan",
                  "click": "click"}



@dataclass
class _Attempt:
    """Shared between the webhook waiting for a reply and the thread producing it."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    deadline: float = float("inf")  # time.monotonic() when its webhook answers 'success' if not done
    abandoned: bool = False
    done: bool = False
    passive: str | None = None
    intent: str | None = None    # the turn's intent, for the per-message log line
    inbound: Inbound | None = None  # the message, so one that failed past its webhook can be started again
    redone: int = 0                 # how many times it was started again after such a failure


@dataclass(frozen=True)
class _Retry:
    """This callback repeats one that another attempt owns; `stored` is that attempt's reply, if stored yet."""

    stored: dict[str, Any] | None


class Heartbeat:
    """Keeps `alive:<owner>` fresh in the store while this process handles messages."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.owner = process_owner()
        self._started = False
        self._guard = threading.Lock()
        self._stop = threading.Event()

    def ensure_started(self) -> None:
        if self._started:
            return
        with self._guard:
            if self._started:
                return
            self.beat()  # before the first claim names this owner
            threading.Thread(target=self._run, name="nongbot-heartbeat", daemon=True).start()
            self._started = True

    def beat(self) -> None:
        self.store.set(alive_key(self.owner), time.time(), ttl=ALIVE_SECONDS)

    def stop(self) -> None:
        self._stop.set()
        if self._started:
            try:
                self.store.delete(alive_key(self.owner))
            except Exception:  # noqa: BLE001 - shutting down; the key expires on its own
                log.debug("could not remove heartbeat", exc_info=True)

    def _run(self) -> None:
        while not self._stop.wait(ALIVE_SECONDS / 4):
            try:
                self.beat()
            except Exception:  # noqa: BLE001 - keep beating; a missed beat only risks an early takeover
                log.warning("heartbeat failed", exc_info=True)

    def token(self) -> str:
        return f"{self.owner}{OWNER_MARK}{uuid.uuid4().hex}"


class Gateway:
    def __init__(self, ctx: AppContext, responder: Responder) -> None:
        self.ctx = ctx
        self.responder = responder
        # The responder gets the user's row from the gateway's upsert, run first in the message's transaction
        # (the dialog need not read it again). Not on SQLite: a transaction's first write locks the whole
        # database, and held through the responder it would make every other message, and the store's writes,
        # wait; there the upsert runs with the message log, after the responder.
        self._hands_user = ctx.engine.dialect.name != "sqlite"
        self.heartbeat = Heartbeat(ctx.store)
        weakref.finalize(self, self.heartbeat.stop)  # an app dropped without its shutdown stops beating too
        self._background: set[asyncio.Future] = set()
        self._slots: asyncio.Semaphore | None = None
        self._user_tails: dict[str, asyncio.Future] = {}   # openid -> its last queued message's turn
        self._threads = ThreadPoolExecutor(CONCURRENT_MESSAGES, thread_name_prefix="nongbot-message")
        weakref.finalize(self, self._threads.shutdown, wait=False)
        # The user's upsert and the message log (on PostgreSQL on psycopg's cursor, bot.fastpath).
        self.records = MessageRecords(ctx.engine, window_columns)
        self._stall = _test_stall_hook()
        # Overload shedding: messages waiting for a slot, recent finishes, and what was shed, in order.
        self._waiting = 0
        self._running = 0
        self._finished: deque[float] = deque(maxlen=4096)
        self._deferred: deque[tuple[Inbound, int]] = deque()  # (message, times started again)
        self._deferred_users: dict[str, int] = {}
        self._drainer: asyncio.Future | None = None
        self._redo_waiting = 0  # failed past their webhook, paused before they are started again
        self.shed_count = 0
        self._shed_logged = float("-inf")

    @property
    def budget(self) -> float:
        return self.ctx.settings.reply_budget_seconds

    # ---- entry point ----------------------------------------------------------------
    async def answer(self, inbound: Inbound, arrived: float | None = None) -> str | None:
        """The passive reply text for this callback, or None for 'success'. `arrived`: `time.monotonic()` when
        the request reached the server (the webhook's first step); the budget counts from there."""
        start = time.monotonic() if arrived is None else arrived
        attempt = _Attempt(inbound=inbound)
        outcome = "error"
        try:
            text, outcome = await self._answer(inbound, arrived, attempt)
            return text
        finally:
            latency = time.monotonic() - start
            metrics.MESSAGES.labels(inbound.kind, outcome).inc()
            metrics.REPLY_SECONDS.observe(latency)
            if outcome == "overrun":
                metrics.OVERRUNS.inc()
            elif outcome == "shed":
                metrics.SHED.inc()
            logs.message_line(inbound.kind, outcome, latency, inbound.openid, attempt.intent)

    async def _answer(self, inbound: Inbound, arrived: float | None, attempt: _Attempt) -> tuple[str | None, str]:
        """`answer`'s work and how it ended: answered, no_reply, overrun, shed, retry or location."""
        if inbound.kind == "event" and inbound.event == "location":
            # Pushed every few seconds by WeChat: remember it, never answer, never dedup.
            await run_in_threadpool(remember_location, self.ctx.store, inbound)
            return None, "location"
        now = time.monotonic()
        arrived = now if arrived is None else min(arrived, now)
        if self._overloaded(inbound, now - arrived, now):
            self._defer(inbound)
            return None, "shed"
        deadline = arrived + self.budget
        attempt.deadline = deadline
        task = asyncio.ensure_future(self._work(inbound, attempt))
        self._background.add(task)
        task.add_done_callback(lambda done: self._done(done, attempt))
        # asyncio.wait leaves the work running past the budget (no shield needed, one future less).
        done, _ = await asyncio.wait((task,), timeout=max(0.0, deadline - time.monotonic()))
        if done:
            result = task.result()
        else:
            with attempt.lock:
                if attempt.done:
                    return attempt.passive, "answered" if attempt.passive else "no_reply"
                attempt.abandoned = True
            log.warning("reply budget exceeded for %s; answering later via 客服", inbound.dedup_key)
            return None, "overrun"
        if isinstance(result, _Retry):
            if result.stored is not None:
                return result.stored.get("text"), "retry"
            return await self._await_first(inbound.dedup_key, deadline), "retry"
        return result, "answered" if result else "no_reply"

    # ---- overload: shed now, answer later ---------------------------------------------------
    def _overloaded(self, inbound: Inbound, waited: float, now: float) -> bool:
        """Whether this message is to be shed: the farmer has shed messages not yet started (their order
        is kept), the request already waited too long, or the messages ahead of it would take too long."""
        if inbound.openid in self._deferred_users:
            return True
        if waited > SHED_AFTER_SECONDS:
            return True
        if self._waiting == 0:
            return False
        finished = self._finished
        while finished and finished[0] < now - RATE_WINDOW_SECONDS:
            finished.popleft()
        rate = max(MIN_RATE, len(finished) / RATE_WINDOW_SECONDS)
        return self._waiting / rate > SHED_AFTER_SECONDS

    def _defer(self, inbound: Inbound) -> None:
        self.shed_count += 1
        self._queue_deferred(inbound, 0)
        now = time.monotonic()
        if now >= self._shed_logged + 10.0:  # a line every 10 s at most while it lasts
            self._shed_logged = now
            log.warning("overloaded: %s messages shed so far (answered 'success', handled later via 客服)",
                        self.shed_count)

    def _queue_deferred(self, inbound: Inbound, redone: int) -> None:
        self._deferred.append((inbound, redone))
        self._deferred_users[inbound.openid] = self._deferred_users.get(inbound.openid, 0) + 1
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.ensure_future(self._drain_deferred())

    async def _drain_deferred(self) -> None:
        """Start shed messages, oldest first, whenever no fresh message waits and a slot is free: a shed
        message never delays one that can still be answered in time."""
        while self._deferred:
            if self._waiting or self._running >= CONCURRENT_MESSAGES:
                await asyncio.sleep(POLL_SECONDS)
                continue
            inbound, redone = self._deferred.popleft()
            left = self._deferred_users[inbound.openid] - 1
            if left:
                self._deferred_users[inbound.openid] = left
            else:
                del self._deferred_users[inbound.openid]
            # its webhook answered 'success': every reply goes out as 客服
            attempt = _Attempt(abandoned=True, inbound=inbound, redone=redone)
            task = asyncio.ensure_future(self._work(inbound, attempt))
            self._background.add(task)
            task.add_done_callback(lambda done, attempt=attempt: self._done(done, attempt))
            await asyncio.sleep(0)  # let it take its slot before the next is considered

    def _done(self, task: asyncio.Future, attempt: _Attempt) -> None:
        self._background.discard(task)
        if attempt.abandoned and not task.cancelled() and task.exception() is not None:
            # Handled past its webhook, then failed: rolled back, and WeChat will not send it again.
            metrics.ERRORS.labels("database").inc()
            inbound = attempt.inbound
            if inbound is not None and attempt.redone < REDO_TIMES:
                log.warning("message %s handled past its webhook failed (%s); starting it again",
                            inbound.dedup_key, task.exception())
                self._redo_waiting += 1
                asyncio.get_running_loop().call_later(REDO_PAUSE_SECONDS * (attempt.redone + 1), self._redo,
                                                      inbound, attempt.redone + 1)
            else:
                log.error("message handled past its webhook failed; rolled back", exc_info=task.exception())

    def _redo(self, inbound: Inbound, redone: int) -> None:
        """A message that failed past its webhook, queued again behind the shed ones (its claim was released
        with the rollback; one that committed before failing finds its claim taken and is not redone)."""
        self._redo_waiting -= 1
        self._queue_deferred(inbound, redone)

    async def _work(self, inbound: Inbound, attempt: _Attempt) -> str | None | _Retry:
        if self._slots is None:
            self._slots = asyncio.Semaphore(CONCURRENT_MESSAGES)
        loop = asyncio.get_running_loop()
        # One farmer's messages queue here, one behind the other, before taking a slot: waiting for
        # the user's lock inside a worker thread let one farmer's burst hold every slot of the process.
        ahead = self._user_tails.get(inbound.openid)
        mine = self._user_tails[inbound.openid] = loop.create_future()
        try:
            if ahead is not None:
                await asyncio.wait((ahead,))
            fresh = not attempt.abandoned  # shed messages wait apart (see _drain_deferred)
            self._waiting += fresh
            try:
                await self._slots.acquire()
            finally:
                self._waiting -= fresh
            self._running += 1
            try:
                # Our own pool of CONCURRENT_MESSAGES threads: the slots already bound the work, so anyio's
                # limiter and cancel scopes (run_in_threadpool) would be paid per message for nothing.
                return await loop.run_in_executor(self._threads, self._run, inbound, attempt)
            finally:
                self._running -= 1
                self._finished.append(time.monotonic())
                self._slots.release()
        finally:
            mine.set_result(None)
            if self._user_tails.get(inbound.openid) is mine:
                del self._user_tails[inbound.openid]

    async def _await_first(self, key: str, deadline: float) -> str | None:
        while time.monotonic() < deadline:
            stored = await run_in_threadpool(self.ctx.store.get, f"reply:{key}")
            if stored is not None:
                return stored.get("text")
            await asyncio.sleep(POLL_SECONDS)
        return None

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait for handling that outlived its webhook, shed messages included (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        while (self._background or self._deferred or self._redo_waiting) and time.monotonic() < deadline:
            if not (self._background or self._deferred):  # only paused redos: they queue themselves shortly
                await asyncio.sleep(POLL_SECONDS)
                continue
            pending = list(self._background) + ([self._drainer] if self._drainer and not self._drainer.done() else [])
            await asyncio.wait(pending, timeout=max(0.01, deadline - time.monotonic()))

    def close(self) -> None:
        self.heartbeat.stop()
        self._threads.shutdown(wait=False)

    # ---- the work, in a worker thread -----------------------------------------------
    def _keys(self, inbound: Inbound) -> MessageKeys:
        settings = self.ctx.settings
        return MessageKeys(dedup=f"dedup:{inbound.dedup_key}", reply=f"reply:{inbound.dedup_key}",
                           lock=f"user:{inbound.openid}",
                           memory=None,  # the conversation is in the database (bot.records.conversations)
                           location=location_key(inbound.openid),
                           dedup_ttl=settings.dedup_ttl_seconds, lock_ttl=USER_LOCK_SECONDS)

    def _run(self, inbound: Inbound, attempt: _Attempt) -> str | None | _Retry:
        store, keys = self.ctx.store, self._keys(inbound)
        self.heartbeat.ensure_started()
        token = self.heartbeat.token()
        claim = store.claim_message(keys, token)
        if not claim.first:
            return _Retry(claim.reply)
        if claim.taken_over:
            metrics.TAKEOVERS.inc()
            log.warning("took over %s from a worker that is gone", inbound.dedup_key)
        finished = committed = False
        try:
            taken_over, locked = claim.taken_over, self._locked(claim, keys, token)
            # One transaction per message: the responder's records and ours (conversation, user, log, outbox).
            with self.ctx.engine.connect() as conn:
                conn.begin()  # begun here, so the responder's session joins it rather than owning it
                unit, outcome = self._respond(inbound, locked, conn)
                attempt.intent = outcome.intent
                if self._stall is not None:
                    self._stall(inbound, self.ctx.store)
                texts = [piece for reply in outcome.replies for piece in split_for_wechat(reply)]
                passive, later = (texts[0], texts[1:]) if texts else (None, [])
                with attempt.lock:
                    # The webhook answered 'success', or will before the commit is likely through: all of it
                    # goes out as 客服 messages, queued with the records (a crash after the commit loses none).
                    if attempt.abandoned or time.monotonic() > attempt.deadline - COMMIT_MARGIN_SECONDS:
                        attempt.abandoned = True
                        passive, later = None, texts
                queued_at = utcnow()
                if unit is not None and unit.changed:
                    dialog_state.save(conn, inbound.openid, unit.conversation, self.ctx.settings.session_ttl_seconds)
                self._record(conn, inbound, outcome, texts, later, taken_over, queued_at)
                conn.commit()
                committed = True
            # Only now may the farmer read the reply: it may announce a record ("预约已提交（预约号 N）")
            # that exists from the commit on. The webhook that gave up waiting meanwhile answered 'success':
            # the reply then goes out through the outbox, ahead of the pieces queued with the records.
            with attempt.lock:
                overdue = attempt.abandoned and passive is not None
                if not overdue:
                    attempt.passive, attempt.done = passive, True
            if overdue:
                self._send_later(inbound, passive, queued_at)
                passive = None
            store.finish_message({keys.reply: ({"text": passive}, self.ctx.settings.dedup_ttl_seconds)},
                                 keys.lock, token)
            finished = True
            return passive
        finally:
            if committed and not finished:
                store.unlock(keys.lock, token)  # done but for its stored reply: a retry must not redo it
            elif not finished:
                store.release_message(keys, token)  # all rolled back: WeChat's next retry starts it over

    def handle(self, inbound: Inbound) -> Outcome:
        """One message through the same unit of work as `_run`, without the claim, the user's lock and the
        reply budget: the dialog's tests and tools drive the dialog the way production does. The outcome's
        replies are the dialog's whole texts (the webhook splits them for WeChat)."""
        claim = Claim(first=True, locked=True, taken_over=False, location=self.ctx.store.get(location_key(inbound.openid)))
        with self.ctx.engine.connect() as conn:
            conn.begin()
            unit, outcome = self._respond(inbound, claim, conn)
            if unit is not None and unit.changed:
                dialog_state.save(conn, inbound.openid, unit.conversation, self.ctx.settings.session_ttl_seconds)
            texts = [piece for reply in outcome.replies for piece in split_for_wechat(reply)]
            self._record(conn, inbound, outcome, texts, [], False, utcnow())
            conn.commit()
        return outcome

    def _locked(self, claim: Claim, keys: MessageKeys, token: str) -> Claim | None:
        """The claim once this message holds the user's lock (None: another message kept it too long)."""
        if claim.locked:
            return claim
        try:  # another message of this user is being answered: wait for it
            poll_lock(lambda: self.ctx.store.try_lock(keys.lock, token, keys.lock_ttl), USER_LOCK_SECONDS, keys.lock)
        except LockTimeout:
            log.error("user lock busy for %s", keys.lock)
            return None
        except Exception:  # noqa: BLE001 - answered with the apology, like a failing responder
            metrics.ERRORS.labels("store").inc()
            log.exception("waiting for %s failed", keys.lock)
            return None
        return Claim(first=True, locked=True, taken_over=claim.taken_over,
                     location=self.ctx.store.get(keys.location) if keys.location else None)

    def _respond(self, inbound: Inbound, claim: Claim | None, conn: Connection) -> tuple[MessageUnit | None, Outcome]:
        """The responder's outcome for the message unit under the user's lock, its writes pending on `conn`
        (an apology, its writes rolled back, when it fails or the lock stayed busy)."""
        now = utcnow()
        try:
            if claim is None:
                raise LockTimeout("user lock busy")
            unit = MessageUnit(inbound, conn, location=claim.location)
            # The conversation, read in the message's transaction (with the user's upsert where it runs first):
            # it commits with the records it leads to.
            if self._hands_user:
                unit.user, state = self._touch_user(conn, inbound, now, with_state=True)
                unit.conversation = None if state is None else json.loads(state)
            else:
                unit.conversation = dialog_state.load(conn, inbound.openid)
            return unit, self.responder.respond(unit)
        except Exception as exc:  # noqa: BLE001 - the farmer gets an apology, never a failure banner
            if not isinstance(exc, LockTimeout):
                metrics.ERRORS.labels("responder").inc()
                log.exception("responder failed for %s", inbound.dedup_key)
            conn.rollback()
            conn.begin()
            if self._hands_user:
                self._touch_user(conn, inbound, now)  # rolled back with the responder's writes
            return None, Outcome(replies=[self.ctx.templates.render("gateway/error")])

    def _send_later(self, inbound: Inbound, text: str, queued_at: datetime) -> None:
        """The passive reply the webhook could not wait for, queued for 客服 delivery once its records are
        committed (never before: it may announce them), ordered ahead of the pieces queued with them."""
        try:
            with self.ctx.sessions() as session, session.begin():
                enqueue_texts(session, inbound.openid, [text], source="reply",
                              dedup_key=f"reply:{inbound.dedup_key}:first", due=queued_at - timedelta(microseconds=1))
        except Exception:  # noqa: BLE001 - the records stand; only this answer is lost, and it is logged
            log.exception("could not queue the overdue reply of %s", inbound.dedup_key)

    def _record(self, conn: Connection, inbound: Inbound, outcome: Outcome, texts: list[str], later: list[str],
                taken_over: bool, queued_at: datetime) -> None:
        """Joins the message's transaction on `conn`: the user's last-seen and 客服 window, the message
        log, and what the passive reply could not carry queued for 客服 delivery."""
        now = utcnow()
        if not self._hands_user:  # else `_respond` did, before the responder
            self._touch_user(conn, inbound, now)
        if not (taken_over and self.records.logged(conn, inbound.openid, inbound.msg_id)):
            self.records.log(conn, self._log_rows(inbound, outcome, texts, later, now))
        if later:
            with Session(bind=conn) as session:
                enqueue_texts(session, inbound.openid, later, source="reply", dedup_key=f"reply:{inbound.dedup_key}",
                              due=queued_at)
                session.flush()

    @staticmethod
    def _log_rows(inbound: Inbound, outcome: Outcome, texts: list[str], later: list[str],
                  now: datetime) -> list[dict[str, Any]]:
        base = dict(openid=inbound.openid, media_id=None, intent=None, confidence=None, msg_id=None,
                    created_at=now)
        rows = [dict(base, direction="in", msg_type=inbound.event or inbound.kind, msg_id=inbound.msg_id,
                     content=_inbound_content(inbound), media_id=inbound.media_id, intent=outcome.intent,
                     confidence=outcome.confidence,
                     extra={"event_key": inbound.event_key} if inbound.event_key else {})]
        passive_count = len(texts) - len(later)
        rows += [dict(base, direction="out", msg_type="text", content=text,
                      extra={"via": "passive" if index < passive_count else "outbox"})
                 for index, text in enumerate(texts)]
        return rows

    def _touch_user(self, conn: Connection, inbound: Inbound, now: datetime, with_state: bool = False) -> Any:
        """The user's row upserted for this inbound (bot.records.messages), with the 客服 window it opens;
        `with_state`: (that row, the stored conversation as JSON text or None)."""
        opener = WINDOW_OPENERS.get(inbound.event or inbound.kind)
        subscribed = inbound.event == "subscribe" if inbound.event in ("subscribe", "unsubscribe") else None
        return self.records.touch_user(conn, inbound.openid, opener, subscribed, now,
                                       window_keep_after(opener or "", now), with_state)


def _inbound_content(inbound: Inbound) -> str | None:
    if inbound.text is not None:
        return inbound.text
    if inbound.kind == "location":
        return f"{inbound.label or ''} ({inbound.lat},{inbound.lon})".strip()
    if inbound.kind == "link":
        return f"{inbound.title or ''} {inbound.url or ''}".strip()
    return inbound.event_key


def _test_stall_hook() -> Any:
    """Tests only: `NONGBOT_TEST_STALL=MSGID=SECONDS` holds the message MsgId for SECONDS after the responder
    (its records written, not committed), once across the deployment's workers (a store mark), so a test can
    kill the worker holding it. Unset in production: None, and the gateway checks nothing more."""
    spec = os.environ.get("NONGBOT_TEST_STALL", "")
    if "=" not in spec:
        return None
    msg_id, seconds = spec.split("=", 1)

    def stall(inbound: Inbound, store: Any) -> None:
        if inbound.msg_id == msg_id and store.add(f"test-stall:{msg_id}", os.getpid(), ttl=600):
            time.sleep(float(seconds))

    return stall
