"""The outbox: every message the service sends on its own, written with the record that causes it, delivered by a worker.

Writing: `enqueue` / `enqueue_text` add a row to the caller's session, so the message commits (or
rolls back) with the booking, ticket reply or status change behind it. A `dedup_key` makes a
repeated enqueue (a WeChat retry, a double click) return the first row.

Delivering: `OutboxWorker.deliver_due()` claims due rows (status `pending`, or `sending` whose claim
ran out because a worker died), sends each through `WechatApi`, and marks it `sent` — or schedules a
retry with exponential backoff and jitter for transient failures, or marks it `dead` (with the
reason) when WeChat refuses it for good. Dead letters stay visible and `requeue` sends them again.
Sent rows are kept a while (the 客服 quota counts them within its 48-hour window, and their
`dedup_key` still absorbs a late repeat), then `purge_sent` deletes them in small batches.
A claim is one UPDATE … RETURNING over a sub-select (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite
runs one writer at a time), so concurrent workers never share a row, and a row is only ever marked
sent by the worker whose claim is still current.
"""
from __future__ import annotations

import logging
import random
import signal
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.store.db import dialect_insert
from bot.records.models import OutboxMessage, utcnow
from bot.wechat.api import PermanentError, TransientError

log = logging.getLogger(__name__)

CLAIM_SECONDS = 120.0            # a worker that vanishes frees its rows after this long
CLAIM_SAFETY_SECONDS = 15.0      # don't start a send this close to the claim's end
BACKOFF_BASE_SECONDS = 5.0
BACKOFF_CAP_SECONDS = 3600.0
ERROR_CHARS = 1000
KEEP_SENT_MIN_SECONDS = 48 * 3600  # never less than the 客服 window whose quota counts sent rows
PURGE_BATCH = 500
PURGE_EVERY_SECONDS = 3600.0

_outbox = OutboxMessage.__table__


def enqueue(session: Session, *, openid: str, kind: str, payload: dict[str, Any], source: str,
            dedup_key: str | None = None, due: datetime | None = None) -> OutboxMessage:
    """Queue a message in the caller's transaction; with `dedup_key`, a second enqueue returns the first row.

    kind "text": payload {"text"}; kind "template": payload {"template_id", "data", "url"?}.
    `due`: when it may go (default now); due rows go in order of `due`, then of queueing.
    """
    if kind not in SENDERS:
        raise ValueError(f"unknown outbox kind {kind!r}; one of {sorted(SENDERS)}")
    timing = {} if due is None else {"next_attempt_at": due}
    if dedup_key is None:
        row = OutboxMessage(openid=openid, kind=kind, payload=payload, source=source, **timing)
        session.add(row)
        session.flush()
        return row
    # INSERT … ON CONFLICT DO NOTHING instead of a savepoint: a concurrent enqueue of the same key waits
    # for the other transaction and then finds its row, on PostgreSQL and SQLite alike.
    insert = dialect_insert(session.get_bind())
    session.execute(insert(_outbox).values(openid=openid, kind=kind, payload=payload, source=source,
                                           dedup_key=dedup_key, **timing)
                    .on_conflict_do_nothing(index_elements=[_outbox.c.dedup_key]))
    return session.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key == dedup_key)).one()


def enqueue_text(session: Session, openid: str, text: str, source: str,
                 dedup_key: str | None = None) -> OutboxMessage:
    """Queue a 客服 text message (see `enqueue`)."""
    return enqueue(session, openid=openid, kind="text", payload={"text": text}, source=source, dedup_key=dedup_key)


def enqueue_texts(session: Session, openid: str, texts: list[str], source: str, dedup_key: str,
                  due: datetime | None = None) -> None:
    """Queue 客服 texts to go in this order (keys `dedup_key:0`, `:1`, …; see `enqueue`)."""
    for index, text in enumerate(texts):
        enqueue(session, openid=openid, kind="text", payload={"text": text}, source=source,
                dedup_key=f"{dedup_key}:{index}", due=due)


def requeue(session: Session, outbox_id: int) -> OutboxMessage:
    """Send a dead (or waiting) message again from now, with a fresh count of attempts; a sent one never."""
    row = session.get(OutboxMessage, outbox_id)
    if row is None:
        raise LookupError(f"no outbox message {outbox_id}")
    if row.status in ("sent", "sending"):
        raise ValueError(f"outbox message {outbox_id} is {row.status}; only dead or pending ones are re-sent")
    row.status, row.attempts, row.next_attempt_at, row.claimed_until = "pending", 0, utcnow(), None
    session.flush()
    return row


