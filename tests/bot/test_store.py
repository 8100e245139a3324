"""The Store contract, on the embedded store (SQLite, PostgreSQL) and on Redis."""
from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest

from bot.store.db import make_engine
from bot.store import LockTimeout
from bot.store.redis import RedisStore
from bot.store.sql import SqlStore
from tests.fakes.threads import run_in_threads


@pytest.fixture
def twin(store, request):
    """Another worker's store on the same backing state (its own engine or Redis connection)."""
    made = []

    def build():
        if isinstance(store, SqlStore):
            engine = make_engine(store.engine.url.render_as_string(hide_password=False))
            made.append(engine)
            return SqlStore(engine)
        return RedisStore.from_url(request.getfixturevalue("redis_url"), prefix=store.prefix)

    yield build
    for engine in made:
        engine.dispose()


def test_values_round_trip_as_json(store):
    value = {"form": "book_tuoguan", "slots": {"crop": "水稻", "area_mu": 50.5}, "turns": [1, None, True]}
    assert store.get("session:o1") is None
    store.set("session:o1", value)
    assert store.get("session:o1") == value
    store.set("session:o1", "replaced", ttl=60)
    assert store.get("session:o1") == "replaced"
    store.delete("session:o1")
    assert store.get("session:o1") is None
    store.delete("session:o1")  # deleting what is absent is fine


def test_values_expire_after_ttl(store):
    store.set("short", 1, ttl=0.05)
    store.set("long", 2, ttl=60)
    store.set("forever", 3)
    time.sleep(0.15)
    assert store.get("short") is None
    assert (store.get("long"), store.get("forever")) == (2, 3)


def test_add_sets_only_when_absent_or_expired(store):
    assert store.add("dedup:o1:100", "first", ttl=0.5) is True  # long enough for a loaded machine
    assert store.add("dedup:o1:100", "second", ttl=60) is False
    assert store.get("dedup:o1:100") == "first"
    time.sleep(0.7)
    assert store.add("dedup:o1:100", "third", ttl=60) is True
    assert store.get("dedup:o1:100") == "third"


def test_add_racing_from_eight_threads_has_one_winner(store, twin):
    stores = [store, twin()]
    won = run_in_threads(lambda n: stores[n % 2].add("dedup:oRace:42", n, ttl=60), 8)
    wins = [n for n, ok in enumerate(won) if ok]
    assert len(wins) == 1
    assert store.get("dedup:oRace:42") == wins[0]


def test_incr_counts_and_restarts_after_ttl(store):
    assert [store.incr("rate:o1", ttl=0.1) for _ in range(3)] == [1, 2, 3]
    time.sleep(0.2)
    assert store.incr("rate:o1", ttl=60) == 1
    assert store.incr("rate:o1", ttl=60) == 2


def test_incr_ttl_runs_from_first_increment(store):
    store.incr("rate:o2", ttl=0.15)
    time.sleep(0.05)
    store.incr("rate:o2", ttl=0.15)  # a later increment does not push the expiry back
    time.sleep(0.15)
    assert store.incr("rate:o2", ttl=60) == 1


def test_incr_from_threads_loses_no_count(store, twin):
    stores = [store, twin()]

    def bump(n: int) -> None:
        for _ in range(10):
            stores[n % 2].incr("rate:busy", ttl=60)

    run_in_threads(bump, 4)
    assert store.incr("rate:busy", ttl=60) == 41


def test_lock_excludes_another_worker_until_released(store, twin):
    other = twin()
    with store.lock("user:o1", ttl=10, wait=1):
        with pytest.raises(LockTimeout):
            with other.lock("user:o1", ttl=10, wait=0.1):
                pytest.fail("two workers held one lock")
        with other.lock("user:o2", ttl=10, wait=0.1):
            pass  # another key is free
    with other.lock("user:o1", ttl=10, wait=0.1):
        pass


