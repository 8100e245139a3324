"""Slot extraction (township, crop, area_mu, amount_yuan, service, member_type, phone, date) with offsets."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Callable

from intents.credit_code import find_credit_code
from intents.dates import find_date
from intents.negation import inside
from intents.normalize import BOUNDARY, Normalized
from intents.numbers import CN_NUM, NumberToken, clean, digits_only, find_numbers
from intents.pinyin import same_tones, slips_into_function_word, syllables
from intents.prefix_tree import SharedIndex, syllable_index, text_index

_CODE_LIKE = re.compile(r"[0-9a-z]{15,20}(?![0-9a-z])")
_PHONE = re.compile(r"(?<![0-9])1[3-9](?:\|?[0-9]){9}")
_AREA_UNIT = re.compile(r"(?:多|来|个|把|左右)?(?:亩|母)")      # 五十来亩, 百把亩: about
_OTHER_UNIT = re.compile(r"(?:多|来|把|余)?(?:[斤吨株棵只头亩平米袋包人户个]|公斤)")
_PER_UNIT = re.compile(r"(一|每)(公斤|[斤吨亩包袋头只个件箱瓶])")
_MONEY_UNIT = re.compile(r"(?:多|来|把)?(?:万块钱|万块|万元|万|w(?![a-z])|块钱|块|元)")  # 五w as 五万


@dataclass(frozen=True)
class Entity:
    entity: str
    value: Any
    start: int          # original text
    end: int


class Lexicon:
    """Canonical value -> written names; finds the earliest non-negated mention (text, then pinyin)."""

    def __init__(self, names: dict[str, list[str]], normalize: Callable[[str], Normalized],
                 stoplist: list[str] = (), by_sound: bool = True,
                 words: SharedIndex | None = None, sounds: SharedIndex | None = None):
        """words, sounds: indexes shared with the other lexicons and the matcher (one walk for all)."""
        words = words or text_index()
        self._by_sound = by_sound
        self._entries: list[tuple[str, str, tuple[str, ...]]] = []
        for canonical, written in names.items():
            for w in dict.fromkeys([canonical, *written]):
                n = normalize(w).text.replace(BOUNDARY, "")
                if n:
                    self._entries.append((n, canonical, syllables(n).tokens))
        self._entries.sort(key=lambda e: -len(e[0]))
        self._stops = words.part()
        for stop in stoplist:
            self._stops.add(normalize(stop).text, None)
        # every name in one walk over the text (and over its syllables), not one search per name
        self._written = words.part()
        self._sounded = (sounds or syllable_index()).part()
        for order, (name, _, toks) in enumerate(self._entries):
            self._written.add(name, order)
            if len(toks) >= 2:   # homophones need two syllables or more
                self._sounded.add(toks, order)

    def find(self, norm: Normalized, negated: list[tuple[int, int]],
             taken: tuple[tuple[int, int], ...] = ()) -> tuple[str, int, int] | None:
        """taken: spans other slots already hold; a same-sound match may not reach into them
        (橘子保险 is 柑橘 + 保险, not 子保 ≈ 植保)."""
        text = norm.text
        blocked = [False] * len(text)
        for i, _, end in self._stops.find_all(norm):
            blocked[i:end] = [True] * (end - i)
        found: list[tuple[int, int, str]] = []
        # longer names first, each name's mentions left to right: a longer name blocks the ones inside it
        for order, i in sorted((order, i) for i, order, _ in self._written.find_all(norm)):
            name, canonical, _ = self._entries[order]
            end = i + len(name)
            if not any(blocked[i:end]) and not inside(negated, i, end):
                found.append((i, -len(name), canonical))
                blocked[i:end] = [True] * len(name)
        if not found and self._by_sound:   # homophones from voice input: 水到 → 水稻 (two syllables or more)
            syl = norm.syllables
            for order, k in self._first_sounded(norm):
                name, canonical, toks = self._entries[order]
                s, e = syl.spans[k][0], syl.spans[k + len(toks) - 1][1]
                # one written character must agree, else 组织 would be 竹子 and 兼职 剪枝
                written = text[s:e]
                typed = any(c.isascii() and c.isalpha() for c in written)   # typed pinyin: feifang
                if ((typed or set(written) & set(name) or same_tones(written, name)) and not inside(negated, s, e)
                        and not any(blocked[s:e]) and not slips_into_function_word(written, name)
                        and not any(a < e and s < b for a, b in taken)):
                    found.append((s, -(e - s), canonical))
        if not found:
            return None
        start, neg_len, canonical = min(found)
        return canonical, start, start - neg_len

    def _first_sounded(self, norm: Normalized) -> list[tuple[int, int]]:
        """(entry order, token index) of each name's first same-sound occurrence, in entry order."""
        first: dict[int, int] = {}
        for k, order, _ in self._sounded.find_all(norm):
            first.setdefault(order, k)
        return sorted(first.items())


