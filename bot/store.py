"""The store: conversation state, de-duplication marks, counters and locks, behind one interface.

Two implementations share this contract: `RedisStore` (NONGBOT_REDIS_URL) and `SqlStore`
(the embedded default: a table in the deployment's own database, so every worker of the
deployment sees the same state and it survives a restart). Values are JSON-serialisable.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator, Protocol

# A lock token or message claim names its owner (one per process) before this mark, so a retry can
# tell whether the owner is still alive: each owner keeps `alive:<owner>` fresh while it runs.
OWNER_MARK = "|"
LOCK_POLL_SECONDS = (0.005, 0.1)  # first and longest pause between attempts to take a busy lock


class LockTimeout(Exception):
    """The lock could not be taken within the wait time."""


def alive_key(owner: str) -> str:
    return f"alive:{owner}"


def owner_of(token: Any) -> str | None:
    """The owner named by a claim or lock token, or None when the token names none (older formats)."""
    if not isinstance(token, str):
        return None
    owner, mark, _ = token.partition(OWNER_MARK)
    return owner if mark and owner else None


@dataclass(frozen=True)
class MessageKeys:
    """The store keys one inbound message touches, and how long each lives."""

    dedup: str                 # claimed by the first attempt: its value is the attempt's token
    reply: str                 # the passive reply, for retries
    lock: str                  # the per-user lock (without the store's `lock:` prefix)
    memory: str | None         # the user's dialog session, read under the lock; None = not wanted
    dedup_ttl: float
    lock_ttl: float
    location: str | None = None  # the user's last pushed location, read with the memory; None = not wanted


@dataclass(frozen=True)
class Claim:
    """What one round trip found: whether this attempt does the work, and what it needs to start."""

    first: bool                # this attempt claimed the message (or took it over from a dead owner)
    taken_over: bool = False   # ... from an owner that died before storing the reply
    locked: bool = False       # the per-user lock is held with the token passed in
    memory: Any | None = None  # the value under keys.memory when locked (None when absent)
    location: Any | None = None  # the value under keys.location when locked (None when absent)
    reply: Any | None = None   # for a retry: the first attempt's stored reply, if there is one yet


class Store(Protocol):
    def get(self, key: str) -> Any | None: ...

    def set(self, key: str, value: Any, ttl: float | None = None) -> None: ...

    def delete(self, key: str) -> None: ...

    def add(self, key: str, value: Any, ttl: float) -> bool:
        """Set only when absent (atomically across workers); True when this call set it."""

    def incr(self, key: str, ttl: float) -> int:
        """Increment a counter that expires `ttl` seconds after its first increment."""

    def lock(self, key: str, ttl: float = 10.0, wait: float = 5.0) -> Any:
        """Context manager holding a cross-worker lock; raises LockTimeout after `wait`."""

    def ping(self) -> bool: ...

    def try_lock(self, key: str, token: str, ttl: float) -> bool:
        """Take the lock `key` once for `token` (free, expired, or held by an owner no longer alive)."""

    def unlock(self, key: str, token: str) -> None:
        """Release the lock `key` if `token` still holds it."""

    def claim_message(self, keys: MessageKeys, token: str) -> Claim:
        """In one round trip: claim the message's dedup key with `token` (or take over a claim whose owner
        is no longer alive and left no reply), then try the per-user lock with `token` and read the memory
        and the location.
        A retry gets `first=False` and the stored reply when there is one."""

    def finish_message(self, writes: dict[str, tuple[Any, float | None]], lock: str, token: str) -> None:
        """In one round trip: set each key to (value, ttl) and release the lock `lock` held by `token`."""

    def release_message(self, keys: MessageKeys, token: str) -> None:
        """Give up a claim whose work was rolled back: its dedup key and the user's lock, each only while
        `token` still holds it, so that WeChat's next retry of the message starts it over."""


def make_store(settings: Any, engine: Any = None) -> Store:
    """The store the settings ask for: Redis when NONGBOT_REDIS_URL is set, else the embedded one."""
    if settings.redis_url:
        from bot.store_redis import RedisStore

        return RedisStore.from_url(settings.redis_url)
    from bot.store_sql import SqlStore

    return SqlStore(engine)


@contextmanager
def no_lock() -> Iterator[None]:
    yield


def poll_lock(try_take: Any, wait: float, key: str) -> None:
    """Call `try_take()` until it answers True, pausing a little longer each time; LockTimeout after `wait`."""
    deadline = time.monotonic() + wait
    pause = LOCK_POLL_SECONDS[0]
    while not try_take():
        left = deadline - time.monotonic()
        if left <= 0:
            raise LockTimeout(f"lock {key!r} is busy after {wait:.1f} s")
        time.sleep(min(pause, left))
        pause = min(pause * 2, LOCK_POLL_SECONDS[1])
