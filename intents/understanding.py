"""The understanding layer's entry point: Understanding.from_pack(pack).parse(text) -> Parse."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable

from intents import learned as learned_stage
from intents.catalogue import IntentEntry, build_catalogue, load_yaml
from intents.dialog_acts import classify_act
from intents.matcher import IntentMatcher
from intents.negation import NegationScopes
from intents.prefix_tree import syllable_index, text_index
from intents.normalize import BOUNDARY, Normalized, language_normalizer, region_of, region_tables
from intents.numbers import clean, cn_to_number
from intents.slots import Entity, SlotExtractor, settle

# The confidence below which the dialog should not act on a parse (open a record or a ticket, start a
# form): below it, ask which of the top two was meant (intent_ranking) or treat the message as out of scope.
# Measured: on the dev sets an actionable answer is right 99 % of the time and no labelled out-of-scope message is
# actionable; of fuzzed strings (bench/nlu_fuzz.py, 1,000 each) random letters 0, random common characters 0.4 %,
# random characters of the catalogue's own words ≈ 3 % (real words fall out by chance) are actionable.
ACT_THRESHOLD = 0.5

# The pack's own catalogue entity that a form intent serves: named in the message, the request is in scope.
_OWN_ENTITY = {"book_tuoguan": "service", "loan_products": "product"}

SLOTS = ("township", "crop", "area_mu", "amount_yuan", "service", "member_type", "phone", "date",
         "product", "credit_code", "county")


@dataclass
class Parse:
    text: str
    intent: str
    confidence: float
    ranking: list[tuple[str, float]]
    entities: list[Entity]
    slots: dict[str, Any]
    secondary_intents: list[str] = field(default_factory=list)
    explanation: list[str] = field(default_factory=list)
    # the text normalized, for parse_slot_answer to read again without normalizing again
    normalized: Normalized | None = field(default=None, repr=False, compare=False)
    # the primary intent rests on words or constructions of its own, not only on a resemblance to a phrase
    evidence: bool = True
    # the clause the primary intent was read from (normalized text), for the dialog's logs and explanations
    clause: str = ""

    @property
    def actionable(self) -> bool:
        """An in-scope request the dialog may act on: confident enough and resting on words of its own.
        Out-of-scope, courtesy, or weak evidence (a fuzzed string, a faint resemblance) is not."""
        return (self.intent not in ("out_of_scope", "greeting", "thanks_bye")
                and self.confidence >= ACT_THRESHOLD and self.evidence)

    def to_dict(self) -> dict[str, Any]:
        out = {
            "text": self.text,
            "intent": {"name": self.intent, "confidence": round(self.confidence, 4)},
            "intent_ranking": [{"name": n, "confidence": round(c, 4)} for n, c in self.ranking],
            "entities": [{"entity": e.entity, "value": e.value, "start": e.start, "end": e.end}
                         for e in self.entities],
            "slots": dict(self.slots),
            "secondary_intents": list(self.secondary_intents),
        }
        if self.explanation:
            out["explanation"] = list(self.explanation)
        return out


def _township_finder(pack: Any) -> Callable[[str], list[tuple[str, int, int]]]:
    """The knowledge package's township matcher (one matcher for the whole project)."""
    if pack is None or not getattr(pack, "townships", None):
        return lambda text: []
    try:
        from knowledge.routing import find_townships
    except ImportError:   # knowledge.routing not available: exact official names and aliases only
        names = [(a, t.name) for t in pack.townships for a in [t.name, *t.aliases] if a]
        names.sort(key=lambda x: -len(x[0]))

        def exact(text: str) -> list[tuple[str, int, int]]:
            hits = [(text.find(a), a, n) for a, n in names if a in text]
            return [(n, i, i + len(a)) for i, a, n in sorted(hits, key=lambda h: (h[0], -len(h[1])))]
        return exact

    # find_townships answers only for a written form, a homophone sharing a character with a form, or
    # typed pinyin: a text with no character of any form and no Latin letter has no township (2 in 3
    # messages), and skips its per-form search
    chars = frozenset(c for t in pack.townships for form in [t.name, *t.aliases] if form for c in form)

    def routed(text: str) -> list[tuple[str, int, int]]:
        if chars.isdisjoint(text) and not any(c.isascii() and c.isalpha() for c in text):
            return []
        return [(m.township.name, m.start, m.end) for m in find_townships(pack, text)]
    return routed


