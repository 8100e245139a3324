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
_PER_UNIT_BEFORE = re.compile(r"(一|每)(公斤|[斤吨亩包袋头只个件箱瓶棵株])(要|得|是|就|大概|差不多)?$")
_TOGETHER_BEFORE = re.compile(r"[到在成]$")
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
        if _PER_UNIT_BEFORE.search(text, max(0, tok.start - 6), tok.start):
            continue    # 一亩要一万多 / 每斤三块: a unit price said the other way round
        if m and raw == "一" and m.group() == "块" and _TOGETHER_BEFORE.search(text, max(0, tok.start - 1), tok.start):
            continue    # 捏到一块 / 在一块: together, not one yuan
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
                 implied_crops: dict[str, list[str]] | None = None, product_generic: list[str] = ()):
        """products: the pack's loan products (name -> aliases); counties: a multi-county pack's counties;
        product_generic: words that name a kind of product (保险, 贴息, 担保, 银行贷款), not one: such a
        mention is loan evidence (the matcher's) but fills no product slot."""
        words, sounds = words or text_index(), sounds or syllable_index()
        self._generic = {normalize(w).text.replace(BOUNDARY, "") for w in product_generic}
        self._service_names = set(services)
        self._crop_names = sorted(crops, key=len, reverse=True)
        self._products = Lexicon(products, normalize, words=words, sounds=sounds) if products else None
        self._counties = Lexicon(counties, normalize, by_sound=False, words=words) if counties else None
        self._implied = Lexicon(implied_crops, normalize, crop_stoplist, by_sound=False, words=words) if implied_crops else None
        self._crops = Lexicon(crops, normalize, crop_stoplist, words=words, sounds=sounds)
        self._services = Lexicon(services, normalize, service_stoplist, words=words, sounds=sounds)
        self._members = Lexicon(member_types, normalize, member_stoplist, by_sound=False, words=words)
        self._townships = find_townships

    def _crop_own_service(self, service: str, crop: str | None) -> str:
        """One crop's own work said with the shared word (剪枝, 修剪) is the message's crop's: 花椒 + 剪枝 →
        花椒修剪 where the pack has it, not 柑橘修剪."""
        if not crop:
            return service
        for name in self._crop_names:
            if service.startswith(name) and name != crop and len(service) > len(name):
                own = crop + service[len(name):]
                return own if own in self._service_names else service
        return service

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
        found: dict[str, str] = {}
        for slot, lex in lexicons:
            hit = lex.find(norm, in_place if slot != "county" else negated, tuple(taken))
            if hit and slot == "product" and text[hit[1]:hit[2]] in self._generic:
                taken.append((hit[1], hit[2]))   # 农业保险有哪些: a kind of product, no one product named
                continue
            if hit and slot == "member_type" and _JOINED_BODY.search(text, max(0, hit[1] - 8), hit[1]):
                hit = None   # 想加入村里的农民专业合作社: the body joined, not what the writer is
            if hit and slot == "member_type" and any(a < hit[2] and hit[1] < b for a, b in taken):
                hit = None   # 惠农合作社保险, 农户小额信用贷款: a word of a product's name, not the writer
            if hit and slot == "service":
                hit = (self._crop_own_service(hit[0], found.get("crop")), hit[1], hit[2])
            if hit is None and slot == "crop" and self._implied is not None:
                hit = self._implied.find(norm, in_place, tuple(taken))
            if hit:
                add(slot, *hit)
                found[slot] = hit[0]
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


# --- slots read against the message's intent (after the matcher) ------------------------------------------
# A time said in the text is the request's date only where the intent takes one. Questions about the plan, a
# person, a center's whereabouts and small talk take no date; a weekday said to a center ("周六上不上班",
# "周末开不开门") is its opening hours, not a day booked; a time that cannot be resolved ("年底", "冬天", "明年")
# is the date of a booking or a delivery wherever it stands, but of any other request only when it is said in
# the clause that asks and is not a scene set apart ("年底了，…": the story's time, "年底有四头牛要出栏，你们收不":
# the ask is the other clause).
NO_DATE = frozenset({"policy_faq", "greeting", "thanks_bye"})
VAGUE_DATE_ANYWHERE = frozenset({"book_tuoguan", "supplies"})
_HABITUAL_DAY = re.compile(r"^(?:周|星期|礼拜)(?:[一二三四五六日天1-7]|末)$|^周末$")
_SCENE_SET = re.compile(r"^了")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def settle(entities: list[Entity], result, norm: Normalized) -> list[Entity]:
    """Drop the date entity the matched intent does not take (see above). result: the matcher's MatchResult.
    A message whose intent rests on no word of its own (a bare answer: "下个礼拜", "年底") keeps its date: the
    dialog asked for it."""
    intent, segs = result.intent, result.segments
    if not any(h.intent == intent for seg in segs for h in seg.hits):
        return entities
    own = [seg for seg in segs if seg.ask[0] == intent]
    # the clauses that ask this intent, and an asking clause with no topic of its own right after one of them
    # ("去年贷的款还不起了，能不能缓到明年")
    asking = [seg for i, seg in enumerate(segs) if seg.asks and (
        seg in own or (not seg.hits and i and segs[i - 1] in own))] or own
    spans = [(seg.start, seg.end) for seg in asking]
    return [e for e in entities if e.entity != "date" or _keeps_date(e, intent, norm, spans)]


def _keeps_date(e: Entity, intent: str, norm: Normalized, ask: list[tuple[int, int]]) -> bool:
    said = norm.original[e.start:e.end]
    if intent in NO_DATE:
        return False
    if _ISO.match(str(e.value)):
        return not (intent == "find_service_center" and _HABITUAL_DAY.match(said))
    if intent in VAGUE_DATE_ANYWHERE:
        return True
    if intent in ("find_service_center", "out_of_scope", "human_agent"):
        return False
    after = norm.original[e.end:e.end + 1]
    if _SCENE_SET.match(after):
        return False
    if not ask:
        return True
    return any(a <= e.start and e.end <= b for a, b in (norm.original_span(*span) for span in ask))
