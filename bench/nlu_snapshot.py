"""Canonical JSON dump of everything Understanding answers, for proving a speed change changes no output.

    python bench/nlu_snapshot.py /tmp/before.json   # on the old code
    python bench/nlu_snapshot.py /tmp/after.json    # on the new code; cmp the two files

Texts: every message of tests/data/*.jsonl (only run, never scored: the blind set stays blind), every
phrase and word of the catalogue, every lexicon name and alias alone, in a sentence, near the end of a
text, and with one character swapped for another of the same sound (the by-sound pass).
"""
from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from intents.catalogue import build_catalogue, load_yaml  # noqa: E402
from intents.pinyin import char_syllable  # noqa: E402
from tests.intents.conftest import TODAY, build_understanding  # noqa: E402

SLOT_ANSWERS = ("area_mu", "amount_yuan", "phone", "date", "crop", "service", "township", "yes_no")


def _rows() -> list[tuple[str, date]]:
    rows = []
    for path in sorted((ROOT / "tests/data").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                rows.append((row["text"], date.fromisoformat(row["today"]) if "today" in row else TODAY))
    return rows


def _catalogue_texts(pack) -> list[str]:
    out = []
    for entry in build_catalogue(getattr(pack, "intents", None)).values():
        out += [*entry.phrases, *entry.keywords, *entry.when_negated]
    return out


def _lexicon_names(pack) -> list[str]:
    lex = load_yaml("lexicon.yaml")
    names = []
    for table in ("crop_synonyms", "service_synonyms", "member_types"):
        for canonical, aliases in lex[table].items():
            names += [canonical, *aliases]
    for kind in ("crops", "services", "townships"):
        for item in getattr(pack, kind, None) or []:
            names += [item.name, *(getattr(item, "aliases", None) or [])]
    names += [*lex["crop_stoplist"], *lex["service_stoplist"], *lex["member_type_stoplist"]]
    return list(dict.fromkeys(names))


def _homophones(names: list[str], corpus: str) -> list[str]:
    """Each name with one character replaced by another character of the same folded sound."""
    by_sound: dict[str, list[str]] = {}
    for ch in sorted(set(corpus)):
        if "\u3400" <= ch <= "\u9fff":
            by_sound.setdefault(char_syllable(ch), []).append(ch)
    out = []
    for name in names:
        for k, ch in enumerate(name):
            if not "\u3400" <= ch <= "\u9fff":
                continue
            others = [c for c in by_sound.get(char_syllable(ch), []) if c != ch]
            if others:
                out.append(name[:k] + others[(len(name) + k) % len(others)] + name[k + 1:])
    return out


def _texts(pack, rows) -> list[tuple[str, date]]:
    names = _lexicon_names(pack)
    sounds = _homophones(names, "".join(t for t, _ in rows) + "".join(names))
    made = []
    for name in names + sounds:
        made += [name, f"我想问{name}托管五十亩", f"明天帮我约一下{name}", f"不要{name}，要别的",
                 f"我家种了三十亩地，想问下{name}"]
    return rows + [(t, TODAY) for t in _catalogue_texts(pack) + made] + [(t, None) for t in made[:200]]


def _entities(entities) -> list:
    return [[e.entity, e.value, e.start, e.end] for e in entities]


def dump(nlu, texts) -> list:
    out = []
    for text, today in texts:
        p = nlu.parse(text, today=today, explain=True)
        out.append({
            "text": text, "today": today.isoformat() if today else None,
            "intent": p.intent, "confidence": round(p.confidence, 6),
            "ranking": [[n, round(c, 6)] for n, c in p.ranking],
            "entities": _entities(p.entities), "slots": p.slots,
            "secondary": p.secondary_intents, "explanation": p.explanation,
            "plain": nlu.parse(text, today=today).to_dict(),
            "extract_slots": _entities(nlu.extract_slots(text, today)),
            "slot_answers": {s: nlu.parse_slot_answer(text, s, today) for s in SLOT_ANSWERS},
        })
    return out


def main() -> None:
    if os.environ.get("PYTHONHASHSEED") != "0":   # the explanation lists score ties in set order
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, "PYTHONHASHSEED": "0"})
    nlu = build_understanding()
    texts = _texts(nlu.pack, _rows())
    result = dump(nlu, texts)
    Path(sys.argv[1]).write_text(json.dumps(result, ensure_ascii=False, sort_keys=True, indent=0), encoding="utf-8")
    print(f"{len(result)} texts → {sys.argv[1]}")


if __name__ == "__main__":
    main()
