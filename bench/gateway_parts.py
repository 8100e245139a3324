"""Where one message's CPU goes, part by part, single-threaded (no GIL contention, no HTTP).

Builds the deployment's context from NONGBOT_* like `nongbot serve`, then times over the same kind
of messages as gateway_load.py: the protocol (signature, decrypt, parse; encrypt), the store claim
and finish, the responder (dialog + NLU + handlers, its writes pending), the records and the commit of
the message's one transaction. CPU µs per message.

    NONGBOT_DATABASE_URL=... NONGBOT_REDIS_URL=... python bench/gateway_parts.py --messages 2000
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
import urllib.parse
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.gateway_load import MESSAGES  # noqa: E402
from bot.app import build_context, default_responder  # noqa: E402
from bot.records import conversations  # noqa: E402
from bot.records.models import utcnow  # noqa: E402
from bot.wechat.gateway import Gateway  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.wechat.simclient import WechatSim, render_callback  # noqa: E402
from bot.wechat.protocol import WechatProtocol, split_for_wechat  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--users", type=int, default=500)
    ap.add_argument("--seed", type=int, help="the same message mix on every run (before/after pairs)")
    args = ap.parse_args()
    if args.seed is not None:
        random.seed(args.seed)
    settings = Settings()
    ctx = build_context(settings)
    gateway = Gateway(ctx, default_responder(ctx))
    protocol = WechatProtocol(settings.wechat_token, settings.wechat_aes_key, settings.wechat_appid)
    calls = []
    for i in range(args.messages + 200):
        sim = WechatSim(None, settings.wechat_token, settings.wechat_aes_key, settings.wechat_appid,
                        openid=f"oParts{i % args.users:06d}")
        body, query = sim.envelope(render_callback(sim.fields("text", Content=random.choice(MESSAGES))), sim.params())
        calls.append((dict(urllib.parse.parse_qsl(urllib.parse.urlencode(query))), body))
    spent: dict[str, float] = defaultdict(float)

    def timed(part: str, fn, *a):  # noqa: ANN001, ANN202
        started = time.process_time()
        try:
            return fn(*a)
        finally:
            spent[part] += time.process_time() - started

    for n, (params, body) in enumerate(calls):
        if n == 200:
            spent.clear()
        callback = timed("protocol: signature + decrypt + parse", protocol.open, params, body)
        inbound = callback.inbound
        keys = gateway._keys(inbound)
        token = gateway.heartbeat.token()
        claim = timed("store: claim (dedup + lock + memory)", ctx.store.claim_message, keys, token)
        conn = timed("records: user upsert + message log + commit", ctx.engine.connect)
        timed("records: user upsert + message log + commit", conn.begin)
        unit, outcome = timed("responder: dialog + NLU + handlers", gateway._respond, inbound, claim, conn)
        texts = [piece for reply in outcome.replies for piece in split_for_wechat(reply)]
        if unit is not None and unit.changed:
            timed("records: user upsert + message log + commit", conversations.save, conn, inbound.openid,
                  unit.conversation, 3600)
        timed("records: user upsert + message log + commit", gateway._record, conn, inbound, outcome, texts,
              texts[1:], False, utcnow())
        timed("records: user upsert + message log + commit", conn.commit)
        timed("records: user upsert + message log + commit", conn.close)
        writes = {keys.reply: ({"text": texts[0] if texts else None}, 600)}
        timed("store: finish (memory + reply + unlock)", ctx.store.finish_message, writes, keys.lock, token)
        if texts:
            timed("protocol: encrypt reply", protocol.text_reply, callback, texts[0])
    total = sum(spent.values())
    for part, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
        print(json.dumps({"part": part, "cpu_us_per_msg": round(seconds / args.messages * 1e6)}, ensure_ascii=False))
    print(json.dumps({"part": "total (no HTTP, no threads)", "cpu_us_per_msg": round(total / args.messages * 1e6)}))
    gateway.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
