"""The Store contract on Redis (NONGBOT_REDIS_URL): the production store shared by all workers."""
from __future__ import annotations

import json
import logging
from contextlib import contextmanager
from typing import Any, Iterator

import redis
from redis.exceptions import LockError

from bot.store import LockTimeout

log = logging.getLogger(__name__)

# INCR and the first increment's expiry in one round trip, atomically.
_INCR_WITH_TTL = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count
"""


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


class RedisStore:
    """Store on one Redis database; every key carries `prefix` so deployments (and tests) can share a server."""

    def __init__(self, client: redis.Redis, prefix: str = "nongbot:") -> None:
        self.redis = client
        self.prefix = prefix
        self._incr = client.register_script(_INCR_WITH_TTL)

    @classmethod
    def from_url(cls, url: str, prefix: str = "nongbot:") -> RedisStore:
        return cls(redis.Redis.from_url(url, decode_responses=True, health_check_interval=30), prefix)

    def _k(self, key: str) -> str:
        return self.prefix + key

    def get(self, key: str) -> Any | None:
        raw = self.redis.get(self._k(key))
        return None if raw is None else json.loads(raw)

    def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        self.redis.set(self._k(key), json.dumps(value, ensure_ascii=False),
                       px=None if ttl is None else _ms(ttl))

    def delete(self, key: str) -> None:
        self.redis.delete(self._k(key))

    def add(self, key: str, value: Any, ttl: float) -> bool:
        return bool(self.redis.set(self._k(key), json.dumps(value, ensure_ascii=False), px=_ms(ttl), nx=True))

    def incr(self, key: str, ttl: float) -> int:
        return int(self._incr(keys=[self._k(key)], args=[_ms(ttl)]))

    @contextmanager
    def lock(self, key: str, ttl: float = 10.0, wait: float = 5.0) -> Iterator[None]:
        """Cross-worker lock (redis-py's token-checked Lock: only the holder's token releases it)."""
        held = self.redis.lock(self._k(f"lock:{key}"), timeout=ttl, sleep=0.01, blocking_timeout=wait,
                               thread_local=False)
        if not held.acquire():
            raise LockTimeout(f"lock {key!r} is busy after {wait:.1f} s")
        try:
            yield
        finally:
            try:
                held.release()
            except LockError:
                # Our ttl ran out and someone else may hold it now: theirs to release, not ours.
                log.warning("lock %r expired before its holder finished", key)

    def ping(self) -> bool:
        try:
            return bool(self.redis.ping())
        except redis.RedisError:
            return False

    def clear_prefix(self) -> int:
        """Delete every key under this store's prefix (tests; tearing down a deployment)."""
        removed = 0
        for batch in self._batched(self.redis.scan_iter(match=self.prefix + "*", count=500)):
            removed += self.redis.delete(*batch)
        return removed

    @staticmethod
    def _batched(keys: Iterator[str], size: int = 500) -> Iterator[list[str]]:
        batch: list[str] = []
        for key in keys:
            batch.append(key)
            if len(batch) == size:
                yield batch
                batch = []
        if batch:
            yield batch
