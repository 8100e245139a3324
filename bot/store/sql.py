"""The embedded store: the Store contract on a table of the deployment's own database (SQLite or PostgreSQL).

Every worker of a deployment shares the database, so they share this store, and it survives a
restart. Each operation is one statement (one round trip); expiry is a wall-clock epoch stored
beside the value, expired rows read as absent and are purged now and then by whoever writes.
"""
from __future__ import annotations

import json
import threading
import time
from typing import Any

from sqlalchemy import Integer, String, and_, case, cast, delete, or_, select, text
from sqlalchemy.engine import Connection, Engine

from bot.store.db import dialect_insert
from bot.records.models import StoreEntry
from bot.store import Claim, MessageKeys, TokenLocks, alive_key, owner_gone, owner_of

PURGE_EVERY_SECONDS = 60.0

_table = StoreEntry.__table__
_value = _table.c.value
_expires = _table.c.expires_at


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _expiry(ttl: float | None, now: float) -> float | None:
    return None if ttl is None else now + ttl


# The hot path's statements as text, compiled once: SQLite and PostgreSQL both speak this SQL.
_ADD = text('INSERT INTO store_entries ("key", value, expires_at) VALUES (:k, :v, :e) '
            'ON CONFLICT ("key") DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at '
            'WHERE store_entries.expires_at IS NOT NULL AND store_entries.expires_at <= :now RETURNING "key"')
_SET = text('INSERT INTO store_entries ("key", value, expires_at) VALUES (:k, :v, :e) '
            'ON CONFLICT ("key") DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at')
_GET = text('SELECT value FROM store_entries WHERE "key" = :k AND (expires_at IS NULL OR expires_at > :now)')
_GET_TWO = text('SELECT "key", value FROM store_entries WHERE "key" IN (:a, :b) '
                'AND (expires_at IS NULL OR expires_at > :now)')
_SWAP = text('UPDATE store_entries SET value = :v, expires_at = :e WHERE "key" = :k AND value = :old RETURNING "key"')
_UNLOCK = text('DELETE FROM store_entries WHERE "key" = :k AND value = :v')


