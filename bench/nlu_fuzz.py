"""Fuzzed strings against the understanding layer: how many become an in-scope request the dialog would
act on (Parse.actionable: confidence ≥ ACT_THRESHOLD and words of its own), and at what confidence.
Three kinds, 1,000 each (seeded): random letters/digits/spaces, random common characters, random characters
of the catalogue's own words (the hardest: real words fall out by chance)."""
from __future__ import annotations

import random
import string
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from intents import ACT_THRESHOLD  # noqa: E402
from intents.catalogue import load_yaml  # noqa: E402
from tests.intents.conftest import TODAY, build_understanding  # noqa: E402

COMMON = ("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后"
          "多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由"
          "其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建"
          "月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知")


def fuzz(kind: int, rng: random.Random, domain: str) -> str:
    size = rng.randint(2, 14)
    pool = (string.ascii_lowercase + "  0123456789", COMMON, domain)[kind]
    return "".join(rng.choice(pool) for _ in range(size))


def run(count: int = 1000, seed: int = 1) -> dict[int, Counter]:
    nlu = build_understanding()
    catalogue = load_yaml("intents.yaml")
    domain = "".join(sorted({c for entry in catalogue.values() for kind in ("keywords", "strong", "phrases")
                             for word in (entry.get(kind) or []) for c in str(word)}))
    rng = random.Random(seed)
    out = {k: Counter() for k in range(3)}
    for kind in range(3):
        for _ in range(count):
            p = nlu.parse(fuzz(kind, rng, domain), today=TODAY)
            out[kind]["in scope"] += p.intent not in ("out_of_scope", "greeting", "thanks_bye")
            out[kind]["actionable"] += p.actionable
    return out


if __name__ == "__main__":
    names = ("random letters", "random common characters", "random catalogue characters")
    for kind, counts in run().items():
        print(f"{names[kind]:28} in scope {counts['in scope']:4d} / 1000, actionable "
              f"(confidence ≥ {ACT_THRESHOLD} with words of its own) {counts['actionable']:4d} / 1000")
