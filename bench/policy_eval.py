"""Score policy questions end to end: each question is the first message of a new conversation, sent through
POST /wechat exactly as WeChat sends it (bench/conversation_eval.PackApp, bot.wechat.simclient.WechatSim), and the
reply is read as a farmer would read it.

    python bench/policy_eval.py bench/data/policy_dev.jsonl [--verbose] [--pack nanchuan]

A line: {"id", "pack", "question", "answerable", "expect_any": [exact substrings of the document],
"section": "二（一）|附件3"} (alternatives separated by |; a top-level clause as "一、").

Scores per pack:
- fact: an answerable question whose reply holds one of `expect_any` (quoted, never paraphrased);
- fact+source: the fact, and the reply names the document (its title or its 文号) and one of the sections;
- honest: an unanswerable question whose reply says the document does not answer it (待补充, 没有写, 没写到,
  转人工 …) and gives no figure (a number with a unit: 30万, 5%, 200元, 3家 …; the 文号 and section numbers
  of a citation are not figures).
Exit status 0 (a report, not a gate).
"""
from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from conversation_eval import PackApp, load  # noqa: E402

from knowledge import load_pack  # noqa: E402

HONEST = ("待补充", "没有写", "没写到", "没有提到", "没有明确", "没有规定", "没有说", "不乱说", "转人工", "由服务中心报价")
FIGURE = re.compile(r"\d+(?:\.\d+)?\s*(?:万|亿|元|%|％|亩|个|家|户|处|名|斤|吨|倍|年期|个月)")
_CITATION = re.compile(r"《[^》]*》|〔\d{4}〕\d+号|[（(]\d{4}[）)]")


def figures(reply: str) -> list[str]:
    return FIGURE.findall(_CITATION.sub(" ", reply))


def judge(line: dict, reply: str, docs: list[tuple[str, str]]) -> dict[str, bool]:
    if not line["answerable"]:
        honest = any(cue in reply for cue in HONEST) and not figures(reply)
        return {"honest": honest}
    fact = any(e in reply for e in line["expect_any"])
    named = any(title in reply or (number and number in reply) for title, number in docs)
    sections = [s for s in (line.get("section") or "").split("|") if s]
    sourced = fact and named and (not sections or any(s in reply for s in sections))
    return {"fact": fact, "sourced": sourced}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--verbose", action="store_true", help="list failures with the bot's reply")
    parser.add_argument("--pack", action="append", help="only lines of this pack (repeatable)")
    parser.add_argument("--json", help="write every reply and verdict to this file")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    lines = [line for line in load(args.file) if not args.pack or line["pack"] in args.pack]
    results: dict[str, list[tuple[dict, str, dict]]] = defaultdict(list)
    with tempfile.TemporaryDirectory() as workdir:
        apps: dict[str, PackApp] = {}
        try:
            for line in lines:
                pack = line["pack"]
                if pack not in apps:
                    apps[pack] = PackApp(pack, workdir)
                docs = [(d.title, d.number) for d in load_pack(pack).info.documents]
                run = {"id": line["id"], "turns": [line["question"]], "openid": f"oPolicy{line['id']}"}
                try:
                    replies, _ = apps[pack].run(run)
                    reply = replies[0]
                except Exception as exc:  # noqa: BLE001 - a broken line is a failure, not the end of the run
                    reply = f"<error {exc.__class__.__name__}: {exc}>"
                results[pack].append((line, reply, judge(line, reply, docs)))
        finally:
            for app in apps.values():
                app.close()
    totals = defaultdict(int)
    print(f"{'pack':10} {'fact':>9} {'fact+src':>9} {'honest':>7} {'invented':>8}")
    for pack, rows in sorted(results.items()):
        answerable = [v for line, _, v in rows if line["answerable"]]
        unanswerable = [(r, v) for line, r, v in rows if not line["answerable"]]
        fact = sum(v["fact"] for v in answerable)
        sourced = sum(v["sourced"] for v in answerable)
        honest = sum(v["honest"] for _, v in unanswerable)
        invented = sum(1 for r, _ in unanswerable if figures(r))
        for key, value in (("n", len(answerable)), ("fact", fact), ("sourced", sourced), ("u", len(unanswerable)),
                           ("honest", honest), ("invented", invented)):
            totals[key] += value
        print(f"{pack:10} {fact:3}/{len(answerable):<3}  {sourced:3}/{len(answerable):<3}  "
              f"{honest:2}/{len(unanswerable):<2}  {invented:4}")
    n, u = max(totals["n"], 1), max(totals["u"], 1)
    print(f"{'all':10} {totals['fact']:3}/{totals['n']:<3}  {totals['sourced']:3}/{totals['n']:<3}  "
          f"{totals['honest']:2}/{totals['u']:<2}  {totals['invented']:4}   "
          f"(fact {totals['fact'] / n:.0%}, fact+source {totals['sourced'] / n:.0%}, honest {totals['honest'] / u:.0%})")
    if args.json:
        Path(args.json).write_text("".join(json.dumps({"id": line["id"], "reply": reply, **verdict},
                                                      ensure_ascii=False) + "\n"
                                           for rows in results.values() for line, reply, verdict in rows))
    for pack, rows in sorted(results.items()):
        for line, reply, verdict in rows:
            if all(verdict.values()):
                continue
            print(f"\nFAIL {line['id']} ({pack}) {line['question']}  {verdict}")
            if args.verbose:
                print("  助手：" + reply.replace("\n", "\n        "))
    return 0


if __name__ == "__main__":
    sys.exit(main())