class SqlStore(TokenLocks):
    """Store on the `store_entries` table; pass the deployment's engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # Every operation is one statement, atomic on its own: autocommit spares the BEGIN and COMMIT
        # round trips (on PostgreSQL a get is then one round trip, not three).
        self._auto = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._insert = dialect_insert(engine)
        self._next_purge = 0.0
        self._purge_guard = threading.Lock()

    # ---- plain values ----------------------------------------------------------------------
    def get(self, key: str) -> Any | None:
        now = time.time()
        with self._auto.connect() as conn:
            raw = conn.execute(select(_value).where(_table.c.key == key,
                                                    or_(_expires.is_(None), _expires > now))).scalar()
        return None if raw is None else json.loads(raw)

    def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        now = time.time()
        stmt = self._insert(_table).values(key=key, value=_dump(value), expires_at=_expiry(ttl, now))
        stmt = stmt.on_conflict_do_update(index_elements=[_table.c.key],
                                          set_={"value": stmt.excluded.value, "expires_at": stmt.excluded.expires_at})
        self._write(stmt, now)

    def delete(self, key: str) -> None:
        self._write(delete(_table).where(_table.c.key == key), time.time())

    def add(self, key: str, value: Any, ttl: float) -> bool:
        now = time.time()
        stmt = self._insert(_table).values(key=key, value=_dump(value), expires_at=_expiry(ttl, now))
        # An expired row counts as absent: the upsert takes it over, a live row makes it a no-op.
        stmt = stmt.on_conflict_do_update(
            index_elements=[_table.c.key],
            set_={"value": stmt.excluded.value, "expires_at": stmt.excluded.expires_at},
            where=and_(_expires.is_not(None), _expires <= now)).returning(_table.c.key)
        with self._auto.connect() as conn:
            won = conn.execute(stmt).first() is not None
        self._maybe_purge(now)
        return won

    def incr(self, key: str, ttl: float) -> int:
        now = time.time()
        stmt = self._insert(_table).values(key=key, value="1", expires_at=now + ttl)
        expired = and_(_expires.is_not(None), _expires <= now)
        stmt = stmt.on_conflict_do_update(
            index_elements=[_table.c.key],
            set_={"value": case((expired, "1"), else_=cast(cast(_value, Integer) + 1, String)),
                  "expires_at": case((expired, stmt.excluded.expires_at), else_=_expires)},
        ).returning(_value)
        with self._auto.connect() as conn:
            count = int(conn.execute(stmt).scalar_one())
        self._maybe_purge(now)
        return count

    # ---- locks -----------------------------------------------------------------------------
    def try_lock(self, key: str, token: str, ttl: float) -> bool:
        now = time.time()
        with self._auto.connect() as conn:
            return self._take(conn, f"lock:{key}", _dump(token), now + ttl, now)

    def unlock(self, key: str, token: str) -> None:
        with self._auto.connect() as conn:
            conn.execute(_UNLOCK, {"k": f"lock:{key}", "v": _dump(token)})

    # ---- one message: claim and finish, one connection each ----------------------------------
    def claim_message(self, keys: MessageKeys, token: str) -> Claim:
        now, value = time.time(), _dump(token)
        with self._auto.connect() as conn:
            taken = False
            if not conn.execute(_ADD, {"k": keys.dedup, "v": value, "e": now + keys.dedup_ttl, "now": now}).first():
                found = dict(conn.execute(_GET_TWO, {"a": keys.dedup, "b": keys.reply, "now": now}).all())
                reply = found.get(keys.reply)
                holder = found.get(keys.dedup)
                if holder != value:  # else: this very claim, made again after its answer was lost on the way
                    if reply is not None or not self._owner_dead(conn, holder, now):
                        return Claim(first=False, reply=None if reply is None else json.loads(reply))
                    # The owner died before storing a reply: take its claim over, unless another retry just did.
                    if not conn.execute(_SWAP, {"k": keys.dedup, "old": holder, "v": value,
                                                "e": now + keys.dedup_ttl}).first():
                        return Claim(first=False)
                    taken = True
            if not self._take(conn, f"lock:{keys.lock}", value, now + keys.lock_ttl, now):
                return Claim(first=True, taken_over=taken)
            wanted = [key for key in (keys.memory, keys.location) if key]
            found: dict[str, str] = {}
            if len(wanted) == 2:
                found = dict(conn.execute(_GET_TWO, {"a": wanted[0], "b": wanted[1], "now": now}).all())
            elif wanted:
                found = {wanted[0]: conn.execute(_GET, {"k": wanted[0], "now": now}).scalar()}
        self._maybe_purge(now)
        memory, location = (found.get(key) if key else None for key in (keys.memory, keys.location))
        return Claim(first=True, taken_over=taken, locked=True, memory=None if memory is None else json.loads(memory),
                     location=None if location is None else json.loads(location))

    def finish_message(self, writes: dict[str, tuple[Any, float | None]], lock: str, token: str) -> None:
        now = time.time()
        rows = [{"k": key, "v": _dump(value), "e": _expiry(ttl, now)} for key, (value, ttl) in writes.items()]
        with self._auto.connect() as conn:
            if rows:
                conn.execute(_SET, rows)
            conn.execute(_UNLOCK, {"k": f"lock:{lock}", "v": _dump(token)})

    def release_message(self, keys: MessageKeys, token: str) -> None:
        value = _dump(token)
        with self._auto.connect() as conn:
            conn.execute(_UNLOCK, [{"k": keys.dedup, "v": value}, {"k": f"lock:{keys.lock}", "v": value}])

    def _take(self, conn: Connection, key: str, value: str, expires: float, now: float) -> bool:
        """Set `key` when free or expired, or when its holder's owner is no longer alive (one CAS)."""
        if conn.execute(_ADD, {"k": key, "v": value, "e": expires, "now": now}).first():
            return True
        holder = conn.execute(_GET, {"k": key, "now": now}).scalar()
        return (holder is not None and (holder == value or self._owner_dead(conn, holder, now))  # ours, or freed
                and conn.execute(_SWAP, {"k": key, "old": holder, "v": value, "e": expires}).first() is not None)

    @staticmethod
    def _owner_dead(conn: Connection, holder: str | None, now: float) -> bool:
        owner = owner_of(json.loads(holder)) if holder is not None else None
        # A process of this machine that no longer runs, or one whose heartbeat has run out.
        return owner is not None and (owner_gone(owner)
                                      or conn.execute(_GET, {"k": alive_key(owner), "now": now}).first() is None)

    # ---- health and housekeeping -------------------------------------------------------------
    def ping(self) -> bool:
        try:
            with self._auto.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 - readiness reports any failure as not ready
            return False

    def purge_expired(self, now: float | None = None) -> int:
        with self._auto.connect() as conn:
            return conn.execute(delete(_table).where(_expires.is_not(None),
                                                     _expires <= (now or time.time()))).rowcount

    def _write(self, stmt: Any, now: float) -> None:
        with self._auto.connect() as conn:
            conn.execute(stmt)
        self._maybe_purge(now)

    def _maybe_purge(self, now: float) -> None:
        # Once a minute per process, so the table stays the size of what is live without a cron job.
        if now < self._next_purge or not self._purge_guard.acquire(blocking=False):
            return
        try:
            self._next_purge = now + PURGE_EVERY_SECONDS
            self.purge_expired(now)
        finally:
            self._purge_guard.release()