def _names(items: Any, synonyms: dict[str, list[str]], keep_unknown: bool) -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for item in items or []:
        table[item.name] = list(getattr(item, "aliases", []) or [])
    for canonical, extra in synonyms.items():
        if canonical in table:
            table[canonical].extend(extra)
        elif keep_unknown:
            table[canonical] = list(extra)
    return table


def _merged(*tables: dict[str, list[str]] | None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for table in tables:
        for canonical, words in (table or {}).items():
            out.setdefault(canonical, []).extend(words or [])
    return out


def _counties(pack: Any) -> dict[str, list[str]]:
    """County names of a multi-county pack (Township.county) and their stems (阳谷县 → 阳谷, 东昌府区 → 东昌府)."""
    out: dict[str, list[str]] = {}
    for t in getattr(pack, "townships", None) or []:
        county = getattr(t, "county", None)
        if county and county not in out:
            stem = county[:-1] if county[-1] in "县区市旗" and len(county) >= 3 else None
            out[county] = [stem] if stem else []
    return out


def _loan_words_are_evidence(catalogue: dict[str, IntentEntry], products: dict[str, list[str]]) -> None:
    """A loan product the pack names (or one of its aliases) is clear evidence of loan_products."""
    for canonical, aliases in products.items():
        for word in [canonical, *aliases]:
            if len(word) >= 3:
                catalogue["loan_products"].keywords.setdefault(word, 2.0)


def _service_words_are_evidence(catalogue: dict[str, IntentEntry], services: dict[str, list[str]],
                                service_intents: dict[str, str]) -> None:
    """Every name of a bookable service (a county's own aliases included) is a keyword of its label,
    so 全包 or 保姆式托管 counts as much as 托管 does."""
    for canonical, aliases in services.items():
        entry = catalogue[service_intents.get(canonical, "book_tuoguan")]
        for word in [canonical, *aliases]:
            entry.keywords.setdefault(word, 1.0)


def _quantities_of_produce_are_evidence(catalogue: dict[str, IntentEntry], crops: dict[str, list[str]]) -> None:
    """A weight of the county's own produce, with no verb ("4000斤稻谷", "海椒两千斤"), or produce put on a shop
    online, is produce to sell."""
    names = sorted({w for canonical, words in crops.items() for w in [canonical, *words] if len(w) >= 2}, key=len, reverse=True)
    if not names:
        return
    alt = "|".join(re.escape(n) for n in names)
    amount = "(?<![0-9.一二两三四五六七八九十几百千万])(?!一斤|1斤)[0-9.一二两三四五六七八九十几百千万]+多?(斤|吨|担|公斤|挑)"   # 一斤 is a unit price
    entry = catalogue["sell_produce"]
    # 方竹笋想上邮乐网 / 产品放到网上: produce put on a shop online is produce to sell
    online = rf"({alt}|产品|东西|货|特产|农产品|山货)[^|]{{0,6}}(上|放到|挂到|放在|发到)[^|]{{0,6}}(网|平台|商城|网店|淘宝|拼多多|抖音)"
    for pattern in (rf"{amount}(的)?({alt})", rf"({alt})[^|]{{0,3}}{amount}", online):
        if pattern not in entry.patterns:
            entry.patterns.append(pattern)


# the kinds of body one joins (入社/入股/加入…): an institution of the pack whose name ends in one of these is a
# body one joins; the short kind itself (合作社, 供销社) stands for it in a message
_JOINABLE_KINDS = ("专业合作社联合社", "专业合作社", "合作社联合社", "联合社", "供销合作社", "供销社", "股份合作社",
                   "合作社", "产业联合体", "联合体")


def _join_words_are_evidence(catalogue: dict[str, IntentEntry], pack: Any) -> None:
    """In a county without a 农合联 the pack's `join` offer names what one joins (加入农民专业合作社, 入社 a
    基层供销社): 入社/入股/加入 that body, or signing up with its service center when the offer says so,
    is join_nonghelian, decisively (a question about the body's place or a loan beside it is the side)."""
    info = getattr(pack, "info", None)
    join = getattr(info, "join", None)
    if join is None or getattr(pack, "nonghelian", None):
        return
    entry = catalogue["join_nonghelian"]
    names = [getattr(i, "name", "") for i in getattr(pack, "institutions", None) or []]
    offer = f"{getattr(join, 'name', '')} {getattr(join, 'description', '') or ''}"
    kinds = {k for k in _JOINABLE_KINDS if k in offer or any(n.endswith(k) for n in names)}
    bodies = sorted({n for n in names if n.endswith(tuple(kinds)) and 2 < len(n) <= 12} | kinds, key=len, reverse=True)
    if not bodies:
        return
    alt = "|".join(re.escape(b) for b in bodies)
    for word in ("入社", "参社", "入股", "股金", "入社条件", "怎么入社", "入社意向", join.name):
        entry.keywords[word] = max(entry.keywords.get(word, 0.0), 2.0)
    for body in bodies:
        entry.keywords.setdefault(f"加入{body}", 2.0)
        entry.keywords.setdefault(f"入{body}", 2.0)
    decisive = [
        # 入社 / 入两股 / 用土地经营权入股 / 想入，怎么入: the ask is to join
        r"(?<![不没])(入社|参社|入股|股金|入[一两二三四五六七八九十几0-9]股)",
        # 加入合作社或者联合社 / 入股基层供销社 / 组建合作社
        rf"(?<![不没])(入|加入|参加|进|入股|组建|办|领办|成立|建立|搞个|搞一个)[^|]{{0,8}}({alt})(?!服务中心|的(地址|电话))",
        # 想入, 怎么入 after the body was named in the story
        rf"({alt})[^|]{{0,30}}\|?[^|]{{0,12}}(怎么|咋|如何|想|要|能不能)(入|加入|参加)(?!口)",
    ]
    # 合作社跟服务中心签约 / 签服务协议 / 跟供销社搞联合合作: a cooperative signing up with the county's bodies
    decisive.append(r"(跟|和|与|同)[^|]{0,14}(服务中心|供销社|供销合作社)[^|]{0,6}(签|联合合作|合作)")
    # 那边有没有合作社可以入的: a body one can join, asked for
    decisive.append(rf"({alt})[^|]{{0,4}}(可以|能)(入|加入|参加)(?!口)")
    if "签约" in offer:
        # the offer is the service center's 签约服务: wanting it (想签约, 我们社想签, 签约咋个弄) is joining; what
        # 签约服务 is (签约服务是啥) stays a question about the plan
        decisive.append(r"(?<![不没])(想|要|愿意)[^|]{0,8}签(?![^|]{0,4}(托管|合同|收))")  # 签个全程托管: a booking
        decisive.append(r"签约?[^|]{0,6}(怎么|咋个?|如何)(办|弄|签|搞)")
    for pattern in decisive:
        if pattern not in entry.patterns:
            entry.patterns.append(pattern)
        entry.decisive.add(pattern)


# "what does X mean" about one of the pack's programmes (村社共建是指啥子, 三社融合是什么意思) asks for its definition
_DEFINITION_MARKERS = ["是什么意思", "什么意思", "是指", "指的是", "指什么", "是啥意思", "什么叫"]


def _programme_names(pack: Any, field: str = "programmes") -> list[str]:
    """The pack's programme (or institution) names and aliases as farmers write them: quotes and brackets
    dropped, a quoted core kept on its own (“村社共建”利益共同体 → 村社共建)."""
    out: set[str] = set()
    for prog in getattr(pack, field, None) or []:
        for name in [getattr(prog, "name", ""), *(getattr(prog, "aliases", None) or [])]:
            if not name:
                continue
            out.update(q for q in re.findall(r"[“\"]([^”\"]{2,})[”\"]", name))
            plain = re.sub(r"[（(][^）)]*[）)]", "", name)
            plain = re.sub(r"[“”\"'‘’]", "", plain)
            if 2 <= len(plain) <= 16:
                out.add(plain)
    return sorted(out, key=len, reverse=True)


class Understanding:
    """Normalize → match intent → extract slots. Build once per process with from_pack."""

    def __init__(self, pack: Any = None, extra_phrases: dict[str, list[str]] | None = None,
                 learned: bool | None = None):
        lex = load_yaml("lexicon.yaml")
        # the learned second stage (intents.learned): on unless NONGBOT_NLU_LEARNED=0 or learned=False
        self.learned = learned_stage.load_model() if (learned_stage.enabled_by_default() if learned is None
                                                      else learned) else None
        # messages parsed, and how many reached the learned stage (the rules unsure of them)
        self.learned_stats = {"parsed": 0, "reached": 0, "changed": 0}
        self.pack = pack
        self.region = region_of(pack)
        regional = region_tables(self.region)
        self.normalize = language_normalizer(self.region)
        self.negation = NegationScopes(lex["negation_cues"], lex["negation_skip"], lex["contrast_markers"])
        catalogue = build_catalogue(getattr(pack, "intents", None), extra_phrases)
        has_services = bool(getattr(pack, "services", None))
        services = _names(getattr(pack, "services", None), _merged(lex["service_synonyms"], regional.get("service_synonyms")),
                          keep_unknown=not has_services)
        _service_words_are_evidence(catalogue, services, lex.get("service_intents", {}))
        products = _names(getattr(pack, "loan_products", None), lex.get("product_synonyms", {}), keep_unknown=False)
        _loan_words_are_evidence(catalogue, products)
        _join_words_are_evidence(catalogue, pack)
        crops = _names(getattr(pack, "crops", None), _merged(lex["crop_synonyms"], regional.get("crop_synonyms")),
                       keep_unknown=True)
        _quantities_of_produce_are_evidence(catalogue, crops)
        # farm work that names its crop (栽秧 → 水稻): written only, after the crop's own names
        implied = _merged(load_yaml("crop_implies.yaml"), regional.get("crop_implies"))
        # the keywords and every lexicon's names in one index: a message is walked once for all of them
        words, sounds = text_index(), syllable_index()
        self.matcher = IntentMatcher(catalogue, self.normalize, lex["side_markers"], lex["sequence_markers"],
                                     lex.get("separable_inserts", []), words=words, sounds=sounds,
                                     ask_markers=lex.get("ask_markers", []), adverts=lex.get("adverts"),
                                     plan_questions=[*(lex.get("plan_questions") or []),
                                                     {"markers": _DEFINITION_MARKERS, "subjects": _programme_names(pack)},
                                                     # what the pack's own bodies are, how two differ (the last
                                                     # group of lexicon.yaml's markers)
                                                     {"markers": (lex.get("plan_questions") or [{}])[-1].get("markers"),
                                                      "subjects": _programme_names(pack, "institutions")}],
                                     out_of_scope_over_progress=lex.get("out_of_scope_over_progress", []),
                                     follow_up_questions=lex.get("follow_up_questions", []),
                                     story_markers=lex.get("story_markers", []),
                                     side_marker_not_before=lex.get("side_marker_not_before"),
                                     submitted_words=lex.get("submitted_words", []))
        self.slots = SlotExtractor(
            self.normalize,
            crops=crops,
            services=services,
            member_types=_merged(lex["member_types"], regional.get("member_types")),
            member_stoplist=lex["member_type_stoplist"],
            find_townships=_township_finder(pack),
            service_stoplist=lex.get("service_stoplist", []),
            crop_stoplist=lex.get("crop_stoplist", []),
            words=words, sounds=sounds,
            products=products, product_generic=lex.get("product_generic", []),
            counties=_counties(pack),
            implied_crops=implied,
        )

    @classmethod
    def from_pack(cls, pack: Any, extra_phrases: dict[str, list[str]] | None = None,
                  learned: bool | None = None) -> "Understanding":
        return cls(pack, extra_phrases, learned)

    def extract_slots(self, text: str, today: date | None = None) -> list[Entity]:
        norm = self.normalize(text)
        return self.slots.extract(norm, self.negation(norm.text), today)

    def parse(self, text: str | Normalized, today: date | None = None, explain: bool = False) -> Parse:
        """`text` may come normalized already (self.normalize's form, as the dialog asks its act first)."""
        norm = text if isinstance(text, Normalized) else self.normalize(text)
        negated = self.negation(norm.text)
        result = self.matcher.match(norm, negated)
        entities = self.slots.extract(norm, negated, today)
        entities = settle(entities, result, norm)   # the date the intent does not take
        slots: dict[str, Any] = {}
        for e in entities:
            slots.setdefault(e.entity, e.value)
        entities = [e for e in entities if slots.get(e.entity) == e.value]
        confidence = dict(result.ranking)[result.intent]
        explanation = self._explain(norm, negated, result) if explain else []
        own = [seg for seg in result.segments if seg.ask[0] == result.intent]
        evidence = any(h.intent == result.intent for seg in result.segments for h in seg.hits)
        clause = norm.text[own[0].start:own[0].end] if own else ""
        intent, ranking, secondary = result.intent, result.ranking, result.secondary
        self.learned_stats["parsed"] += 1
        if self.learned is not None:
            decided = any(seg.decided_by == intent for seg in result.segments)
            reason = (learned_stage.unsure(intent, confidence, ranking, evidence, norm.text, decided)
                      or learned_stage.oos_check(intent, confidence, norm.text))
            if reason:
                self.learned_stats["reached"] += 1
                d = learned_stage.combine(intent, confidence, ranking, evidence,
                                          self.learned.probabilities(norm.text, norm.syllables), reason, norm.text)
                if explain:
                    top = sorted(d.probabilities.items(), key=lambda kv: -kv[1])[:3]
                    explanation.append(f"learned stage ({reason}): " + ", ".join(f"{n} {p:.2f}" for n, p in top)
                                       + (f" → {d.intent}" if d.intent != intent else " (rules kept)"))
                if d.intent == "out_of_scope" and _OWN_ENTITY.get(intent) in slots:
                    # "帮我单环节": the county's own service (or loan product) named for the form that serves it;
                    # a rare word for the model, never out of scope
                    d = learned_stage.Decision(intent, confidence, ranking, evidence, reason, d.probabilities)
                if d.intent != intent:
                    self.learned_stats["changed"] += 1
                    secondary = [s for s in secondary if s != d.intent]
                    clause = ""
                intent, confidence, ranking, evidence = d.intent, d.confidence, d.ranking, d.evidence
        return Parse(norm.original, intent, confidence, ranking, entities, slots,
                     secondary, explanation, norm, evidence, clause)

    def _explain(self, norm, negated, result) -> list[str]:
        lines = [f"normalized: {norm.text}", f"pinyin: {' '.join(norm.syllables.tokens)}"]
        for s, e in negated:
            lines.append(f"negated: {norm.text[s:e]}")
        for seg in result.segments:
            lines.append(f"clause {norm.text[seg.start:seg.end]!r}{' (side ask)' if seg.side else ''}")
            for name, score in sorted(seg.scores.items(), key=lambda x: -x[1])[:3]:
                phrase = seg.best_phrase.get(name)
                kws = [f"{h.keyword}({h.via},{h.weight:g})" for h in seg.hits if h.intent == name]
                lines.append(f"  {name} {score:.2f}: phrase {phrase[0] + ' ' + format(phrase[1], '.2f') if phrase else '-'}"
                             f"; keywords {', '.join(kws) or '-'}")
        lines.append(f"primary: {result.intent}; secondary: {', '.join(result.secondary) or '-'}")
        return lines

    def parse_slot_answer(self, text: str, slot: str, today: date | None = None, parsed: Parse | None = None) -> Any:
        """Value of one expected slot from a bare answer ("四十" to 您要托管多少亩？), or None.
        `parsed`, this text's `parse` (same day), spares normalizing it and extracting the slots a second time."""
        norm = parsed.normalized if parsed is not None else None
        if slot in ("yes_no", "confirm", "bool"):
            act = classify_act(text if norm is None else norm)
            return {"affirm": True, "deny": False}.get(act or "")
        # parse() keeps the first entity of each slot, which is the one this loop would find first.
        for e in (parsed.entities if parsed is not None else self.extract_slots(text, today)):
            if e.entity == slot:
                return e.value
        if slot in ("area_mu", "amount_yuan"):
            bare = (self.normalize(text) if norm is None else norm).text.replace(BOUNDARY, "")
            for suffix in ("左右", "多", "来", "个", "亩", "块", "元", "块钱"):
                bare = bare.removesuffix(suffix)
            value = cn_to_number(bare) if bare else None
            return clean(value) if value is not None else None
        if slot == "phone":
            digits = "".join(c for c in text if c.isdigit())
            return digits if len(digits) == 11 and digits.startswith("1") else None
        return None
