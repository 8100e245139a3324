"""The Store contract on Redis (NONGBOT_REDIS_URL): the production store shared by all workers."""
from __future__ import annotations

import json
import logging
import os
import threading
from typing import Any, Iterator

import redis
from redis.commands.core import Script
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, TimeoutError as RedisTimeoutError

from bot import fastpath
from bot.store import OWNER_MARK, Claim, MessageKeys, TokenLocks, alive_key, token_gone

log = logging.getLogger(__name__)

# INCR and the first increment's expiry in one round trip, atomically.
_INCR_WITH_TTL = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count
"""


# Shared by the scripts below: may the holder of a token be replaced? When the token names an owner whose
# heartbeat key is gone, or it is GONE: a token the caller found names a process of its own machine that no
# longer runs (bot.store.token_gone), passed back to the script. ARGV[1] is the key prefix of heartbeats.
_OWNER_DEAD = """
local function owner_dead(token)
  if not token then return false end
  if token == GONE then return true end
  local cut = string.find(token, MARK, 1, true)
  if not cut or cut == 1 then return false end
  return redis.call('EXISTS', ARGV[1] .. string.sub(token, 1, cut - 1)) == 0
end
local function take(key, token, ms)
  if redis.call('SET', key, token, 'NX', 'PX', ms) then return true end
  local holder = redis.call('GET', key)
  if holder == token then redis.call('PEXPIRE', key, ms) return true end
  if owner_dead(holder) then redis.call('SET', key, token, 'PX', ms) return true end
  return false, holder
end
"""

# KEYS: lock; ARGV: heartbeat prefix, token, ttl ms, gone token (or ''). Values of locks and claims are the
# raw token. Returns 1, or the live holder's token.
_TRY_LOCK = "local GONE = ARGV[4]" + _OWNER_DEAD + """
local ok, holder = take(KEYS[1], ARGV[2], ARGV[3])
if ok then return 1 end
return holder or 0
"""

# KEYS: dedup, reply, lock, memory (or ''), location (or ''); ARGV: heartbeat prefix, token, dedup ms, lock ms,
# gone token (or ''). Returns {first, taken_over, locked, memory, reply, location, holder}: holder is the live
# token in the way (of the claim, or of the user's lock), for the caller to judge whether its process runs.
_CLAIM = "local GONE = ARGV[5]" + _OWNER_DEAD + """
local taken = 0
if not redis.call('SET', KEYS[1], ARGV[2], 'NX', 'PX', ARGV[3]) then
  local holder = redis.call('GET', KEYS[1])
  if holder ~= ARGV[2] then  -- else: this very claim, sent again after its answer was lost on the way
    local reply = redis.call('GET', KEYS[2])
    if reply then return {0, 0, 0, false, reply, false, false} end
    if not owner_dead(holder) then return {0, 0, 0, false, false, false, holder} end
    redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
    taken = 1
  end
end
local ok, locker = take(KEYS[3], ARGV[2], ARGV[4])
if not ok then return {1, taken, 0, false, false, false, locker} end
local memory, location = false, false
if KEYS[4] ~= '' then memory = redis.call('GET', KEYS[4]) end
if KEYS[5] ~= '' then location = redis.call('GET', KEYS[5]) end
return {1, taken, 1, memory, false, location, false}
"""

# KEYS: lock, then the keys to write; ARGV: token, then (value, ttl ms or 0) per key.
_FINISH = """
for i = 2, #KEYS do
  local value, ms = ARGV[2 * i - 2], tonumber(ARGV[2 * i - 1])
  if ms > 0 then redis.call('SET', KEYS[i], value, 'PX', ms) else redis.call('SET', KEYS[i], value) end