def test_lock_serialises_read_modify_write_across_workers(store, twin):
    stores = [store, twin()]
    store.set("tally", 0)

    def work(n: int) -> None:
        for _ in range(5):
            with stores[n % 2].lock("tally", ttl=10, wait=10):
                current = stores[n % 2].get("tally")
                time.sleep(0.001)  # widen the window a lost update would need
                stores[n % 2].set("tally", current + 1)

    run_in_threads(work, 4)
    assert store.get("tally") == 20


def test_expired_holder_cannot_release_the_next_holders_lock(store, twin):
    other = twin()
    with store.lock("wechat:token", ttl=0.05, wait=1):
        time.sleep(0.15)  # our lock expires while we still run
        entered = threading.Event()
        leave = threading.Event()

        def hold() -> None:
            with other.lock("wechat:token", ttl=10, wait=1):
                entered.set()
                leave.wait(5)

        holder = threading.Thread(target=hold)
        holder.start()
        assert entered.wait(5)
    # Leaving our block must not have freed the other worker's lock.
    with pytest.raises(LockTimeout):
        with store.lock("wechat:token", ttl=10, wait=0.1):
            pass
    leave.set()
    holder.join()
    with store.lock("wechat:token", ttl=10, wait=1):
        pass


def test_lock_is_released_when_the_block_raises(store):
    with pytest.raises(RuntimeError):
        with store.lock("k", ttl=10, wait=0.1):
            raise RuntimeError("handler failed")
    with store.lock("k", ttl=10, wait=0.1):
        pass


def test_state_survives_a_restart(store, twin):
    store.set("session:oKeep", {"form": "loan_products"}, ttl=600)
    store.add("dedup:oKeep:1", 1, ttl=600)
    store.incr("rate:oKeep", ttl=600)
    restarted = twin()
    assert restarted.get("session:oKeep") == {"form": "loan_products"}
    assert restarted.add("dedup:oKeep:1", 2, ttl=600) is False
    assert restarted.incr("rate:oKeep", ttl=600) == 2


def test_ping(store):
    assert store.ping() is True


def test_ping_reports_an_unreachable_backend():
    assert RedisStore.from_url("redis://127.0.0.1:1/0").ping() is False
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    try:
        assert SqlStore(engine).ping() is False
    finally:
        engine.dispose()


def test_embedded_store_purges_expired_rows(engine):
    from sqlalchemy import func, select

    from bot.records.models import StoreEntry

    store = SqlStore(engine)
    store.set("gone", 1, ttl=0.01)
    store.set("kept", 2, ttl=600)
    store.set("forever", 3)
    time.sleep(0.05)
    assert store.purge_expired() == 1
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(StoreEntry)).scalar() == 2


def test_embedded_store_leaves_other_transactions_on_the_engine_alone(engine):
    # The store runs its statements in autocommit; connections it hands back must be transactional again.
    from sqlalchemy import insert

    from bot.records.models import StoreEntry

    store = SqlStore(engine)
    for n in range(10):
        store.set(f"warm:{n}", n)
        with engine.connect() as conn:
            conn.execute(insert(StoreEntry).values(key=f"rolled-back:{n}", value="1"))
            conn.rollback()
        assert store.get(f"rolled-back:{n}") is None


# ---- one message's claim and finish (the gateway's two round trips) --------------------------
def _keys(name: str, memory: bool = True, location: bool = False):
    from bot.store import MessageKeys

    return MessageKeys(dedup=f"dedup:{name}", reply=f"reply:{name}", lock=f"user:{name}",
                       memory=f"dialog:{name}" if memory else None, dedup_ttl=60, lock_ttl=60,
                       location=f"location:{name}" if location else None)


def _alive(store, owner: str) -> None:
    from bot.store import alive_key

    store.set(alive_key(owner), 1, ttl=60)


