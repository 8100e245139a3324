"""Score scripted conversations end to end: each line's turns go through POST /wechat exactly as WeChat
sends them (signed, AES-encrypted, bot.wechat.simclient.WechatSim) to an app built for the line's pack, then the
records the line wrote are read with the export code (`bot.records.export.export_rows`, what `nongbot export`
prints) and compared with what the line expects.

    python bench/conversation_eval.py bench/data/conversations_dev.jsonl [--verbose] [--pack zhongxian]

A line:
    {"id": "zx-01", "pack": "zhongxian", "today": "2026-11-23", "openid": "oA1",
     "turns": ["我要给石宝镇30亩柑橘打药", {"location": [30.42, 108.18]}, "下周三", "13800138000", "确认"],
     "expect": {"kind": "bookings", "status": "received", "fields": {"township": "石宝镇", "area_mu": 30}}}
A turn is a text, {"location": [lat, lon]}, {"voice": "recognition" or null} or {"event": "CLICK", "key": K}.
`expect.kind` is one of bookings | members | loan_requests | bookkeeping_requests | tickets | none.

Scoring: the right kind (for `none`: no record of any kind written by the line), the status when given,
and every expected field equal (numbers as numbers, a service list joined by 、 as a set, strings exactly);
a ticket expected "received" is one still open. Prints the score per pack and per
kind; --verbose lists each failure with the bot's replies. Exit status 0 (a report, not a gate).
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from collections import defaultdict
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import func, or_, select  # noqa: E402

from bot.app import build_context, create_app  # noqa: E402
from bot.store.db import upgrade  # noqa: E402
from bot.records.export import KINDS, export_rows  # noqa: E402
from bot.records.models import REQUEST_KINDS, Ticket  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.wechat.simclient import WechatSim  # noqa: E402

TOKEN, APPID = "eval-token", "wxconversationeval"
AES = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF1"
MODELS = {**REQUEST_KINDS, "tickets": Ticket}


def load(path: str) -> list[dict[str, Any]]:
    lines = []
    for number, raw in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if raw.strip() and not raw.lstrip().startswith("#"):
            line = json.loads(raw)
            line.setdefault("id", f"line-{number}")
            lines.append(line)
    return lines


def same(expected: Any, got: Any) -> bool:
    """Numbers compared as numbers, a list of services joined by 、 as a set, everything else exactly."""
    numeric = (int, float)
    if isinstance(expected, str) and isinstance(got, str) and "、" in expected + got:
        return {part.strip() for part in expected.split("、")} == {part.strip() for part in got.split("、")}
    if isinstance(expected, numeric) and not isinstance(expected, bool):
        try:
            return got is not None and not isinstance(got, bool) and float(got) == float(expected)
        except (TypeError, ValueError):
            return False
    return got == expected


class PackApp:
    """One pack's app on a fresh SQLite database, its clock set per line."""

    def __init__(self, pack: str, workdir: str) -> None:
        url = f"sqlite:///{workdir}/{pack}.db"
        upgrade(url)
        settings = Settings(database_url=url, wechat_token=TOKEN, wechat_aes_key=AES, wechat_appid=APPID,
                            secret_key="eval", knowledge=pack, deliver_in_process=False)
        self.ctx = build_context(settings)
        self.day = date(2026, 11, 23)
        # Noon in China on the line's day: relative dates ("下周三") read from it.
        self.ctx.clock = lambda: datetime(self.day.year, self.day.month, self.day.day, 4, 0, tzinfo=timezone.utc)
        self.client = TestClient(create_app(ctx=self.ctx))
        self.client.__enter__()

    def close(self) -> None:
        self.client.__exit__(None, None, None)

    def high_water(self) -> dict[str, int]:
        with self.ctx.sessions() as session:
            return {kind: session.scalar(select(func.coalesce(func.max(model.id), 0))) for kind, model in MODELS.items()}

    def run(self, line: dict[str, Any]) -> tuple[list[str], dict[str, list[dict[str, Any]]]]:
        """The bot's replies to the line's turns and the records the line wrote, by kind (export rows)."""
        self.day = date.fromisoformat(line.get("today") or "2026-11-23")
        openid = line.get("openid") or f"oEval{line['id']}"
        before, started = self.high_water(), datetime.now(timezone.utc)
        sim = WechatSim(self.client, TOKEN, AES, APPID, openid=openid)
        replies = []
        for turn in line["turns"]:
            if isinstance(turn, str):
                reply = sim.text(turn)
            elif "location" in turn:
                lat, lon = turn["location"]
                reply = sim.location(lat, lon, turn.get("label", ""))
            elif "voice" in turn:
                reply = sim.voice(turn["voice"])
            elif "event" in turn:
                reply = sim.event(turn["event"], turn.get("key"))
            else:
                raise ValueError(f"{line['id']}: unknown turn {turn!r}")
            replies.append(reply.text or "" if reply.status == 200 else f"<HTTP {reply.status}>")
        written: dict[str, list[dict[str, Any]]] = {}
        with self.ctx.sessions() as session:
            for kind in KINDS:
                model = MODELS[kind]
                # Written by the line, or changed by it (a request withdrawn or moved that an earlier line made).
                ids = set(session.scalars(select(model.id).where(
                    model.openid == openid, or_(model.id > before[kind], model.updated_at >= started))))
                rows = [row for row in export_rows(session, kind) if row["id"] in ids]
                if rows:
                    written[kind] = rows
        return replies, written


