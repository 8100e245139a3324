"""Load generator: signed, AES-encrypted WeChat text callbacks from many openids at a fixed concurrency.

Requests are built (signed and encrypted with wechatpy, as WeChat does) before the clock
starts, then sent over keep-alive connections by a minimal asyncio HTTP/1.1 client so the
generator costs little CPU next to the server. Reports throughput and p50/p90/p99 latency.

    python bench/gateway_load.py --url http://127.0.0.1:8000/wechat --token T --aes-key K --appid A \
        --requests 3000 --concurrency 32
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
from collections import Counter
import sys
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.wechat.simclient import WechatSim, render_callback  # noqa: E402

MESSAGES = ["托管五十亩水稻咋个收费", "我要贷款5万", "石宝有没得服务站", "代账多少钱一年", "你好",
            "我想加入农合联", "转人工", "化肥哪里买", "橘子有人收不", "我的预约到哪一步了"]


def build_requests(url: str, token: str, aes_key: str | None, appid: str | None, n: int,
                   users: int, keys: list[str] | None = None) -> list[bytes]:
    """`n` signed requests; with `keys`, each one's dedup key (msg:openid:MsgId) is appended to it."""
    parts = urllib.parse.urlsplit(url)
    host = parts.netloc
    out = []
    for i in range(n):
        sim = WechatSim(None, token, aes_key, appid, openid=f"oBench{i % users:06d}")
        fields = sim.fields("text", Content=random.choice(MESSAGES))  # fresh MsgId each
        body, query = sim.envelope(render_callback(fields), sim.params())
        target = parts.path + "?" + urllib.parse.urlencode(query)
        head = (f"POST {target} HTTP/1.1\r\nHost: {host}\r\nContent-Type: text/xml\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        out.append(head + body)
        if keys is not None:
            keys.append(f"msg:{sim.openid}:{fields['MsgId']}")
    return out


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    status_line = await reader.readline()
    status = int(status_line.split()[1])
    length = 0
    chunked = False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value.strip())
        elif name.lower() == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    if chunked:
        body = b""
        while True:
            size = int((await reader.readline()).strip(), 16)
            if size == 0:
                await reader.readline()
                break
            body += await reader.readexactly(size)
            await reader.readline()
        return status, body
    return status, await reader.readexactly(length)


async def run(url: str, payloads: list[bytes], concurrency: int) -> dict:
    parts = urllib.parse.urlsplit(url)
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for p in payloads:
        queue.put_nowait(p)
    latencies: list[float] = []
    errors = 0

    async def connection() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
        try:
            while True:
                try:
                    payload = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                started = time.perf_counter()
                writer.write(payload)
                await writer.drain()
                status, body = await read_response(reader)
                latencies.append(time.perf_counter() - started)
                if status != 200 or not body:
                    errors += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    lat = sorted(latencies)

    def pct(p: float) -> float:
        return round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 1)

    return {"requests": len(lat), "errors": errors, "seconds": round(elapsed, 2),
            "req_per_s": round(len(lat) / elapsed, 1), "p50_ms": pct(0.50), "p90_ms": pct(0.90),
            "p99_ms": pct(0.99), "mean_ms": round(statistics.mean(lat) * 1000, 1), "concurrency": concurrency}