def test_claim_takes_the_lock_and_reads_the_memory_in_one_call(store):
    keys = _keys("oMem:1")
    store.set("dialog:oMem:1", {"form": "book_tuoguan"})
    _alive(store, "w1")
    claim = store.claim_message(keys, "w1|a")
    assert (claim.first, claim.taken_over, claim.locked, claim.memory) == (True, False, True, {"form": "book_tuoguan"})
    assert store.try_lock("user:oMem:1", "w1|b", ttl=10) is False


@pytest.mark.parametrize("memory", [True, False], ids=["with_memory", "location_only"])
def test_claim_reads_the_last_pushed_location_in_the_same_call(store, memory):
    keys = _keys(f"oLoc:{memory}", memory=memory, location=True)
    store.set(keys.location, {"lat": 30.29, "lon": 108.03})
    if memory:
        store.set(keys.memory, {"form": "find"})
    claim = store.claim_message(keys, "w1|a")
    assert claim.locked and claim.location == {"lat": 30.29, "lon": 108.03}
    assert claim.memory == ({"form": "find"} if memory else None)


def test_claim_without_a_pushed_location_or_not_asked_for_one_reads_none(store):
    keys = _keys("oNoLoc:1", location=True)
    store.set(keys.memory, {"form": "find"})
    claim = store.claim_message(keys, "w1|a")
    assert (claim.memory, claim.location) == ({"form": "find"}, None)
    store.set("location:oNoLoc:2", {"lat": 1.0, "lon": 2.0})
    assert store.claim_message(_keys("oNoLoc:2"), "w1|b").location is None  # keys.location is None


def test_a_retry_of_a_live_owners_message_gets_its_reply_once_finished(store):
    keys = _keys("oLive:1")
    _alive(store, "w1")
    _alive(store, "w2")
    assert store.claim_message(keys, "w1|a").first
    retry = store.claim_message(keys, "w2|b")
    assert (retry.first, retry.reply) == (False, None)
    store.finish_message({keys.reply: ({"text": "好的"}, 60), keys.memory: ({"form": None}, 60)}, keys.lock, "w1|a")
    again = store.claim_message(keys, "w2|c")
    assert (again.first, again.reply) == (False, {"text": "好的"})
    assert store.get(keys.memory) == {"form": None}
    assert store.try_lock(keys.lock, "w2|d", ttl=10) is True  # the finish released the user's lock


def test_a_dead_owners_claim_and_lock_are_taken_over_by_exactly_one_retry(store, twin):
    keys = _keys("oDead:1")
    first = store.claim_message(keys, "gone|a")  # a worker that never beat, or whose heartbeat ran out
    assert first.first and first.locked
    other = twin()
    _alive(store, "w2")
    _alive(store, "w3")
    results = run_in_threads(lambda n: (store, other)[n % 2].claim_message(keys, f"w{2 + n % 2}|{n}"), 6)
    winners = [claim for claim in results if claim.first]
    assert len(winners) == 1
    assert winners[0].taken_over and winners[0].locked


def test_a_dead_owners_claim_with_a_stored_reply_is_answered_not_taken_over(store):
    keys = _keys("oDone:1")
    store.claim_message(keys, "gone|a")
    store.finish_message({keys.reply: ({"text": "办好了"}, 60)}, keys.lock, "gone|a")
    _alive(store, "w2")
    retry = store.claim_message(keys, "w2|b")
    assert (retry.first, retry.reply) == (False, {"text": "办好了"})


def test_locks_that_name_no_owner_are_never_taken_over(store):
    with store.lock("wechat:token", ttl=10, wait=0.1):
        assert store.try_lock("wechat:token", "w9|x", ttl=10) is False


# ---- Redis: the claim and the finish go straight to the wire on a connection per thread ------------
@pytest.fixture
def redis_store(redis_url):
    import uuid

    store = RedisStore.from_url(redis_url, prefix=f"nongbot-test:{uuid.uuid4().hex[:8]}:")
    yield store
    store.clear_prefix()


