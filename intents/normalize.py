"""Text normalization with an offset map back to the original message."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property, lru_cache

import opencc

from intents.pinyin import Syllables, syllables

BOUNDARY = "|"
_PUNCT = set("，。！？、；：,.!?;:~～…—-()（）[]【】《》<>\"'“”‘’/\\\n\t")


@dataclass(frozen=True)
class Normalized:
    """Normalized text; spans[i] is the (start, end) in the original of normalized char i."""

    original: str
    text: str
    spans: tuple[tuple[int, int], ...]

    @cached_property
    def walks(self) -> dict:
        """Word-index walks of this message (prefix_tree.SharedIndex), done once whoever asks."""
        return {}

    @cached_property
    def syllables(self) -> Syllables:
        """Syllables of the normalized text, computed once for the intent matcher and the slots."""
        return syllables(self.text)

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        if end <= start:
            return (self.spans[start][0], self.spans[start][0]) if start < len(self.spans) else (len(self.original),) * 2
        return self.spans[start][0], self.spans[end - 1][1]

    def clauses(self) -> list[tuple[int, int]]:
        """Ranges of the normalized text between boundary marks."""
        out, start = [], 0
        for i, ch in enumerate(self.text + BOUNDARY):
            if ch == BOUNDARY:
                if i > start:
                    out.append((start, i))
                start = i + 1
        return out


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _t2s_keys() -> tuple[frozenset[str], tuple[str, ...]] | None:
    """The characters t2s may rewrite, and its few phrases made only of other characters (有序, 沈默);
    None when opencc's tables cannot be read (then every text goes through opencc)."""
    try:
        converter = _t2s()
        converter.convert("")    # loads the tables
        tables = [table for group in converter._dict_chain_data for _, _, table in group]
    except (AttributeError, TypeError, ValueError):
        return None
    chars = frozenset(k for table in tables for k in table if len(k) == 1)
    return chars, tuple(k for table in tables for k in table if len(k) > 1 and chars.isdisjoint(k))


def _simplified(text: str) -> str:
    """opencc t2s, skipped for a text none of whose characters or phrases its tables hold:
    most messages are already simplified and its tree walk is the normalizer's biggest cost."""
    keys = _t2s_keys()
    if keys is not None and keys[0].isdisjoint(text) and not any(p in text for p in keys[1]):
        return text
    return _t2s().convert(text)


@lru_cache(maxsize=65536)
def _fold_char(ch: str) -> str:
    ch = unicodedata.normalize("NFKC", ch).lower()
    if not ch or ch.isspace():
        return ""
    if len(ch) == 1 and (ch in _PUNCT or unicodedata.category(ch)[0] in "PSZ"):
        return BOUNDARY
    return ch


class Normalizer:
    """Width/case folding, 繁→简, punctuation to boundaries, dialect/typo table, fillers."""

    def __init__(self, replacements: dict[str, str], fillers: list[str],
                 constructions: dict[str, str] | None = None):
        table = dict(replacements)
        for f in fillers:
            table.setdefault(f, "")
        self._table = table
        keys = sorted(table, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(k) for k in keys)) if keys else None
        # grammar the word table cannot express (来得到不 → 能来吗): regex → template, after the table
        self._constructions = [(re.compile(k), v) for k, v in (constructions or {}).items()]

    def __call__(self, text: str) -> Normalized:
        chars: list[str] = []
        spans: list[tuple[int, int]] = []
        simplified = _simplified(text)
        if len(simplified) != len(text):  # phrase-level conversion changed length: go per char
            simplified = "".join(_t2s().convert(c) or c for c in text)
        for i, ch in enumerate(simplified):
            folded = _fold_char(ch)
            if ch in ".．" and 0 < i < len(simplified) - 1 and simplified[i - 1].isdigit() and simplified[i + 1].isdigit():
                folded = "."   # decimal point: 1.5万
            if not folded:
                continue
            if folded == BOUNDARY and chars and chars[-1] == BOUNDARY:
                continue
            for c in folded:
                chars.append(c)
                spans.append((i, i + 1))
        mid = "".join(chars)
        if self._pattern is None:
            return Normalized(text, mid, tuple(spans))
        # two passes: dialect words nest (搞啥子 → 搞什么 → 做什么, 摆哈龙门阵 → 摆龙门阵 → 聊天)
        for _ in range(2):
            before = mid
            mid, spans = _rewrite(mid, spans, self._pattern, lambda m: self._table[m.group()])
            if mid is before:
                break   # nothing replaced: a second pass would find nothing either
        for pattern, template in self._constructions:
            mid, spans = _rewrite(mid, spans, pattern, lambda m, t=template: m.expand(t))
        return Normalized(text, mid, tuple(spans))


def _rewrite(mid: str, spans: list[tuple[int, int]], pattern: re.Pattern, replacement
             ) -> tuple[str, list[tuple[int, int]]]:
    """Replace each match by replacement(match); the new characters span the whole match in the original."""
    if pattern.search(mid) is None:   # most texts: one scan, no iterator
        return mid, spans
    matches = [m for m in pattern.finditer(mid) if m.end() > m.start()]
    if not matches:
        return mid, spans
    out_chars: list[str] = []
    out_spans: list[tuple[int, int]] = []
    pos = 0
    for m in matches:
        out_chars.extend(mid[pos:m.start()])
        out_spans.extend(spans[pos:m.start()])
        repl = replacement(m)
        out_chars.extend(repl)
        out_spans.extend([(spans[m.start()][0], spans[m.end() - 1][1])] * len(repl))
        pos = m.end()
    out_chars.extend(mid[pos:])
    out_spans.extend(spans[pos:])
    return "".join(out_chars), out_spans


DEFAULT_REGION = "重庆市"    # the region of a pack that names none (and of no pack): the project's first county


def region_of(pack) -> str:
    """The dialect region of a pack: its PackInfo.province (重庆市, 山东省 …)."""
    info = getattr(pack, "info", None)
    return getattr(info, "province", None) or DEFAULT_REGION


def region_tables(region: str | None) -> dict:
    """intents/data/regions/<region>.yaml (replacements, constructions, crop_synonyms …), {} when absent."""
    from intents.catalogue import DATA
    import yaml
    path = DATA / "regions" / f"{region}.yaml"
    if not region or not path.exists():
        return {}
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


@lru_cache(maxsize=8)
def language_normalizer(region: str | None = DEFAULT_REGION) -> Normalizer:
    """The normalizer of intents/data/lexicon.yaml with the region's dialect laid over it
    (regions/<region>.yaml: its words replace the base's), shared by the parser and the dialog acts."""
    from intents.catalogue import load_yaml
    lex = load_yaml("lexicon.yaml")
    regional = region_tables(region)
    replacements = {**lex["replacements"], **(regional.get("replacements") or {})}
    fillers = [*lex["fillers"], *(regional.get("fillers") or [])]
    constructions = {**(lex.get("constructions") or {}), **(regional.get("constructions") or {})}
    return Normalizer(replacements, fillers, constructions)
