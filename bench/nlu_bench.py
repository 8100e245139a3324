"""µs per message of Understanding.parse with the county catalogue and with one grown to 10,000 phrases."""
from __future__ import annotations

import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from intents import Understanding  # noqa: E402
from intents.catalogue import INTENTS  # noqa: E402
from tests.intents.conftest import TODAY, TOWNSHIPS, build_understanding  # noqa: E402

CROPS = "水稻 柑橘 玉米 生猪 笋竹 油菜 红薯 榨菜 花椒 茶叶 蔬菜 土豆 小麦 大豆 中药材 脐橙".split()
TEMPLATES = {
    "book_tuoguan": ["{t}{c}托管怎么收费", "帮我约{t}的{c}飞防", "{c}机收{t}有没有"],
    "loan_products": ["种{c}想贷款{t}能办吗", "{t}{c}大户贷款额度", "{t}养{c}的能贷多少"],
    "supplies": ["{t}哪里买{c}化肥", "{c}用的农药{t}有卖吗", "{t}{c}种子多少钱"],
    "sell_produce": ["{t}{c}有人收购吗", "{c}卖到{t}哪里", "{t}的{c}网上怎么卖"],
    "find_service_center": ["{t}卖{c}种子的服务站在哪里", "{t}为农服务中心管{c}的电话"],
    "join_nonghelian": ["{t}种{c}的怎么入会", "{c}农合联{t}怎么加入"],
    "bookkeeping": ["{t}{c}合作社代账", "{t}种{c}的合作社记账"],
    "check_status": ["{t}{c}托管预约进度", "{t}{c}贷款批了没"],
    "policy_faq": ["{t}{c}补贴政策是什么", "{c}示范社{t}怎么申报", "{t}{c}技术培训什么时候"],
}


def grown_phrases(target: int) -> dict[str, list[str]]:
    rng = random.Random(7)
    out: dict[str, list[str]] = {name: [] for name in TEMPLATES if TEMPLATES[name]}
    combos = [(n, tpl, t.rstrip("镇乡街道"), c) for n, tpls in TEMPLATES.items() for tpl in tpls
              for t in TOWNSHIPS for c in CROPS]
    rng.shuffle(combos)
    seen: set[str] = set()
    for name, tpl, t, c in combos:
        phrase = tpl.format(t=t, c=c)
        if phrase not in seen and len(seen) < target:
            seen.add(phrase)
            out[name].append(phrase)
    return out


def measure(nlu: Understanding, texts: list[str], rounds: int = 5) -> tuple[float, float, float]:
    """Median and best wall µs per message, and median CPU µs (steadier when the cores are shared)."""
    for t in texts:                      # warm the per-character pinyin table
        nlu.parse(t, today=TODAY)
    per_round, cpu = [], []
    for _ in range(rounds):
        start, start_cpu = time.perf_counter(), time.process_time()
        for t in texts:
            nlu.parse(t, today=TODAY)
        per_round.append((time.perf_counter() - start) / len(texts) * 1e6)
        cpu.append((time.process_time() - start_cpu) / len(texts) * 1e6)
    return statistics.median(per_round), min(per_round), statistics.median(cpu)


def main() -> None:
    county_only = "--county" in sys.argv[1:]    # skip the 10,000-phrase catalogue
    texts = [json.loads(line)["text"] for line in open(ROOT / "tests/data/nlu_dev.jsonl", encoding="utf-8")]
    base = build_understanding()
    runs = [("county catalogue", base)]
    if not county_only:
        start = time.perf_counter()
        grown = Understanding.from_pack(base.pack, extra_phrases=grown_phrases(10_000 - base.matcher.phrase_count))
        build_s = time.perf_counter() - start
        runs.append(("grown catalogue", grown))
    for label, nlu in runs:
        med, best, cpu = measure(nlu, texts)
        print(f"{label:17} {nlu.matcher.phrase_count:6d} phrases: median {med:7.0f} µs/message "
              f"(best round {best:.0f}; CPU median {cpu:.0f})")
    # the learned second stage runs only where the rules are unsure (intents.learned.unsure); its share, and the
    # per-message median with the stage on and off
    for learned in (True, False):
        nlu = Understanding.from_pack(base.pack, learned=learned)
        for t in texts:
            nlu.parse(t, today=TODAY)
        nlu.learned_stats.update(parsed=0, reached=0, changed=0)
        times = []
        for t in texts:
            start = time.perf_counter()
            nlu.parse(t, today=TODAY)
            times.append((time.perf_counter() - start) * 1e6)
        st = nlu.learned_stats
        share = (f"{st['reached']}/{st['parsed']} = {st['reached'] / st['parsed']:.1%} of messages reach the learned "
                 f"stage, it changes {st['changed']}" if nlu.learned is not None else "learned stage off")
        print(f"learned stage {'on ' if learned else 'off'}: per-message median {statistics.median(times):.0f} µs, "
              f"p90 {sorted(times)[int(len(times) * 0.9)]:.0f} µs; {share}")
    if not county_only:
        print(f"building the 10k-phrase Understanding: {build_s:.2f} s; {len(texts)} messages per round, 1 thread")
    assert set(INTENTS) >= set(TEMPLATES)


if __name__ == "__main__":
    main()
