"""Canonical dump of what the dialog answers and writes over a fixed, seeded conversation mix, for proving a
speed change in the responder changes no behaviour.

    python bench/dialog_transcript.py /tmp/before.jsonl   # on the old code
    python bench/dialog_transcript.py /tmp/after.jsonl    # on the new code; cmp the two files

Each farmer (openid) talks in turns drawn from a seeded random stream: the load test's messages, menu
digits, side questions, events (subscribe with and without a center's QR scene, menu clicks, pushed
locations), location, voice and image messages, and — when a form asks something — an answer to that slot
(valid, invalid, a numbered option, 上一步, a correction), a yes/no to a summary, a pick of what to fix.
Most farmers go through the gateway's path (claim, `Gateway._run`: the responder on the message's one
transaction, the user's row, the message log, the finish); some call `DialogResponder.respond` alone (a unit
of work of their own: the conversation loaded and saved around it, no user row or message log) and sometimes send the same message twice. Every reply
and intent is dumped, then every record the run wrote (time columns left out: they are the wall clock)
and every farmer's stored dialog session.

By default a fresh SQLite database and the embedded store; `--database-url` / `--redis-url` run it on
PostgreSQL / Redis: a scratch database, emptied first (every table but the centers), and the Redis keys under
`--redis-prefix`. The committed golden transcripts (tests/data/golden/) are this script's output with
`--messages 1500`, compared by tests/e2e/test_golden_transcripts.py.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import DateTime, select  # noqa: E402

from bench.gateway_load import MESSAGES  # noqa: E402
from bot.app import build_context  # noqa: E402
from bot.store.db import upgrade  # noqa: E402
from bot.dialog.engine import DialogResponder  # noqa: E402
from bot.dialog.unit import MessageUnit  # noqa: E402
from bot.wechat.gateway import Gateway, _Attempt  # noqa: E402
from bot.records import conversations as dialog_state  # noqa: E402
from bot.wechat.inbound import Inbound, location_key, remember_location  # noqa: E402
from bot.records.models import Base  # noqa: E402
from bot.settings import Settings  # noqa: E402

# Monday 2026-11-23, 10:00 in 忠县 (the tests' day): relative dates read the same on every run.
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
PREFIX = "oTranscript"
KEPT = ("service_centers", "alembic_version")

SAID = [*MESSAGES, "1", "2", "3", "4", "5", "6", "7", "菜单", "谢谢", "好的", "要得", "不对", "上一步", "取消",
        "重新来", "算了不办了", "今天天气怎么样", "石宝镇的服务中心在哪", "拔山那边有没得服务站", "我要办代账",
        "我想贷款10万买农机", "我是种柑橘的，想托管30亩", "我想托管水稻，石宝镇的，电话13800138000",
        "补贴政策有哪些", "农机购置补贴怎么申请", "化肥", "有人收柑橘不", "我的申请怎么样了", "人工",
        "ok", "。", "我要入会", "加入农合联要啥条件", "再见", "托管还是贷款哦",
        "钱", "服务", "我想问问", "办个卡", "复和肥多少钱", "饲料能配送上门不", "30亩5万够不够贷",
        "社里要交税了，我们都不懂"]
ANSWERS: dict[str, list[Any]] = {
    "crop": ["水稻", "柑橘", "1", "2", "橘子", "苹果", "玉米", "笋子"],
    "service": ["机耕", "全程托管", "1", "3", "飞机打药", "统防统治", "机收"],
    "area_mu": ["50亩", "三十亩", "100", "0", "二十万亩", "不对，是40亩", "八亩半"],
    "township": ["石宝", "石宝镇", "shibao", "忠州街道", "北京", "我是拔山的", "住在石子", "location"],
    "date": ["下周三", "明天", "越快越好", "2026-11-01", "12月5号", "2027-01-10", "随时"],
    "phone": ["13800138000", "138001", "我的电话是13912345678", "1", "15923456789"],
    "member_type": ["1", "2", "种植大户", "合作社", "家庭农场", "村集体"],
    "name": ["张三", "我叫李四", "王", "12", "陈大富"],
    "industry": ["柑橘", "1", "不用", "没有", "生猪"],
    "purpose": ["1", "买农机", "周转一下", "扩大种养"],
    "amount_yuan": ["5万", "十万", "0", "50000", "20万元"],
    "collateral": ["1", "房子", "没有", "2"],
    "org_name": ["忠县石宝柑橘专业合作社", "小王家庭农场", "abc", "王"],
    "credit_code": ["93500233MA5U4ABC10", "91500233MA5U8Q7N21", "93500233MA5U4ABC1X", "123"],
    "monthly_vouchers": ["30", "五十张", "0", "100"],
    "needs": ["1", "2", "记账报税", "3"],
    "__confirm__": ["要得", "是的", "对", "不对", "好", "确认", "2", "取消", "6"],
    "__fix__": ["1", "2", "3", "9", "电话"],
}
PLACES = [(30.293074, 108.042035, "忠州"), (30.2829, 108.0236, "白公"), (30.42, 108.18, "石宝附近"),
          (39.9, 116.4, "北京")]
CENTER_SCENES = ["center:zx-107-center", "center:zx-001-fws", "center:nope", "", "promo"]
MENU_KEYS = ["MENU_JOIN", "MENU_TUOGUAN", "MENU_LOAN", "MENU_DAIZHANG", "MENU_CENTER", "MENU_STATUS", "MENU_HUMAN",
             "MENU_UNKNOWN"]


class Farmers:
    """The seeded stream of inbounds: each farmer's next one depends on what its form asks now."""

    def __init__(self, seed: int, engine: Any) -> None:
        self.rnd = random.Random(seed)
        self.engine = engine
        self.n = 0

    def inbound(self, openid: str) -> Inbound:
        self.n += 1
        base = dict(openid=openid, create_time=1_790_000_000 + self.n, msg_id=str(8_000_000 + self.n))
        convo = dialog_state.read(self.engine, openid) or {}
        asked = convo.get("asked") if convo.get("form") else None
        roll = self.rnd.random()
        if asked in ANSWERS and roll < 0.75:
            answer = self.rnd.choice(ANSWERS[asked])
            if answer != "location":
                return Inbound(kind="text", text=answer, **base)
            roll = 0.9  # a location message below
        elif roll < 0.75:
            return Inbound(kind="text", text=self.rnd.choice(SAID), **base)
        lat, lon, label = self.rnd.choice(PLACES)
        kind = self.rnd.choice(["location", "location", "subscribe", "scan", "click", "click", "unsubscribe",
                                "view", "push", "voice", "voice_blank", "image"])
        if kind == "location":
            return Inbound(kind="location", lat=lat, lon=lon, label=label, **base)
        if kind == "voice":
            return Inbound(kind="voice", text=self.rnd.choice(SAID), media_id="m1", **base)
        if kind == "voice_blank":
            return Inbound(kind="voice", media_id="m2", **base)
        if kind == "image":
            return Inbound(kind="image", media_id="m3", **base)
        base["msg_id"] = None
        if kind == "push":
            return Inbound(kind="event", event="location", lat=lat, lon=lon, **base)
        if kind == "click":
            return Inbound(kind="event", event="click", event_key=self.rnd.choice(MENU_KEYS), **base)
        if kind in ("subscribe", "scan"):
            return Inbound(kind="event", event=kind, event_key=self.rnd.choice(CENTER_SCENES) or None, **base)
        return Inbound(kind="event", event=kind, **base)


