#!/usr/bin/env python3
"""Format check for a labelled NLU set (default: tests/data/nlu_test.jsonl).

Checks JSON validity, the 13 intent labels, noise styles, slot names and value
types (CONTRACT.md, "NLU answer"), and that township / crop / service /
member_type values are canonical names in the knowledge pack's data files.
It does not run or import the matcher. Prints counts per intent and noise.

    python3 bench/check_test_set.py [FILE] [--pack knowledge/packs/zhongxian]
"""
from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import pathlib
import re
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
INTENTS = {
    "join_nonghelian", "book_tuoguan", "loan_products", "bookkeeping",
    "find_service_center", "human_agent", "check_status", "policy_faq",
    "supplies", "sell_produce", "greeting", "thanks_bye", "out_of_scope",
}
NOISE = {"clean", "dialect", "voice", "typo", "pinyin"}
MEMBER_TYPES = {"农户", "家庭农场", "农民合作社", "村集体", "企业"}
SLOTS = {"township", "crop", "area_mu", "amount_yuan", "service", "member_type", "phone", "date"}


def load_pack(pack: pathlib.Path) -> dict[str, set[str]]:
    def names(file: str, key: str) -> set[str]:
        data = yaml.safe_load((pack / file).read_text(encoding="utf-8"))
        return {item["name"] for item in data[key]}

    return {
        "township": names("townships.yaml", "townships"),
        "crop": names("crops.yaml", "crops"),
        "service": names("services.yaml", "services"),
        "member_type": MEMBER_TYPES,
    }


def check(path: pathlib.Path, canon: dict[str, set[str]]) -> tuple[list[str], list[dict]]:
    errors: list[str] = []
    rows: list[dict] = []
    seen: set[str] = set()
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            errors.append(f"{n}: empty line")
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            errors.append(f"{n}: bad JSON: {e}")
            continue
        rows.append(row)
        where = f"{n}: {row.get('text')!r}"
        if set(row) != {"text", "intent", "slots", "noise", "today"}:
            errors.append(f"{where}: keys {sorted(row)}")
        if not isinstance(row.get("text"), str) or not row["text"].strip():
            errors.append(f"{where}: empty text")
        elif row["text"] in seen:
            errors.append(f"{where}: duplicate text")
        else:
            seen.add(row["text"])
        if row.get("intent") not in INTENTS:
            errors.append(f"{where}: intent {row.get('intent')!r}")
        if row.get("noise") not in NOISE:
            errors.append(f"{where}: noise {row.get('noise')!r}")
        try:
            today = dt.date.fromisoformat(row.get("today", ""))
        except (TypeError, ValueError):
            errors.append(f"{where}: today {row.get('today')!r}")
            today = None
        slots = row.get("slots")
        if not isinstance(slots, dict):
            errors.append(f"{where}: slots not an object")
            continue
        for k, v in slots.items():
            if k not in SLOTS:
                errors.append(f"{where}: unknown slot {k}")
            elif k in canon and v not in canon[k]:
                errors.append(f"{where}: {k}={v!r} not canonical")
            elif k in ("area_mu", "amount_yuan") and (
                isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0
            ):
                errors.append(f"{where}: {k}={v!r} not a positive number")
            elif k == "phone" and not (isinstance(v, str) and re.fullmatch(r"1\d{10}", v)):
                errors.append(f"{where}: phone={v!r}")
            elif k == "date":
                try:
                    d = dt.date.fromisoformat(v)
                    if today and not (today <= d <= today + dt.timedelta(days=400)):
                        errors.append(f"{where}: date {v} far from today")
                except (TypeError, ValueError):
                    pass  # free-text dates are allowed by the contract
    return errors, rows


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("file", nargs="?", default=str(ROOT / "tests/data/nlu_test.jsonl"))
    ap.add_argument("--pack", default=str(ROOT / "knowledge/packs/zhongxian"))
    a = ap.parse_args()
    errors, rows = check(pathlib.Path(a.file), load_pack(pathlib.Path(a.pack)))
    for e in errors:
        print("ERROR", e)
    by_intent = collections.Counter(r.get("intent") for r in rows)
    by_noise = collections.Counter(r.get("noise") for r in rows)
    by_slot = collections.Counter(k for r in rows for k in (r.get("slots") or {}))
    cross = collections.Counter((r.get("intent"), r.get("noise")) for r in rows)
    print(f"{len(rows)} rows, {sum(1 for r in rows if r.get('slots'))} with slots")
    noises = sorted(NOISE, key=["clean", "dialect", "voice", "typo", "pinyin"].index)
    print(f"{'intent':22s} {'all':>4s} " + " ".join(f"{x:>7s}" for x in noises))
    for i, c in by_intent.most_common():
        print(f"{i:22s} {c:4d} " + " ".join(f"{cross[(i, x)]:7d}" for x in noises))
    print("noise:", dict(by_noise))
    print("slots:", dict(by_slot))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
