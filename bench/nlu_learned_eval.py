"""The learned stage on labelled sets: rules alone vs rules + learned stage vs the model alone.

usage: python bench/nlu_learned_eval.py [FILE.jsonl ...]   (default: the three sets kept out of training)
Prints accuracy, per style (or noise kind), out_of_scope precision, how many messages reach the stage and
how many it changes (right → wrong, wrong → right).
"""
from __future__ import annotations

import json
import sys
from collections import defaultdict
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from intents.learned import load_model  # noqa: E402
from intents.understanding import Understanding  # noqa: E402

DEFAULT = ["tests/data/nlu_test.jsonl", "tests/data/nlu_holdout.jsonl", "tests/data/nlu_r1_five_counties.jsonl"]
_CACHE: dict[tuple[str, bool], Understanding] = {}


def understanding(pack: str, learned: bool) -> Understanding:
    if (pack, learned) not in _CACHE:
        from knowledge import load_pack
        _CACHE[pack, learned] = Understanding.from_pack(load_pack(pack), learned=learned)
    return _CACHE[pack, learned]


def oos_precision(pairs: list[tuple[str, str]]) -> str:
    said = [g for g, p in pairs if p == "out_of_scope"]
    return f"{sum(g == 'out_of_scope' for g in said) / len(said):.3f} ({len(said)})" if said else "-"


def run(path: str, verbose: bool = False) -> None:
    rows = [json.loads(line) for line in open(ROOT / path, encoding="utf-8") if line.strip()]
    model = load_model()
    off, on, alone = [], [], []
    reached = changed = fixed = broken = 0
    style_acc: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for r in rows:
        pack = r.get("pack") or r.get("county") or "zhongxian"
        today = date.fromisoformat(r["today"]) if r.get("today") else date(2026, 11, 23)
        a = understanding(pack, False).parse(r["text"], today=today)
        nlu = understanding(pack, True)
        before = nlu.learned_stats["reached"]
        b = nlu.parse(r["text"], today=today)
        hit = nlu.learned_stats["reached"] > before
        reached += hit
        probs = model.probabilities(nlu.normalize(r["text"]).text)
        m = max(probs, key=lambda k: probs[k])
        gold = r["intent"]
        off.append((gold, a.intent))
        on.append((gold, b.intent))
        alone.append((gold, m))
        if a.intent != b.intent:
            changed += 1
            fixed += b.intent == gold
            broken += a.intent == gold
            if verbose:
                print(f"  {'FIX' if b.intent == gold else 'BRK' if a.intent == gold else '---'} {gold:20} "
                      f"{a.intent}->{b.intent}  {r['text']}")
        s = style_acc[r.get("style") or r.get("noise") or "-"]
        s[0] += 1
        s[1] += a.intent == gold
        s[2] += b.intent == gold

    def acc(pairs):
        return sum(g == p for g, p in pairs) / len(pairs)
    n = len(rows)
    print(f"{path}: {n} messages")
    print(f"  accuracy  rules {acc(off):.4f}  rules+learned {acc(on):.4f}  model alone {acc(alone):.4f}")
    print(f"  out_of_scope precision  rules {oos_precision(off)}  rules+learned {oos_precision(on)}")
    print(f"  reached the stage {reached}/{n} = {reached / n:.1%}; changed {changed} (fixed {fixed}, broke {broken})")
    print("  per style (off → on): " + ", ".join(f"{k} {v[1] / v[0]:.3f}→{v[2] / v[0]:.3f}"
                                                 for k, v in sorted(style_acc.items())))


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    for path in args or DEFAULT:
        run(path, verbose="-v" in sys.argv)


if __name__ == "__main__":
    main()