class Recording(DialogResponder):
    """The dialog responder, keeping each outcome for the dump."""

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self.last: Any = None

    def respond(self, unit: Any) -> Any:
        self.last = super().respond(unit)
        return self.last


def respond_alone(ctx: Any, responder: Any, inbound: Inbound) -> None:
    """The responder on a unit of work of its own, without the gateway's claim, user row and message log:
    the conversation loaded and saved around it in one transaction."""
    with ctx.engine.begin() as conn:
        unit = MessageUnit(inbound, conn, conversation=dialog_state.load(conn, inbound.openid),
                           location=ctx.store.get(location_key(inbound.openid)))
        responder.respond(unit)
        if unit.changed:
            dialog_state.save(conn, inbound.openid, unit.conversation, ctx.settings.session_ttl_seconds)


def _fresh(settings: Settings, ctx: Any) -> None:
    """An empty scratch database (ids from 1 again; the pack's centers kept) and store."""
    if not settings.is_sqlite:
        names = ", ".join(t.name for t in Base.metadata.sorted_tables if t.name not in KEPT)
        with ctx.engine.begin() as conn:
            conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    if settings.redis_url:
        ctx.store.clear_prefix()


def _dump_tables(ctx: Any, out: Any) -> None:
    with ctx.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in ("alembic_version", "store_entries", "dialog_sessions", "staff_users", "audit_log"):
                continue
            columns = [c for c in table.columns if not isinstance(c.type, DateTime)
                       and not isinstance(getattr(c.type, "impl", None), DateTime)]
            for row in conn.execute(select(*columns).order_by(*table.primary_key.columns)):
                out.write(json.dumps({"table": table.name, **row._asdict()}, ensure_ascii=False, sort_keys=True,
                                     default=str) + "\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--database-url", help="a scratch PostgreSQL database: emptied first")
    ap.add_argument("--redis-url", help="a Redis db: the keys under --redis-prefix are deleted first")
    ap.add_argument("--redis-prefix", default="nongbot-transcript:", help="the run's Redis keys (deleted before and after)")
    ap.add_argument("--users", type=int, default=60)
    ap.add_argument("--messages", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=20261201)
    args = ap.parse_args()
    scratch = tempfile.TemporaryDirectory()
    url = args.database_url or f"sqlite:///{scratch.name}/transcript.db"
    settings = Settings(database_url=url, redis_url=args.redis_url, redis_prefix=args.redis_prefix,
                        wechat_token="transcript",
                        wechat_appid="wxtranscript0000", secret_key="transcript", deliver_in_process=False)
    upgrade(url)
    ctx = build_context(settings)
    ctx.clock = lambda: NOW
    openids = [f"{PREFIX}{i:04d}" for i in range(args.users)]
    _fresh(settings, ctx)
    responder = Recording(ctx)
    gateway = Gateway(ctx, responder)
    farmers = Farmers(args.seed, ctx.engine)
    with open(args.out, "w", encoding="utf-8") as out:
        for n in range(args.messages):
            openid = openids[farmers.rnd.randrange(len(openids))]
            inbound = farmers.inbound(openid)
            alone = openid[-1] in "05"  # every fifth farmer talks to the responder without the gateway
            sends = 2 if alone and farmers.rnd.random() < 0.1 else 1
            for _ in range(sends):
                responder.last = None
                if alone:
                    respond_alone(ctx, responder, inbound)
                    passive = None
                elif inbound.kind == "event" and inbound.event == "location":
                    remember_location(ctx.store, inbound)  # what Gateway.answer does with a pushed location
                    passive = None
                else:
                    passive = gateway._run(inbound, _Attempt())
                outcome = responder.last
                out.write(json.dumps({"n": n, "openid": openid, "in": {k: v for k, v in vars(inbound).items()
                                                                       if v not in (None, "") and k != "openid"},
                                      "passive": passive,
                                      "replies": outcome.replies if outcome else None,
                                      "intent": outcome.intent if outcome else None,
                                      "confidence": outcome.confidence if outcome else None},
                                     ensure_ascii=False, sort_keys=True) + "\n")
        _dump_tables(ctx, out)
        for openid in openids:
            out.write(json.dumps({"openid": openid, "memory": dialog_state.read(ctx.engine, openid),
                                  "location": ctx.store.get(location_key(openid))}, ensure_ascii=False,
                                 sort_keys=True) + "\n")
    gateway.close()
    if settings.redis_url:
        ctx.store.clear_prefix()
    ctx.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