end
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
"""

# KEYS: locks or claims; ARGV: token. Each is deleted only while the token holds it.
_UNLOCK = """
local released = 0
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[1] then released = released + redis.call('DEL', KEYS[i]) end
end
return released
"""


def _lua(source: str) -> str:
    return source.replace("MARK", json.dumps(OWNER_MARK))


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


class RedisStore(TokenLocks):
    """Store on one Redis database; every key carries `prefix` so deployments (and tests) can share a server."""

    def __init__(self, client: redis.Redis, prefix: str = "nongbot:") -> None:
        self.redis = client
        self.prefix = prefix
        self._incr = client.register_script(_INCR_WITH_TTL)
        self._try_lock = client.register_script(_lua(_TRY_LOCK))
        self._claim = client.register_script(_lua(_CLAIM))
        self._finish = client.register_script(_FINISH)
        self._unlock = client.register_script(_UNLOCK)
        self._own = threading.local()  # the calling thread's connection for the per-message scripts
        self._direct = fastpath.enabled()  # bot.fastpath: the claim and the finish straight to the wire

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

    def try_lock(self, key: str, token: str, ttl: float) -> bool:
        keys, args = [self._k(f"lock:{key}")], [self._k(alive_key("")), token, _ms(ttl), ""]
        got = self._try_lock(keys=keys, args=args)
        if isinstance(got, str) and token_gone(got):  # held by a process of this machine that is gone
            args[-1] = got
            got = self._try_lock(keys=keys, args=args)
        return got == 1

    def unlock(self, key: str, token: str) -> None:
        self._unlock(keys=[self._k(f"lock:{key}")], args=[token])

    # ---- one message: claim and finish, one round trip each ------------------------------------
    def _evalsha(self, script: Script, keys: list[str], args: list[Any]) -> Any:
        """`script` on a connection of the calling thread's own, straight to the wire: redis-py's
        per-command path (retry wrapper, pool checkout and return, hooks) costs ~40 µs of CPU a call
        here, and the claim and the finish run on every message. A missing script or a broken
        connection goes through the client as before: its script loading and its retry policy.
        A fast path (bot.fastpath): with NONGBOT_FAST_PATHS=0 the script runs through redis-py."""
        if not self._direct:
            return script(keys=keys, args=args)
        own = self._own
        conn = getattr(own, "conn", None)
        if conn is None or own.pid != os.getpid():  # a forked worker opens its own
            conn = own.conn = self.redis.connection_pool.get_connection()  # kept: never released
            own.pid = os.getpid()
        try:
            conn.send_command("EVALSHA", script.sha, len(keys), *keys, *args)
            return conn.read_response()
        except NoScriptError:  # the server lost its scripts (SCRIPT FLUSH, a restart)
            return script(keys=keys, args=args)
        except (RedisConnectionError, RedisTimeoutError):
            conn.disconnect()  # reconnects on its next command
            return script(keys=keys, args=args)
        except BaseException:
            conn.disconnect()  # a reply may be left unread: never hand it to the next call
            raise

    def claim_message(self, keys: MessageKeys, token: str) -> Claim:
        script_keys = [self._k(keys.dedup), self._k(keys.reply), self._k(f"lock:{keys.lock}"),
                       self._k(keys.memory) if keys.memory else "", self._k(keys.location) if keys.location else ""]
        args = [self._k(alive_key("")), token, _ms(keys.dedup_ttl), _ms(keys.lock_ttl), ""]
        first, taken, locked, memory, reply, location, holder = self._evalsha(self._claim, script_keys, args)
        if holder and token_gone(holder):
            # The claim (a retry) or the user's lock is held by a process of this machine that no longer runs
            # (killed mid-message): take it over now, not once its heartbeat runs out.
            args[-1] = holder
            first, again, locked, memory, reply, location, _ = self._evalsha(self._claim, script_keys, args)
            taken = taken or again
        return Claim(first=bool(first), taken_over=bool(taken), locked=bool(locked),
                     memory=None if memory is None else json.loads(memory),
                     reply=None if reply is None else json.loads(reply),
                     location=None if location is None else json.loads(location))

    def finish_message(self, writes: dict[str, tuple[Any, float | None]], lock: str, token: str) -> None:
        args: list[Any] = [token]
        for value, ttl in writes.values():
            args += [json.dumps(value, ensure_ascii=False), 0 if ttl is None else _ms(ttl)]
        self._evalsha(self._finish, [self._k(f"lock:{lock}"), *(self._k(key) for key in writes)], args)

    def release_message(self, keys: MessageKeys, token: str) -> None:
        self._unlock(keys=[self._k(keys.dedup), self._k(f"lock:{keys.lock}")], args=[token])

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