async def run_open(url: str, payloads: list[bytes], rate: float) -> dict:
    """Open loop, as farmers answering a broadcast do: request i goes out at i / `rate` seconds whether or not
    the earlier ones were answered (a new connection when none is idle). Latency counts from the request's
    write (a connection's opening included); how late the generator itself wrote requests is reported apart
    (`generator_late_p99_ms`: large when the generator's core is crowded, and then the offered rate was lower
    than asked). A request answered after more than 5 s, or not at all, is what WeChat would have timed out
    on and sent again."""
    parts = urllib.parse.urlsplit(url)
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    results: list[tuple[float, float, int, bytes]] = [(0.0, 0.0, 0, b"")] * len(payloads)
    lags: list[float] = [0.0] * len(payloads)  # how late the generator itself wrote each request
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.2
    wall_start = time.time() + 0.2

    async def one(i: int, payload: bytes) -> None:
        scheduled = start + i / rate
        await asyncio.sleep(max(0.0, scheduled - loop.time()))
        try:
            conn = idle.pop() if idle else await asyncio.open_connection(parts.hostname, parts.port or 80)
            written = loop.time()
            conn[1].write(payload)
            status, body = await asyncio.wait_for(read_response(conn[0]), 30)
            idle.append(conn)
        except (OSError, asyncio.TimeoutError, ValueError, IndexError):
            written, status, body = loop.time(), 0, b""
        lags[i] = written - scheduled
        # WeChat's 5 s count from its request's sending: here from the write (the generator's own lateness,
        # a crowded core 1, is reported apart)
        results[i] = (wall_start + i / rate, loop.time() - written, status, body)

    await asyncio.gather(*(one(i, p) for i, p in enumerate(payloads)))
    lat = sorted(r[1] for r in results)

    def pct(p: float) -> float:
        return round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 1)

    shed = [i for i, r in enumerate(results) if r[2] == 200 and r[3] == b"success"]
    return {"requests": len(lat), "rate": rate, "seconds": round(len(payloads) / rate, 1),
            "errors": sum(1 for r in results if r[2] != 200),
            "error_statuses": {str(k): v for k, v in sorted(Counter(r[2] for r in results if r[2] != 200).items())},
            "over_5s": sum(1 for r in results if r[1] > 5.0 or r[2] != 200),
            "shed": len(shed), "shed_share": round(len(shed) / max(1, len(results)), 3),
            "p50_ms": pct(0.50), "p90_ms": pct(0.90), "p99_ms": pct(0.99), "max_ms": pct(1.0),
            "generator_late_p99_ms": round(sorted(lags)[int(0.99 * len(lags))] * 1000, 1),
            "_sent_at": [r[0] for r in results], "_shed": shed}


