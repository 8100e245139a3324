"""FAQ retrieval: the best policy answer for a question, fuzzy over Chinese and pinyin variants."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pypinyin import Style, lazy_pinyin
from rapidfuzz import fuzz

from knowledge.loader import Pack
from knowledge.schema import FaqEntry

CONFIDENT = 76.0   # below this the bot says it is unsure and offers a person
_NOISE = re.compile(r"[\s，。！？、,.!?~～“”\"'（）()]+|请问|你好|我想问|问一下|一下|呢|吗|嘛|啊|哦|呀|的|了")


@dataclass(frozen=True)
class FaqAnswer:
    entry: FaqEntry
    score: float
    confident: bool


def _clean(text: str) -> str:
    return _NOISE.sub("", text.lower())


def _pinyin(text: str) -> str:
    return " ".join(lazy_pinyin(text, style=Style.NORMAL))


@lru_cache(maxsize=16)
def _index(pack: Pack) -> list[tuple[FaqEntry, str, str]]:
    rows = []
    for entry in pack.faq:
        for q in entry.questions:
            c = _clean(q)
            rows.append((entry, c, _pinyin(c)))
    return rows


def _score(query: str, query_py: str, variant: str, variant_py: str) -> float:
    raw = max(fuzz.ratio(query, variant), 0.9 * fuzz.partial_ratio(query, variant) if min(len(query), len(variant)) >= 3 else 0)
    py = fuzz.token_set_ratio(query_py, variant_py) * 0.95   # homophone typos: 代帐 ~ 代账
    return max(raw, py)


def answer(pack: Pack, question: str) -> FaqAnswer | None:
    """The best FAQ entry; `confident` is False when the match is weak (ask a person then)."""
    query = _clean(question or "")
    if not query or not pack.faq:
        return None
    query_py = _pinyin(query)
    best: tuple[float, FaqEntry] | None = None
    for entry, variant, variant_py in _index(pack):
        s = _score(query, query_py, variant, variant_py)
        if best is None or s > best[0]:
            best = (s, entry)
    if best is None:
        return None
    score, entry = best
    return FaqAnswer(entry, round(score, 1), score >= CONFIDENT)