# a body the writer joins or asks about is not what the writer is (加入花椒合作社, 入股土地股份合作社)
_JOINED_BODY = re.compile(r"(加入|参加|入股|入|进|组建|领办|跟|和|与)[^|我俺]{0,6}$")
# 十二亩半 / 九亩三分: half a mu, tenths of a mu (分) after the unit
_AREA_FRACTION = re.compile(r"(半)|([一二两三四五六七八九1-9])分")
_FRACTION_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"两": 2} | {str(i): i for i in range(10)}

# a figure the message changes to (从二十亩加到四十亩, 扩成五十亩, 改为三十亩): the target is the one meant
_TARGET_BEFORE = re.compile(r"(加|扩|增|改|变|涨|提|升|调|减|降|缩)[^|]{0,2}(到|成|为)$|从[^|]{1,8}到$")


def find_area(text: str, negated, numbers: list[NumberToken]) -> tuple[float, int, int] | None:
    """numbers: find_numbers(text), shared with find_amount. Of several areas, the one the message changes
    to (the target) wins; otherwise the first."""
    found: list[tuple[float, int, int]] = []
    for tok in numbers:
        m = _AREA_UNIT.match(text, tok.end)
        # 一亩多少钱 is a unit price, not the area to book
        if m and tok.value is not None and not inside(negated, tok.start, m.end()) and tok.value != 1:
            value, end = tok.value, m.end()
            frac = _AREA_FRACTION.match(text, end)
            if frac and float(value).is_integer():
                value += 0.5 if frac.group(1) else _FRACTION_DIGITS[frac.group(2)] / 10
                end = frac.end()
            hit = (clean(value), tok.start, end)
            if found and _TARGET_BEFORE.search(text, max(0, tok.start - 12), tok.start):
                return hit
            found.append(hit)
    return found[0] if found else None


def find_amount(text: str, negated, numbers: list[NumberToken]) -> tuple[float, int, int] | None:
    """The first sum, or the one the message changes to (额度从五万提到十万 → 十万)."""
    first = None
    for hit in _amounts(text, negated, numbers):
        if first is None:
            first = hit
        elif _TARGET_BEFORE.search(text, max(0, hit[1] - 12), hit[1]):
            return hit
    return first


def _amounts(text: str, negated, numbers: list[NumberToken]):
    for tok in numbers:
        if tok.value is None or inside(negated, tok.start, tok.end):
            continue
        if _AREA_UNIT.match(text, tok.end):
            continue
        m = _MONEY_UNIT.match(text, tok.end)
        raw = text[tok.start:tok.end]
        if m and _PER_UNIT.match(text, m.end()):
            continue    # 六块钱一斤 is a unit price, not the sum asked for
        if m:
            magnified = any(c in raw for c in "万w")
            value = tok.value * (10_000 if m.group().lstrip("多来把")[:1] in ("万", "w") and not magnified else 1)
            yield clean(value), tok.start, m.end()
            continue
        if any(c in raw for c in "万wk千") and not _OTHER_UNIT.match(text, tok.end):
            yield clean(tok.value), tok.start, tok.end   # 5w / 8k / 5千 with no unit after it
            continue
        if "万" in raw and not _OTHER_UNIT.match(text, tok.end):
            yield clean(tok.value), tok.start, tok.end


def find_phone(text: str, breaks: frozenset[int] = frozenset()) -> tuple[str, int, int] | None:
    """First mobile number; eleven digits must end the digit run, unless the writer left a space
    there (breaks: normalized positions after a dropped character): 13800138000 30亩."""
    digits = digits_only(text)
    for m in _PHONE.finditer(digits):
        if m.end() == len(digits) or not digits[m.end()].isdigit() or m.end() in breaks:
            return m.group().replace(BOUNDARY, ""), m.start(), m.end()
    return None


