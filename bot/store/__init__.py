"""The store: conversation state, de-duplication marks, counters and locks, behind one interface.

Two implementations share this contract: `RedisStore` (NONGBOT_REDIS_URL) and `SqlStore`
(the embedded default: a table in the deployment's own database, so every worker of the
deployment sees the same state and it survives a restart). Values are JSON-serialisable.
"""
from __future__ import annotations

import os
import socket
import time
import uuid
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


# ---- who owns a claim: a process, named so that a retry on the same machine can tell it is gone ----------
_HOST = socket.gethostname()


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="ascii", errors="replace") as file:
            return file.read()
    except OSError:
        return None


def _boot_id() -> str:
    return (_read("/proc/sys/kernel/random/boot_id") or "-").strip().replace("-", "")[:12] or "-"


def _pid_namespace() -> str:
    try:
        return str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:
        return "-"


def _process_state(pid: int) -> tuple[str, str] | None:
    """(state letter, start time in clock ticks since boot) of process `pid`, None when there is none.
    Without /proc (not Linux): ("?", "-") while a process `pid` exists."""
    stat = _read(f"/proc/{pid}/stat")
    if stat is None:
        if os.path.isdir("/proc/self"):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return "?", "-"
    fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces and parentheses
    return fields[0], fields[19]


def process_owner(pid: int | None = None) -> str:
    """A name for an owner in this process: `pid.start.pidns.boot.random@host`. The pid with its start time
    names the process (a pid is reused, never with the same start), the pid namespace and boot id say which
    processes a pid is among, the random part tells owners in one process apart (several apps in a test).
    `pid`: another process of this machine's (tests)."""
    pid = pid or os.getpid()
    state = _process_state(pid)
    start = state[1] if state else "-"
    return f"{pid}.{start}.{_pid_namespace()}.{_boot_id()}.{uuid.uuid4().hex[:6]}@{_HOST}"


def owner_gone(owner: str | None) -> bool:
    """True when `owner` (a `process_owner()` name) is a process of this machine, seen from here (same boot,
    same pid namespace), that no longer runs: no such pid, a zombie, or another process reusing its pid.
    False when it runs or cannot be judged from here (another machine: its heartbeat's expiry decides)."""
    if not owner:
        return False
    name, at, host = owner.rpartition("@")
    parts = name.split(".")
    if not at or host != _HOST or len(parts) != 5 or not parts[0].isdigit():
        return False
    pid, start, namespace, boot, _ = parts
    if boot != _boot_id() or namespace != _pid_namespace() or int(pid) == os.getpid():
        return False  # another boot (a machine of the same name?) or pid namespace; or ourselves, alive
    state = _process_state(int(pid))
    if state is None or state[0] in ("Z", "X", "x"):
        return True
    return start != "-" and state[1] != "-" and state[1] != start


def token_gone(token: Any) -> bool:
    """Whether the owner named by a claim or lock token is a process of this machine that no longer runs."""
    return owner_gone(owner_of(token))


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
        from bot.store.redis import RedisStore

        return RedisStore.from_url(settings.redis_url, prefix=getattr(settings, "redis_prefix", "nongbot:"))
    from bot.store.sql import SqlStore

    return SqlStore(engine)


@contextmanager
def no_lock() -> Iterator[None]:
    yield


class TokenLocks:
    """The cross-worker lock both stores give, over their own try_lock/unlock: the holder's token guards the
    release, so a holder whose lock expired (and was taken by another) cannot release the other's lock."""

    @contextmanager
    def lock(self, key: str, ttl: float = 10.0, wait: float = 5.0) -> Iterator[None]:
        token = uuid.uuid4().hex  # names no owner: only the lock's ttl frees it after a crash
        poll_lock(lambda: self.try_lock(key, token, ttl), wait, key)
        try:
            yield
        finally:
            self.unlock(key, token)


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
