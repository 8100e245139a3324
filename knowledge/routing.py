"""Geographic routing: recognise townships in text, their 农合联, and the nearest service centers."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

from knowledge.loader import Pack
from knowledge.schema import Nonghelian, ServiceCenter, Township

_LATIN = re.compile(r"[a-zA-Z]+")


@dataclass(frozen=True)
class TownshipMatch:
    township: Township
    start: int
    end: int
    score: float
    matched: str


@dataclass(frozen=True)
class CenterDistance:
    center: ServiceCenter
    distance_km: float | None
    offers_service: bool
    approximate: bool


@lru_cache(maxsize=8192)
def _char_pinyin(ch: str) -> str:
    """Toneless pinyin of one character (cached: the per-character table is built once)."""
    return lazy_pinyin(ch, style=Style.NORMAL)[0].lower() if "\u4e00" <= ch <= "\u9fff" else ch


@dataclass(frozen=True)
class _Form:
    township: Township
    text: str            # official name or alias as written
    pinyin: tuple[str, ...]
    exact_score: float
    needs_cue: bool      # an ordinary word (复兴, 黄金): a township only next to a place cue


# Words next to a place name that make a short stem mean the place ("住在石子", "复兴那边有没得").
# "我是金鸡的", "老家白石", "花桥近": who the speaker is or where they are near. Bare 我们/离 are
# too weak ("我们新立的规矩", "离黄金周"): with them a stem still needs a cue after it.
_CUES_BEFORE = ("在", "住", "到", "去", "从", "来自", "属于", "我是", "我们是", "我家是", "老家", "靠近", "挨到",
                "挨着")
_CUES_AFTER = ("镇", "乡", "街道", "场镇", "那边", "这边", "附近", "那里", "这里", "那儿", "有没", "有哪", "哪",
               "的人", "人", "一带", "周边", "这块", "那块", "近",
               "的服务", "的农合联", "的为农", "的综合", "农合联", "服务站", "服务中心", "服务社", "的站")
_PUNCT = " \t\n，。！？、,.!?~～：:；;"


def _has_cue(text: str, start: int, end: int) -> bool:
    if not text[:start].strip(_PUNCT) and not text[end:].strip(_PUNCT):
        return True   # the whole message is the name
    return text.startswith(_CUES_AFTER, end) or text[:start].endswith(_CUES_BEFORE)


@lru_cache(maxsize=32)
def _forms(pack: Pack) -> tuple[list[_Form], dict[str, list[_Form]], dict[str, list[_Form]]]:
    """Written forms longest first, an index by first syllable (homophones) and by joined pinyin (typed)."""
    forms: list[_Form] = []
    for t in pack.townships:
        common = set(t.common_word_aliases)
        for text in dict.fromkeys([t.name, *t.aliases]):
            if not text:
                continue
            score = 100.0 if text == t.name else 95.0
            forms.append(_Form(t, text, tuple(_char_pinyin(c) for c in text), score, text in common))
    forms.sort(key=lambda f: -len(f.text))
    by_first: dict[str, list[_Form]] = {}
    by_joined: dict[str, list[_Form]] = {}
    for f in forms:
        if len(f.text) < 2 or not all("\u4e00" <= c <= "\u9fff" for c in f.text):
            continue
        by_first.setdefault(f.pinyin[0], []).append(f)
        by_joined.setdefault("".join(f.pinyin), []).append(f)
    return forms, by_first, by_joined


def find_townships(pack: Pack, text: str) -> list[TownshipMatch]:
    """Townships named in `text` (official, alias, homophone typo, typed pinyin); best first, non-overlapping."""
    if not text or not pack.townships:
        return []
    forms, by_first, by_joined = _forms(pack)
    candidates: list[TownshipMatch] = []
    for f in forms:  # exact written forms
        start = text.find(f.text)
        while start >= 0:
            end = start + len(f.text)
            if not f.needs_cue or _has_cue(text, start, end):
                candidates.append(TownshipMatch(f.township, start, end, f.exact_score, f.text))
            start = text.find(f.text, start + 1)
    # Homophones: same toneless pinyin per syllable and at least one shared character. A short stem
    # also needs a place cue, so ordinary words that sound like a stem (三回 ~ 三汇) are not townships.
    text_py = [_char_pinyin(c) for c in text]
    for i, syllable in enumerate(text_py):
        for f in by_first.get(syllable, ()):
            n = len(f.text)
            if tuple(text_py[i:i + n]) != f.pinyin:
                continue
            window = text[i:i + n]
            same = sum(a == b for a, b in zip(window, f.text))
            if same == n or same == 0:
                continue
            if (n <= 2 or f.needs_cue) and not _has_cue(text, i, i + n):
                continue
            candidates.append(TownshipMatch(f.township, i, i + n, 80.0 + 10.0 * same / n, window))
    if text.isascii() or any(c.isascii() and c.isalpha() for c in text):
        for m in _LATIN.finditer(text):  # typed pinyin: shibao, shibaozhen
            word = m.group().lower()
            if len(word) >= 4:
                for f in by_joined.get(word, ()):
                    candidates.append(TownshipMatch(f.township, m.start(), m.end(), 88.0, m.group()))
    candidates.sort(key=lambda c: (-c.score, -(c.end - c.start), c.start))
    chosen: list[TownshipMatch] = []
    for c in candidates:
        if all(c.end <= o.start or c.start >= o.end for o in chosen):
            chosen.append(c)
    return chosen


def township_of(pack: Pack, text: str) -> Township | None:
    found = find_townships(pack, text)
    return found[0].township if found else None


def nonghelian_for(pack: Pack, township_name: str) -> Nonghelian | None:
    """The township 农合联 covering that township."""
    return next((n for n in pack.nonghelian if n.level == "township" and township_name in n.townships), None)


def industry_nonghelian(pack: Pack, industry: str) -> Nonghelian | None:
    crop = next((c.name for c in pack.crops if industry == c.name or industry in c.aliases), industry)
    return next((n for n in pack.nonghelian if n.level == "industry" and n.industry in (industry, crop)), None)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


def township_at(pack: Pack, lat: float, lon: float) -> Township | None:
    """The township whose centre is nearest to a point (a WeChat location); approximate by nature."""
    located = [t for t in pack.townships if t.lat is not None and t.lon is not None]
    return min(located, key=lambda t: haversine_km(lat, lon, t.lat, t.lon), default=None)


@dataclass(frozen=True)
class _Placed:
    center: ServiceCenter
    lat: float | None     # the center's own coordinates, else its township's
    lon: float | None
    services: frozenset[str]


@lru_cache(maxsize=32)
def _placed(pack: Pack) -> tuple[_Placed, ...]:
    """Each center with where it is, worked out once per pack rather than on every routing."""
    placed = []
    for c in pack.centers:
        clat, clon = c.lat, c.lon
        if (clat is None or clon is None) and c.township and pack.township(c.township):
            t = pack.township(c.township)
            clat, clon = t.lat, t.lon
        placed.append(_Placed(c, clat, clon, frozenset(c.services)))
    return tuple(placed)


def _service_names(service: str | None, pack: Pack) -> frozenset[str]:
    """The names a center may list a service under (as asked, and the catalogue's name); none for no service."""
    if not service:
        return frozenset()
    known = pack.service(service)
    return frozenset({service, known.name} if known else {service})


def nearest_centers(pack: Pack, *, lat: float | None = None, lon: float | None = None,
                    township: str | None = None, service: str | None = None, limit: int = 3) -> list[CenterDistance]:
    """Centers ranked by offering the service, then by distance; without coordinates, by township mapping."""
    home = None
    if township:
        home = pack.township(township) or township_of(pack, township)
    if (lat is None or lon is None) and home is not None and home.lat is not None:
        lat, lon = home.lat, home.lon
    covering = nonghelian_for(pack, home.name) if home else None
    siblings = set(covering.townships) if covering else set()
    names, placed = _service_names(service, pack), _placed(pack)
    # Rank first, build the answers for the few kept only (the sort is stable: ties stay in pack order).
    ranked: list[tuple[tuple, int, bool, float | None]] = []
    for index, p in enumerate(placed):
        offers = not names.isdisjoint(p.services)
        if lat is not None and lon is not None and p.lat is not None and p.lon is not None:
            dist = round(haversine_km(lat, lon, p.lat, p.lon), 2)
            ranked.append(((not offers, 0, dist), index, offers, dist))
        else:
            # Township mapping: same township, then same 农合联, then county-wide centers.
            c = p.center
            tier = 0 if home and c.township == home.name else 1 if c.township in siblings else 2 if c.township is None else 3
            ranked.append(((not offers, 1, tier), index, offers, None))
    ranked.sort(key=lambda r: r[0])
    return [CenterDistance(placed[index].center, dist, offers, dist is None)
            for _, index, offers, dist in ranked[:limit]]


# ---- the one routing decision: need (role) + bound QR center + township + location -> center ------------

ROLES: tuple[str, ...] = ("membership", "tuoguan", "finance", "bookkeeping", "supplies", "marketing", "recycling",
                          "auction", "consult")


@dataclass(frozen=True)
class Route:
    """Where a request goes, and why (`reason` is a key the reply templates explain):

    - `bound`: the center whose QR code the farmer scanned, and it does this;
    - `township`: a center in the farmer's township does this;
    - `coverage`: the center of the 农合联 (or group) that covers the farmer's township (附件1.1 in 忠县);
    - `nearest`: no center of the township or its group does this: the nearest one that does (`home` lacks it);
    - `county`: a county-wide center does this for everyone;
    - `default`: the pack's default center (nothing better known);
    - `none`: no center at all.
    """

    center: ServiceCenter | None
    reason: str
    township: str | None = None        # the township that decided (said, or where the location falls)
    distance_km: float | None = None   # from the township's centre or the location, when both are known
    home: ServiceCenter | None = None  # the township's own center that lacks the role (reason `nearest`/`county`)
    by_location: bool = False          # the township came from a location, not from the farmer's words


@lru_cache(maxsize=32)
def _role_index(pack: Pack) -> dict[str, frozenset[str]]:
    """Each center's roles: as the pack lists them, else derived from its services' categories."""
    out: dict[str, frozenset[str]] = {}
    for c in pack.centers:
        if c.roles:
            out[c.code] = frozenset(c.roles)
            continue
        roles = set()
        for name in c.services:
            service = pack.service(name)
            roles.add(service.role_name if service else "consult")
        out[c.code] = frozenset(roles)
    return out


def center_roles(pack: Pack, center: ServiceCenter) -> frozenset[str]:
    return _role_index(pack).get(center.code, frozenset())


def role_of(pack: Pack, need: str | None) -> str | None:
    """A role as asked, or the role of a service named as the pack names it (财务代账 → bookkeeping)."""
    if need is None or need in ROLES:
        return need
    service = pack.service(need)
    return service.role_name if service else "consult"


def group_of(pack: Pack, township: str) -> list[str]:
    """The townships served together with `township`: its 农合联's (附件1.1), else the township alone."""
    covering = nonghelian_for(pack, township)
    return list(covering.townships) if covering else [township]


def _offers(pack: Pack, center: ServiceCenter, role: str | None) -> bool:
    return role is None or role in center_roles(pack, center)


def routes(pack: Pack, role: str | None = None, *, township: str | None = None,
           location: tuple[float, float] | None = None, bound_center: str | None = None,
           limit: int = 3) -> list[Route]:
    """Centers for a need, best first, each with its reason. The farmer's township (their latest word) decides
    over a location; a location decides the township it falls in; coverage follows the 农合联 that covers the
    township, not distance; a role the township's centers lack goes to the nearest center that has it."""
    role = role_of(pack, role)
    placed = _placed(pack)
    by_location = False
    home_t = (pack.township(township) or township_of(pack, township)) if township else None
    if home_t is None and location is not None:
        home_t = township_at(pack, *location)
        by_location = home_t is not None
    name = home_t.name if home_t else None
    origin = location if (location is not None and (by_location or home_t is None)) else (
        (home_t.lat, home_t.lon) if home_t is not None and home_t.lat is not None else location)

    def dist(p: _Placed) -> float | None:
        if origin is None or p.lat is None or p.lon is None or (p.center.township is None and p.center.lat is None):
            return None
        return round(haversine_km(origin[0], origin[1], p.lat, p.lon), 2)

    out: list[Route] = []
    seen: set[str] = set()

    def add(p: _Placed, reason: str, home: ServiceCenter | None = None) -> None:
        if p.center.code not in seen and len(out) < limit:
            seen.add(p.center.code)
            out.append(Route(p.center, reason, name, dist(p), home, by_location))

    bound = pack.center(bound_center) if bound_center else None
    if bound is not None and _offers(pack, bound, role):
        # The QR center keeps the farmer unless they name a township outside its group.
        if name is None or bound.township is None or bound.township in group_of(pack, name):
            add(next(p for p in placed if p.center.code == bound.code), "bound")
    group = group_of(pack, name) if name else []
    # Single sites before planned networks (附件1.2's 综合服务社 per township are not places yet); the
    # township's own before its group's.
    local = [p for p in placed if name and p.center.township == name]
    covering = [p for p in placed if p.center.township in group and p.center.township != name]
    nearby = sorted([*local, *covering], key=lambda p: (p.center.planned_count is not None,
                                                        p.center.township != name, group.index(p.center.township)))
    for p in nearby:
        if _offers(pack, p.center, role):
            add(p, "township" if p.center.township == name else "coverage")
    home = next((p.center for p in [*local, *covering] if p.center.planned_count is None), None)
    offering = [p for p in placed if _offers(pack, p.center, role) and p.center.code not in seen]
    if origin is not None:
        near = sorted((p for p in offering if dist(p) is not None), key=lambda p: dist(p))
        for p in near:
            add(p, "nearest", home)
    for p in offering:
        if p.center.township is None:
            add(p, "county", home)
    if not out:
        default = pack.center(pack.info.default_center) if pack.info.default_center else None
        if default is not None:
            out.append(Route(default, "default", name, None, home, by_location))
        elif offering and origin is None:
            add(offering[0], "nearest", home)
    return out or [Route(None, "none", name, None, home, by_location)]


def route(pack: Pack, role: str | None = None, *, township: str | None = None,
          location: tuple[float, float] | None = None, bound_center: str | None = None) -> Route:
    """The one center a request of `role` goes to (tickets, forms, referrals, the center finder)."""
    return routes(pack, role, township=township, location=location, bound_center=bound_center, limit=1)[0]