def shed_lateness(database_url: str, keys: list[str], sent_at: list[float], shed: list[int],
                  wait: float = 300.0) -> dict:
    """How late the shed messages' answers were queued (committed to the outbox, from where the 客服 API
    takes them) after the farmer sent them: waits until every shed message has its answer queued."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    wanted = {f"reply:{keys[i]}:0": sent_at[i] for i in shed}
    found: dict[str, float] = {}
    deadline = time.time() + wait
    try:
        while len(found) < len(wanted) and time.time() < deadline:
            with engine.connect() as conn:
                rows = conn.execute(text("SELECT dedup_key, created_at FROM outbox WHERE source = 'reply'"))
                for key, created in rows:
                    if key in wanted:
                        if isinstance(created, str):
                            from datetime import datetime, timezone
                            created = datetime.fromisoformat(created).replace(tzinfo=timezone.utc)
                        found[key] = created.timestamp() - wanted[key]
            time.sleep(1.0)
    finally:
        engine.dispose()
    late = sorted(found.values())
    if not late:
        return {"shed_answered": 0}
    return {"shed_answered": len(late), "shed_late_p50_s": round(late[len(late) // 2], 1),
            "shed_late_p90_s": round(late[int(len(late) * 0.9)], 1), "shed_late_max_s": round(late[-1], 1)}


WRK_SPARE = 4  # requests per connection built beyond --requests for wrk's stop
WRK_SCRIPT = """
local reqs = dofile(os.getenv("NONGBOT_WRK_REQUESTS"))
local want = tonumber(os.getenv("NONGBOT_WRK_WANT"))
local i, answered = 0, 0
request = function()
  i = i + 1
  local r = reqs[(i - 1) % #reqs + 1]
  return wrk.format("POST", r[1], {["Content-Type"] = "text/xml"}, r[2])
end
response = function(status, headers, body)
  answered = answered + 1
  if answered == want then io.stderr:write("DONE\\n") io.stderr:flush() end
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK {"requests": %d, "us": %d, "errors": %d, "p50": %d, "p90": %d, "p99": %d, "mean": %f}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean))
end
"""


def run_wrk(url: str, payloads: list[bytes], concurrency: int, seconds: float) -> dict:
    """Send the pre-built requests with wrk (one thread, `concurrency` connections) until all but the last
    WRK_SPARE x `concurrency` are answered, or for `seconds` at most. The spare ones go out only while wrk
    stops (those in flight, and those sent before the SIGINT lands): no MsgId goes out twice."""
    import signal
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as work:
        table = ["return {"]
        for raw in payloads:
            head, _, body = raw.partition(b"\r\n\r\n")
            path = head.split(b" ")[1].decode()
            table.append(f"{{[==[{path}]==], [==[{body.decode()}]==]}},")
        table.append("}")
        Path(work, "requests.lua").write_text("\n".join(table))
        Path(work, "send.lua").write_text(WRK_SCRIPT)
        proc = subprocess.Popen(["wrk", "-t1", f"-c{concurrency}", f"-d{int(seconds)}s", "-s", str(Path(work, "send.lua")),
                                 url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "NONGBOT_WRK_REQUESTS": str(Path(work, "requests.lua")),
                                     "NONGBOT_WRK_WANT": str(max(1, len(payloads) - WRK_SPARE * concurrency))})
        # The script says DONE once the requests are answered; SIGINT makes wrk stop there and report
        # (it would otherwise go on for `seconds`, sending the same requests again).
        if proc.stderr.readline().strip() == "DONE":
            proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate()
    line = next(line for line in out.splitlines() if line.startswith("WRK "))
    got = json.loads(line[4:])
    return {"requests": got["requests"], "errors": got["errors"], "seconds": round(got["us"] / 1e6, 2),
            "req_per_s": round(got["requests"] / (got["us"] / 1e6), 1), "p50_ms": round(got["p50"] / 1000, 1),
            "p90_ms": round(got["p90"] / 1000, 1), "p99_ms": round(got["p99"] / 1000, 1),
            "mean_ms": round(got["mean"] / 1000, 1), "concurrency": concurrency, "generator": "wrk",
            # Past the pre-built requests wrk would send them again: retries, which the gateway answers cheaply.
            "msgids_reused": got["requests"] > len(payloads)}


def cpu_seconds(pid: int | None) -> float:
    """User+system CPU seconds of process `pid` and its descendants (Linux /proc), 0 without a pid."""
    if not pid:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        todo += [int(child) for child in children]
    return total


SERVICES = ("postgres", "redis-server")


def services_cpu_seconds() -> float:
    """CPU time of the PostgreSQL and Redis server processes (their share of a message's cost)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            head, tail = stat.read_text().rsplit(")", 1)
        except OSError:
            continue
        if head.split("(", 1)[1] in SERVICES:
            fields = tail.split()
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def machine_busy_seconds() -> float:
    """All cores' non-idle time since boot (/proc/stat): with the wall time, how busy the machine was."""
    cpu = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(v) for v in cpu]
    return (sum(values[:8]) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--aes-key")
    ap.add_argument("--appid")
    ap.add_argument("--requests", type=int, default=3000)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--users", type=int, default=500, help="distinct openids")
    ap.add_argument("--label", default="")
    ap.add_argument("--server-pid", type=int, help="report this process tree's CPU time per message")
    ap.add_argument("--wrk", type=int, metavar="SECONDS",
                    help="send --requests with wrk (for SECONDS at most) instead of the asyncio client")
    ap.add_argument("--rate", type=float, help="open loop: this many requests a second (--requests in all)")
    ap.add_argument("--database-url", help="open loop: read how late the shed messages' answers were queued")
    args = ap.parse_args()
    if urllib.parse.urlsplit(args.url).hostname not in ("127.0.0.1", "localhost", "::1"):
        ap.error("the load generator only targets loopback addresses")
    warm = build_requests(args.url, args.token, args.aes_key, args.appid, args.warmup, args.users)
    asyncio.run(run(args.url, warm, args.concurrency))
    # with wrk, spare ones: sent while it stops after --requests answers
    extra = WRK_SPARE * args.concurrency if args.wrk else 0
    keys: list[str] = []  # open loop: each request's dedup key, to find its answer in the outbox
    payloads = build_requests(args.url, args.token, args.aes_key, args.appid, args.requests + extra, args.users,
                              keys if args.rate else None)
    cpu_before, services_before, busy_before = cpu_seconds(args.server_pid), services_cpu_seconds(), machine_busy_seconds()
    if args.rate:
        result = asyncio.run(run_open(args.url, payloads, args.rate))
        sent_at, shed = result.pop("_sent_at"), result.pop("_shed")
    elif args.wrk:
        result = run_wrk(args.url, payloads, args.concurrency, args.wrk)
    else:
        result = asyncio.run(run(args.url, payloads, args.concurrency))
    per_msg = 1e6 / max(1, result["requests"])
    if args.server_pid:
        result["server_cpu_us_per_msg"] = round((cpu_seconds(args.server_pid) - cpu_before) * per_msg)
    # PostgreSQL's and Redis's CPU, and the whole machine's (the generator and any neighbour included)
    result["services_cpu_us_per_msg"] = round((services_cpu_seconds() - services_before) * per_msg)
    result["machine_cpu_us_per_msg"] = round((machine_busy_seconds() - busy_before) * per_msg)
    result["label"] = args.label
    if args.rate and args.database_url and shed:
        result.update(shed_lateness(args.database_url, keys, sent_at, shed))
    print(json.dumps(result, ensure_ascii=False))
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
