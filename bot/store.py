"""The store: conversation state, de-duplication marks, counters and locks, behind one interface.

Two implementations share this contract: `RedisStore` (NONGBOT_REDIS_URL) and `SqlStore`
(the embedded default: a table in the deployment's own database, so every worker of the
deployment sees the same state and it survives a restart). Values are JSON-serialisable.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator, Protocol


class LockTimeout(Exception):
    """The lock could not be taken within the wait time."""


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