def score(line: dict[str, Any], written: dict[str, list[dict[str, Any]]]) -> list[str]:
    """What is wrong with the line's outcome (empty: right)."""
    expect = line.get("expect") or {}
    kind = expect.get("kind", "none")
    if kind == "none":
        return [f"unexpected {k} record" for k in written]
    rows = written.get(kind)
    if not rows:
        return [f"no {kind} record" + (f" (wrote {', '.join(written)})" if written else "")]
    row = rows[-1]
    problems = []
    wanted = expect.get("status")
    if kind == "tickets" and wanted == "received":
        wanted = "open"  # the blind sets say "received" for a ticket the center has not closed yet
    if wanted and row.get("status") != wanted:
        problems.append(f"status {row.get('status')!r} != {wanted!r}")
    for name, value in (expect.get("fields") or {}).items():
        if not same(value, row.get(name)):
            problems.append(f"{name}: {row.get(name)!r} != {value!r}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--verbose", action="store_true", help="list failures with the bot's replies")
    parser.add_argument("--pack", action="append", help="only lines of this pack (repeatable)")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    lines = [line for line in load(args.file) if not args.pack or line.get("pack", "zhongxian") in args.pack]
    by_pack: dict[str, list[tuple[dict, list[str], list[str]]]] = defaultdict(list)
    with tempfile.TemporaryDirectory() as workdir:
        apps: dict[str, PackApp] = {}
        try:
            for line in lines:
                pack = line.get("pack") or "zhongxian"
                if pack not in apps:
                    apps[pack] = PackApp(pack, workdir)
                try:
                    replies, written = apps[pack].run(line)
                    problems = score(line, written)
                except Exception as exc:  # noqa: BLE001 - a broken line is a failure, not the end of the run
                    replies, problems = [], [f"error: {exc.__class__.__name__}: {exc}"]
                by_pack[pack].append((line, replies, problems))
        finally:
            for app in apps.values():
                app.close()
    total = sum(len(v) for v in by_pack.values())
    right = sum(1 for v in by_pack.values() for _, _, p in v if not p)
    print(f"overall {right}/{total} ({right / max(total, 1):.0%})")
    for pack, results in sorted(by_pack.items()):
        ok = sum(1 for _, _, p in results if not p)
        print(f"  pack {pack:10} {ok}/{len(results)} ({ok / len(results):.0%})")
    by_kind: dict[str, list[bool]] = defaultdict(list)
    for results in by_pack.values():
        for line, _, problems in results:
            by_kind[(line.get("expect") or {}).get("kind", "none")].append(not problems)
    for kind, oks in sorted(by_kind.items()):
        print(f"  kind {kind:22} {sum(oks)}/{len(oks)} ({sum(oks) / len(oks):.0%})")
    failures = [(line, replies, problems) for results in by_pack.values() for line, replies, problems in results
                if problems]
    for line, replies, problems in failures:
        print(f"\nFAIL {line['id']} ({line.get('pack', 'zhongxian')}): {'; '.join(problems)}")
        if args.verbose:
            for turn, reply in zip(line["turns"], replies):
                print(f"  我：{turn if isinstance(turn, str) else json.dumps(turn, ensure_ascii=False)}")
                print("  助手：" + reply.replace("\n", "\n        "))
    return 0


if __name__ == "__main__":
    sys.exit(main())