@pytest.mark.redis
def test_redis_claims_from_many_threads_each_get_their_own_answer(redis_store):
    """Eight threads claim at once, each its own message with its own memory: a connection shared
    between threads would hand one thread's reply to another."""
    for n in range(8):
        redis_store.set(f"dialog:oThread:{n}", {"n": n})

    def claim_and_finish(n: int) -> list:
        seen = []
        for round_ in range(20):
            keys = replace(_keys(f"oThread:{n}"), dedup=f"dedup:oThread:{n}:{round_}", reply=f"reply:oThread:{n}:{round_}")
            claim = redis_store.claim_message(keys, f"w1|{n}-{round_}")
            seen.append((claim.first, claim.locked, claim.memory))
            redis_store.finish_message({keys.reply: ({"text": f"{n}-{round_}"}, 60)}, keys.lock, f"w1|{n}-{round_}")
        return seen

    _alive(redis_store, "w1")
    results = run_in_threads(claim_and_finish, 8)
    for n, seen in enumerate(results):
        assert seen == [(True, True, {"n": n})] * 20
    assert redis_store.get("reply:oThread:5:19") == {"text": "5-19"}


@pytest.mark.redis
def test_redis_claim_and_finish_survive_a_script_flush_and_a_dropped_connection(redis_store, redis_url):
    import redis

    admin = redis.Redis.from_url(redis_url)
    _alive(redis_store, "w1")
    assert redis_store.claim_message(_keys("oFlush:1"), "w1|a").first
    admin.script_flush()  # a Redis restart or a failover forgets the scripts
    assert redis_store.claim_message(_keys("oFlush:2"), "w1|b").first
    redis_store.finish_message({"reply:oFlush:2": ({"text": "好"}, 60)}, "user:oFlush:2", "w1|b")
    assert redis_store.get("reply:oFlush:2") == {"text": "好"}

    conn = redis_store._own.conn  # this thread's connection for the claim and the finish
    conn.send_command("CLIENT", "ID")
    admin.client_kill_filter(_id=conn.read_response())  # the server drops it, as on a restart
    retried = redis_store.claim_message(_keys("oFlush:3"), "w1|c")
    assert (retried.first, retried.locked) == (True, True)
    again = redis_store.claim_message(_keys("oFlush:3"), "w1|d")  # the claim above happened exactly once
    assert (again.first, again.reply) == (False, None)
    redis_store.finish_message({"reply:oFlush:3": ({"text": "行"}, 60)}, "user:oFlush:3", "w1|c")
    assert redis_store.try_lock("user:oFlush:3", "w1|e", ttl=10) is True  # the finish released the lock


def test_a_claim_made_again_with_its_own_token_is_still_the_first_and_holds_the_lock(store):
    """A claim whose answer was lost on the way back (a timeout after the store ran it) is made again by
    the client with the same token: that is the same claim, not a retry of another attempt's message."""
    keys = _keys("oAgain:1")
    store.set(keys.memory, {"form": "loan"})
    _alive(store, "w1")
    first = store.claim_message(keys, "w1|a")
    again = store.claim_message(keys, "w1|a")
    assert (again.first, again.locked, again.taken_over, again.memory) == (True, True, False, {"form": "loan"})
    assert (first.first, first.locked) == (True, True)
    other = store.claim_message(keys, "w1|b")  # a real retry of the message: another attempt's token
    assert (other.first, other.reply) == (False, None)
    assert store.try_lock(keys.lock, "w1|a", ttl=10) is True  # a lock is its holder's to take again
    assert store.try_lock(keys.lock, "w1|b", ttl=10) is False


def test_a_released_claim_lets_the_next_retry_start_the_message_over(store):
    keys = _keys("oRelease:1")
    _alive(store, "w1")
    assert store.claim_message(keys, "w1|a").locked
    store.release_message(keys, "w1|b")  # not the holder's token: nothing is released
    assert store.claim_message(keys, "w1|c").first is False
    store.release_message(keys, "w1|a")
    retry = store.claim_message(keys, "w1|c")
    assert (retry.first, retry.locked, retry.taken_over) == (True, True, False)