# ---- delivery -------------------------------------------------------------------------------------
def _send_text(api: Any, openid: str, payload: dict[str, Any]) -> None:
    api.send_text(openid, payload["text"])


def _send_template(api: Any, openid: str, payload: dict[str, Any]) -> None:
    api.send_template(openid, payload["template_id"], payload.get("data") or {}, url=payload.get("url"))


SENDERS: dict[str, Callable[[Any, str, dict[str, Any]], None]] = {"text": _send_text, "template": _send_template}


@dataclass(frozen=True)
class Claimed:
    id: int
    openid: str
    kind: str
    payload: dict[str, Any]
    attempts: int
    claimed_until: datetime


def backoff_seconds(attempts: int, rand: Callable[[], float] = random.random) -> float:
    """Exponential, capped, with jitter (half fixed, half random) so retries of a burst spread out."""
    delay = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1))
    return delay / 2 + rand() * delay / 2


class OutboxWorker:
    """Delivers due outbox rows through `api` (a WechatApi, or None when outbound is disabled)."""

    def __init__(self, sessions: sessionmaker[Session], api: Any, clock: Callable[[], datetime] | None = None,
                 batch: int = 20, max_attempts: int = 8, claim_seconds: float = CLAIM_SECONDS,
                 keep_sent_seconds: float = 7 * 24 * 3600) -> None:
        self.sessions = sessions
        self.api = api
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.batch = batch
        self.max_attempts = max_attempts
        self.claim_seconds = claim_seconds
        self.keep_sent_seconds = max(keep_sent_seconds, KEEP_SENT_MIN_SECONDS)
        self._warned_disabled = False
        self._next_purge: datetime | None = None

    def deliver_due(self) -> int:
        """Claim and send what is due now; the number of messages WeChat accepted."""
        if self.api is None:
            if not self._warned_disabled:
                log.warning("outbound WeChat is disabled: outbox messages stay pending")
                self._warned_disabled = True
            return 0
        sent = 0
        claimed = self.claim()
        for index, row in enumerate(claimed):
            if self.clock() >= row.claimed_until - timedelta(seconds=CLAIM_SAFETY_SECONDS):
                # Our claim is about to run out: hand the rest back rather than risk a second sender.
                self._release(claimed[index:])
                break
            sent += self._deliver(row)
        return sent

    def purge_sent(self) -> int:
        """Delete sent rows older than the retention, a batch per transaction; the number deleted."""
        cutoff = self.clock() - timedelta(seconds=self.keep_sent_seconds)
        m = OutboxMessage
        total = 0
        while True:
            old = select(m.id).where(m.status == "sent", m.sent_at < cutoff).limit(PURGE_BATCH)
            with self.sessions() as session, session.begin():
                deleted = session.execute(delete(m).where(m.id.in_(old.scalar_subquery()))
                                          .execution_options(synchronize_session=False)).rowcount
            total += deleted
            if deleted < PURGE_BATCH:
                return total

    def purge_if_due(self) -> int:
        """`purge_sent` at most once per PURGE_EVERY_SECONDS of this worker's clock."""
        now = self.clock()
        if self._next_purge is not None and now < self._next_purge:
            return 0
        self._next_purge = now + timedelta(seconds=PURGE_EVERY_SECONDS)
        from bot.records import conversations as dialog_state

        with self.sessions() as session, session.begin():  # conversations past their ttl, in passing
            dialog_state.purge(session.connection())
        purged = self.purge_sent()
        if purged:
            log.info("outbox: purged %s sent messages older than %.0f h", purged, self.keep_sent_seconds / 3600)
        return purged

    def claim(self) -> list[Claimed]:
        now = self.clock()
        until = now + timedelta(seconds=self.claim_seconds)
        m = OutboxMessage
        due = (select(m.id)
               .where(or_(and_(m.status == "pending", m.next_attempt_at <= now),
                          and_(m.status == "sending", m.claimed_until < now)))
               .order_by(m.next_attempt_at, m.id).limit(self.batch)
               .with_for_update(skip_locked=True))
        stmt = (update(m).where(m.id.in_(due.scalar_subquery()))
                .values(status="sending", claimed_until=until, attempts=m.attempts + 1)
                .returning(m.id, m.openid, m.kind, m.payload, m.attempts)
                .execution_options(synchronize_session=False))
        with self.sessions() as session, session.begin():
            rows = session.execute(stmt).all()
        return sorted((Claimed(r.id, r.openid, r.kind, r.payload, r.attempts, until) for r in rows),
                      key=lambda c: c.id)

    def _deliver(self, row: Claimed) -> int:
        try:
            SENDERS[row.kind](self.api, row.openid, row.payload)
        except (PermanentError, KeyError, TypeError) as exc:
            # WindowClosed and QuotaExceeded are PermanentErrors: waiting does not reopen the window.
            # KeyError/TypeError: a payload that can never be sent.
            reason = f"{exc.__class__.__name__}: {exc}"
            self._finish(row, status="dead", last_error=reason)
            log.warning("outbox %s: dead letter (%s)", row.id, reason)
            return 0
        except Exception as exc:  # noqa: BLE001 - TransientError, or our own store/lock trouble: retry later
            if not isinstance(exc, TransientError):
                log.exception("outbox %s: unexpected failure, will retry", row.id)
            self._retry_or_bury(row, f"{exc.__class__.__name__}: {exc}")
            return 0
        self._finish(row, status="sent", sent_at=self.clock(), last_error=None)
        return 1

    def _retry_or_bury(self, row: Claimed, reason: str) -> None:
        if row.attempts >= self.max_attempts:
            self._finish(row, status="dead", last_error=f"gave up after {row.attempts} attempts: {reason}")
            log.warning("outbox %s: dead letter after %s attempts (%s)", row.id, row.attempts, reason)
            return
        retry_at = self.clock() + timedelta(seconds=backoff_seconds(row.attempts))
        self._finish(row, status="pending", last_error=reason, next_attempt_at=retry_at)
        log.info("outbox %s: attempt %s failed (%s); next at %s", row.id, row.attempts, reason, retry_at)

    def _finish(self, row: Claimed, **values: Any) -> None:
        if "last_error" in values and values["last_error"]:
            values["last_error"] = values["last_error"][:ERROR_CHARS]
        m = OutboxMessage
        # Only while our claim is current: a worker that lost its claim must not overwrite the row.
        stmt = (update(m).where(m.id == row.id, m.status == "sending", m.claimed_until == row.claimed_until)
                .values(claimed_until=None, **values).execution_options(synchronize_session=False))
        with self.sessions() as session, session.begin():
            if session.execute(stmt).rowcount == 0:
                log.warning("outbox %s: claim lost before its outcome (%s) was written", row.id, values["status"])

    def _release(self, rows: list[Claimed]) -> None:
        m = OutboxMessage
        with self.sessions() as session, session.begin():
            for row in rows:
                session.execute(update(m).where(m.id == row.id, m.status == "sending",
                                                m.claimed_until == row.claimed_until)
                                .values(status="pending", claimed_until=None, attempts=m.attempts - 1)
                                .execution_options(synchronize_session=False))