class SlotExtractor:
    def __init__(self, normalize, crops: dict[str, list[str]], services: dict[str, list[str]],
                 member_types: dict[str, list[str]], member_stoplist: list[str],
                 find_townships: Callable[[str], list[tuple[str, int, int]]],
                 service_stoplist: list[str] = (), crop_stoplist: list[str] = (),
                 words: SharedIndex | None = None, sounds: SharedIndex | None = None,
                 products: dict[str, list[str]] | None = None, counties: dict[str, list[str]] | None = None,
                 implied_crops: dict[str, list[str]] | None = None):
        """products: the pack's loan products (name -> aliases); counties: a multi-county pack's counties."""
        words, sounds = words or text_index(), sounds or syllable_index()
        self._products = Lexicon(products, normalize, words=words, sounds=sounds) if products else None
        self._counties = Lexicon(counties, normalize, by_sound=False, words=words) if counties else None
        self._implied = Lexicon(implied_crops, normalize, crop_stoplist, by_sound=False, words=words) if implied_crops else None
        self._crops = Lexicon(crops, normalize, crop_stoplist, words=words, sounds=sounds)
        self._services = Lexicon(services, normalize, service_stoplist, words=words, sounds=sounds)
        self._members = Lexicon(member_types, normalize, member_stoplist, by_sound=False, words=words)
        self._townships = find_townships

    def extract(self, norm: Normalized, negated: list[tuple[int, int]], today: date | None) -> list[Entity]:
        text = norm.text
        out: list[Entity] = []

        def add(slot: str, value: Any, start: int, end: int) -> None:
            s, e = norm.original_span(start, end)
            out.append(Entity(slot, value, s, e))

        township_span = None
        for name, s, e in self._townships(norm.original):
            # township matcher works on the original text; skip a name that is negated
            out.append(Entity("township", name, s, e))
            township_span = (s, e)
            break
        taken: list[tuple[int, int]] = []
        in_place = list(negated)
        if township_span is not None:   # 楠竹山镇 names a place, not 楠竹 (a crop) grown there
            inside_place = [i for i, (s, _) in enumerate(norm.spans) if township_span[0] <= s < township_span[1]]
            if inside_place:
                in_place.append((inside_place[0], inside_place[-1] + 1))
        lexicons = [("crop", self._crops), ("service", self._services), ("member_type", self._members)]
        if self._products is not None:
            lexicons.insert(0, ("product", self._products))   # 订单质押贷款 before 质押 could be anything else
        if self._counties is not None:
            lexicons.append(("county", self._counties))
        for slot, lex in lexicons:
            hit = lex.find(norm, in_place if slot != "county" else negated, tuple(taken))
            if hit and slot == "member_type" and _JOINED_BODY.search(text, max(0, hit[1] - 8), hit[1]):
                hit = None   # 想加入村里的农民专业合作社: the body joined, not what the writer is
            if hit is None and slot == "crop" and self._implied is not None:
                hit = self._implied.find(norm, in_place, tuple(taken))
            if hit:
                add(slot, *hit)
                taken.append((hit[1], hit[2]))
        code = find_credit_code(norm.original)
        if code:
            # its digits are no phone number, amount or area: masked in the normalized text
            out.append(Entity("credit_code", code[0], code[1], code[2]))
            inside_code = [code[1] <= s < code[2] for s, _ in norm.spans]
            text = "".join(BOUNDARY if hidden else c for c, hidden in zip(text, inside_code))
        if township_span is not None and any(c in CN_NUM for c in norm.original[township_span[0]:township_span[1]]):
            # 三元镇, 十五里园镇, 三汇: a place name's numerals are no amount, area or date
            a, b = township_span
            text = "".join(BOUNDARY if a <= s < b else c for c, (s, _) in zip(text, norm.spans))
        if len(text) >= 15:   # a code that does not check out is still no amount or phone number
            text = _CODE_LIKE.sub(lambda m: m.group() if m.group().isdigit() or m.group().isalpha()
                                  or (m.start() and text[m.start() - 1].isascii() and text[m.start() - 1].isalnum())
                                  else BOUNDARY * len(m.group()), text)
        breaks = frozenset(i for i in range(1, len(text)) if norm.spans[i][0] > norm.spans[i - 1][1])
        phone = find_phone(text, breaks)
        phone_span = (phone[1], phone[2]) if phone else (-1, -1)
        if phone:
            add("phone", *phone)
        masked = text if not phone else text[:phone_span[0]] + BOUNDARY * (phone_span[1] - phone_span[0]) + text[phone_span[1]:]
        numbers = find_numbers(masked)
        for slot, finder in (("area_mu", find_area), ("amount_yuan", find_amount)):
            hit = finder(masked, negated, numbers)
            if hit:
                add(slot, *hit)
        d = find_date(masked, today)
        if d and not inside(negated, d.start, d.end):
            value = d.value
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(value)):   # kept as said: 掰了棒子以后, not 掰了玉米以后
                s, e = norm.original_span(d.start, d.end)
                value = norm.original[s:e] or value
            add("date", value, d.start, d.end)
        out.sort(key=lambda e: (e.start, e.entity))
        return out
