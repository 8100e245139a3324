"""Per-character pinyin table and syllable tokens for homophone-tolerant matching."""
from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from functools import cached_property, lru_cache

from pypinyin import Style, lazy_pinyin

_INITIAL_FOLD = (("zh", "z"), ("ch", "c"), ("sh", "s"))
_ASCII_RUN = re.compile(r"[a-z]+|[0-9]+(?:\.[0-9]+)?")

# a voice or typing slip turns a content word into another content word, not into 把/的/了:
# 把田 is never 耙田, 家里田 never 犁田, 橘子保险 never 植保
FUNCTION_CHARS = frozenset("把的了是在有我你他她它们这那就都也还被给跟和与吗呢吧么个里上下头子")


def slips_into_function_word(written: str, word: str) -> bool:
    """True when a same-sound match would need a function character where the word has another."""
    return any(a != b and a in FUNCTION_CHARS for a, b in zip(written, word))


def fold(syllable: str) -> str:
    """Southwestern-Mandarin folding: zh/ch/sh→z/c/s, -ing/-eng→-in/-en, n/l merged, hu→fu (客户 heard for 客服)."""
    for a, b in _INITIAL_FOLD:
        if syllable.startswith(a):
            syllable = b + syllable[len(a):]
            break
    if syllable.startswith("l"):
        syllable = "n" + syllable[1:]
    if syllable.endswith("ng") and len(syllable) > 2 and syllable[-3] in "ie":
        syllable = syllable[:-1]
    if syllable == "hu":
        syllable = "fu"
    return syllable


@lru_cache(maxsize=65536)
def char_syllable(ch: str) -> str:
    """Folded toneless pinyin of one CJK character (memoized: the table builds itself once)."""
    return fold(lazy_pinyin(ch, style=Style.NORMAL)[0])


@lru_cache(maxsize=1)
def _syllable_set() -> frozenset[str]:
    initials = ["", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q", "x",
                "zh", "ch", "sh", "r", "z", "c", "s", "y", "w"]
    finals = ["a", "o", "e", "i", "u", "v", "ai", "ei", "ao", "ou", "an", "en", "ang", "eng", "ong",
              "ia", "ie", "iao", "iu", "ian", "in", "iang", "ing", "iong", "ua", "uo", "uai", "ui",
              "uan", "un", "uang", "ve", "ue", "er"]
    return frozenset(i + f for i in initials for f in finals if len(i + f) <= 6)


def segment_ascii(run: str) -> list[tuple[str, int, int]]:
    """Split typed pinyin into syllables: fewest pieces, stray letters cost most (xianzai, zhuanrengong)."""
    table, n = _syllable_set(), len(run)
    best: list[tuple[int, int] | None] = [None] * (n + 1)  # (cost, previous cut)
    best[0] = (0, 0)
    for i in range(n):
        if best[i] is None:
            continue
        for size in range(1, min(6, n - i) + 1):
            piece = run[i:i + size]
            cost = best[i][0] + (1 if piece in table else 10)
            if best[i + size] is None or cost < best[i + size][0]:
                best[i + size] = (cost, i)
    cuts, j = [], n
    while j > 0:
        i = best[j][1]
        cuts.append((run[i:j], i, j))
        j = i
    return cuts[::-1]


@dataclass(frozen=True)
class Syllables:
    """Syllable tokens of a normalized text; spans index the normalized text."""

    tokens: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]

    @property
    def joined(self) -> str:
        return "".join(self.tokens)

    @cached_property
    def _starts(self) -> list[int]:
        return [s for s, _ in self.spans]

    def joined_between(self, start: int, end: int) -> str:
        """Joined tokens of the syllables that begin in [start, end) of the text."""
        return "".join(self.tokens[bisect_left(self._starts, start):bisect_left(self._starts, end)])


def syllables(text: str) -> Syllables:
    tokens: list[str] = []
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if "\u3400" <= ch <= "\u9fff":
            tokens.append(char_syllable(ch))
            spans.append((i, i + 1))
            i += 1
            continue
        m = _ASCII_RUN.match(text, i)
        if m:
            run = m.group()
            if run[0].isdigit():
                tokens.append(run)
                spans.append((i, m.end()))
            else:
                for syl, s, e in segment_ascii(run):
                    tokens.append(fold(syl))
                    spans.append((i + s, i + e))
            i = m.end()
            continue
        i += 1  # boundary marks and symbols carry no sound
    return Syllables(tuple(tokens), tuple(spans))


def pinyin_key(text: str) -> str:
    """The joined folded pinyin string used for fuzzy comparison."""
    return syllables(text).joined


@lru_cache(maxsize=4096)
def _toned(text: str) -> tuple[str, ...]:
    return tuple(fold(s.rstrip("12345")) + s[-1] if s[-1:].isdigit() else fold(s) + "5"
                 for s in lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True))


def same_tones(written: str, word: str) -> bool:
    """The written characters sound like the word tone for tone (红杆 is not 烘干: hóng/hōng; 带丈 is 代账)."""
    return _toned(written) == _toned(word)