# ---- running it --------------------------------------------------------------------------------------
def run_worker(settings: Any, stop_event: threading.Event | None = None) -> None:
    """`nongbot worker`: deliver the outbox of `settings`' deployment until `stop_event` is set (or Ctrl+C)."""
    from bot.store.db import make_engine, session_factory
    from bot.store import make_store
    from bot.wechat.api import make_wechat_api

    engine = make_engine(settings.database_url)
    try:
        api = make_wechat_api(settings, make_store(settings, engine))
        worker = OutboxWorker(session_factory(engine), api,
                              keep_sent_seconds=settings.outbox_keep_sent_days * 86400)
        _loop(worker, settings.outbox_poll_seconds, stop_event or _stop_on_sigterm())
    except KeyboardInterrupt:
        pass
    finally:
        engine.dispose()


def _stop_on_sigterm() -> threading.Event:
    """An event set by SIGTERM (a service manager stopping `nongbot worker`), so the current send finishes."""
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    return stop


def start_in_process(ctx: Any) -> Callable[[], None]:
    """Deliver the outbox from a daemon thread of this process (`nongbot serve` / `demo`); returns its stopper."""
    stop = threading.Event()
    worker = OutboxWorker(ctx.sessions, ctx.wechat_api,
                          keep_sent_seconds=ctx.settings.outbox_keep_sent_days * 86400)
    thread = threading.Thread(target=_loop, args=(worker, ctx.settings.outbox_poll_seconds, stop),
                              name="outbox-worker", daemon=True)
    thread.start()

    def stopper() -> None:
        stop.set()
        thread.join(timeout=15)

    return stopper


def _loop(worker: OutboxWorker, poll_seconds: float, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            worker.purge_if_due()
            sent = worker.deliver_due()
        except Exception:  # noqa: BLE001 - a database hiccup must not end delivery; try again next poll
            log.exception("outbox delivery failed; retrying")
            sent = 0
        if sent < worker.batch:  # a full batch suggests more is due: go on at once
            stop.wait(poll_seconds)
