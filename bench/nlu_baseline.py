"""Baseline for the matcher: char n-gram TF-IDF + logistic regression trained on the catalogue phrases."""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

from intents.catalogue import build_catalogue  # noqa: E402
from intents.evaluate import evaluate  # noqa: E402
from tests.intents.conftest import TODAY, build_understanding  # noqa: E402


def train_rows(nlu) -> tuple[list[str], list[str]]:
    catalogue = build_catalogue(getattr(nlu.pack, "intents", None))
    texts, labels = [], []
    for name, entry in catalogue.items():
        # keywords are training text too: the matcher uses them, so the baseline gets them
        for t in entry.phrases + list(entry.keywords):
            texts.append(t)
            labels.append(name)
    return texts, labels


def main(path: str = str(ROOT / "tests/data/nlu_dev.jsonl")) -> None:
    rows = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    nlu = build_understanding()
    texts, labels = train_rows(nlu)
    model = make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True),
                          LogisticRegression(C=10, max_iter=2000))
    model.fit(texts, labels)
    pred = model.predict([r["text"] for r in rows])
    by_noise: dict[str, list[int]] = {}
    for r, p in zip(rows, pred):
        by_noise.setdefault(r.get("noise", "clean"), [0, 0])
        by_noise[r.get("noise", "clean")][0] += int(p == r["intent"])
        by_noise[r.get("noise", "clean")][1] += 1
    acc = sum(int(p == r["intent"]) for r, p in zip(rows, pred)) / len(rows)
    rep = evaluate(nlu, rows, today=TODAY)
    print(f"training phrases: {len(texts)}; dev messages: {len(rows)}")
    print(f"{'noise':10} {'baseline':>9} {'matcher':>9}")
    for kind in sorted(by_noise):
        ok, n = by_noise[kind]
        mok, mn = rep.per_noise[kind]
        print(f"{kind:10} {ok / n:9.3f} {mok / mn:9.3f}")
    print(f"{'overall':10} {acc:9.3f} {rep.accuracy:9.3f}")


if __name__ == "__main__":
    main(*sys.argv[1:])
