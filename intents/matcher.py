"""Intent scoring: fuzzy pinyin phrase similarity + keyword evidence, per clause, with negation."""
from __future__ import annotations

import math
import re
from operator import itemgetter
from dataclasses import dataclass, field
from typing import NamedTuple

from rapidfuzz import fuzz, process

from intents.catalogue import COURTESY, INTENTS, IntentEntry
from intents.negation import inside
from intents.normalize import BOUNDARY, Normalized, Normalizer
from intents.pinyin import Syllables, same_tones, slips_into_function_word, syllables
from intents.prefix_tree import SharedIndex, syllable_index, text_index

ACCEPT = 0.5            # raw score a label needs to be the answer; below it → out_of_scope
OUT_OF_SCOPE_FLOOR = 0.45
TEMPERATURE = 0.25      # softmax temperature turning raw scores into confidences
SIDE_FACTOR = 0.7       # asks introduced by 顺便问下/另外 rank below the main ask
PRIORITY = {"check_status": 1.3, "human_agent": 1.1, "out_of_scope": 1.15}   # INTENTS.md rules 2, 9, spam: these win ties
PHRASE_LIMIT = 40
_NOT_A_NEED = COURTESY | {"find_service_center", "out_of_scope", "check_status", "human_agent", "policy_faq"}
COURTESY_MARGIN = 0.5   # a clear 你好/谢谢 beats a faint hint of a request
LONG_MESSAGE = 30       # characters of a two-clause message told as a story before its ask
COURTESY_CAP = 0.3      # other labels' score in a clause that asks what this account is


class KeywordHit(NamedTuple):
    """A named tuple, not a frozen dataclass: a message makes a handful, and building one was a visible cost."""
    intent: str
    keyword: str
    weight: float
    start: int          # normalized text
    end: int
    via: str            # "text" or "pinyin"


@dataclass
class Segment:
    start: int
    end: int
    side: bool
    scores: dict[str, float] = field(default_factory=dict)
    best_phrase: dict[str, tuple[str, float]] = field(default_factory=dict)
    hits: list[KeywordHit] = field(default_factory=list)
    decided_by: str | None = None   # the intent of a decisive word in this clause
    ask: tuple[str, float] = ("out_of_scope", 0.0)   # top(COURTESY) of the final scores, asked often
    plan_question: bool = False     # "is it true / how many" about the plan: the message's ask
    decided_by_word: bool = False   # decided by a decisive word (not a pattern)
    asks: bool = False          # the clause asks (question, want, request) rather than tells a story
    follows_up: bool = False    # asks only "what good / where / how much" about the topic of the clause before it
    told: bool = False          # goes on with what was heard (听说…有个服务社，能缴电费还能买化肥): description

    def top(self, exclude: frozenset[str] = frozenset()) -> tuple[str, float]:
        cands = [(s, n) for n, s in self.scores.items() if n not in exclude]
        if not cands:
            return "out_of_scope", 0.0
        s, n = max(cands)
        return n, s


@dataclass
class MatchResult:
    intent: str
    ranking: list[tuple[str, float]]
    secondary: list[str]
    segments: list[Segment]
    scores: dict[str, float]


def _sound_weight(written: str, keyword: str, weight: float) -> float:
    """Weight of a same-sound hit: typed pinyin counts fully; a two-syllable homophone needs one
    character in common (一包 is not 医保) and with one wrong half counts half (要卖 ≠ 要买); three
    syllables or more rarely collide by chance, so voice input's 同防同治 still counts for 统防统治."""
    if any(c.isascii() and c.isalpha() for c in written):
        return weight
    if slips_into_function_word(written, keyword):
        return 0.0
    shared = sum(1 for a, b in zip(written, keyword) if a == b)
    if shared == 0:
        # three syllables rarely collide by chance; two do (带宽/贷款, 花费/化肥, 一包/医保), but those real-word
        # collisions differ in tone: a two-syllable homophone counts when it agrees tone for tone (带丈 → 代账)
        return weight * 0.75 if len(keyword) >= 3 or same_tones(written, keyword) else 0.0
    return weight * 0.5 if len(keyword) == 2 and shared < 2 else weight


_CJK = re.compile(r"[\u3400-\u9fff]")


def _latin_at(text: str, i: int) -> bool:
    return 0 <= i < len(text) and text[i].isascii() and text[i].isalpha()


def _inside_ascii_run(text: str, i: int) -> bool:
    """A cut at i would split typed pinyin or a number (never with the Chinese clause markers)."""
    return 0 < i < len(text) and all(c.isascii() and (c.isalnum() or c == ".") for c in text[i - 1:i + 1])


_PLACE_ASK = re.compile("哪|电话|地址|位置|几点|怎么走|路线|开门|上班|远不远")
_WHERE_ASK = re.compile("哪|位置|地方")
_ECHO_ASK = re.compile("帮(?:我|我们|忙)?(?:把它|把这个)?([\u4e00-\u9fff])(?:一下|下|了)?(?:不|吗|嘛|没有|么)?$")
_QUESTION_ONLY = re.compile("吗|么|哪|什么|啥|多少|好多|几|怎么|咋|能不能|可不可以|是不是|有没有|行不行|要不要|[^|]不(?=\\||$)|没有(?=\\||$)")
_HEARSAY = re.compile("听[^|]{0,6}说|人家说|别人说|有人说")
_QUESTION_FORM = re.compile("吗|嘛|么|呢|哪|什么|啥|多少|好多|几|怎么|咋|能不能|可不可以|是不是|有没有|行不行|要不要|想|要|帮|请"
                            "|[^|]不(?=\\||$)|没有(?=\\||$)")


class IntentMatcher:
    def __init__(self, catalogue: dict[str, IntentEntry], normalizer: Normalizer,
                 side_markers: list[str], sequence_markers: list[str], separable_inserts: list[str] = (),
                 words: SharedIndex | None = None, sounds: SharedIndex | None = None,
                 ask_markers: list[str] = (), adverts: dict | None = None, plan_questions: dict | None = None,
                 out_of_scope_over_progress: list[str] = (), follow_up_questions: list[str] = (),
                 story_markers: list[str] = (), side_marker_not_before: dict | None = None,
                 submitted_words: list[str] = ()):
        """words, sounds: indexes shared with the slot lexicons (one walk of a message for all).
        ask_markers: regular expressions of a clause that asks; adverts: links/handles/phone/words of spam;
        plan_questions: markers and subjects of "is it true / how many / what is" about the plan;
        follow_up_questions: question words that name no topic (有什么好处, 在哪个位置, 怎么收费)."""
        self._normalize = normalizer
        self._ask_re = re.compile("|".join(f"(?:{m})" for m in ask_markers)) if ask_markers else None
        self._story_re = re.compile("|".join(f"(?:{m})" for m in story_markers)) if story_markers else None
        self._side_not_before = {m: tuple(v) for m, v in (side_marker_not_before or {}).items()}
        adverts = adverts or {}
        contact = [*adverts.get("links", []), *adverts.get("handles", [])]
        self._contact_re = re.compile("|".join(f"(?:{m})" for m in contact)) if contact else None
        self._phone_re = re.compile(adverts["phone"]) if adverts.get("phone") else None
        def union(words) -> re.Pattern | None:   # one search for a list of words (longest first)
            forms = sorted({normalizer(w).text for w in words or []} - {""}, key=len, reverse=True)
            return re.compile("|".join(re.escape(f) for f in forms)) if forms else None
        self._advert_words = union(adverts.get("words"))
        self._advert_strong = union(adverts.get("strong_words"))
        groups = [plan_questions] if isinstance(plan_questions, dict) else list(plan_questions or [])
        # (markers, subjects) per group: a marker in the clause and a subject of the same group in the message
        self._plan_groups = [(union(g.get("markers")), union(g.get("subjects"))) for g in groups]
        self._plan_groups = [(m, sub) for m, sub in self._plan_groups if m is not None and sub is not None]
        self._oos_over_progress = union(out_of_scope_over_progress)
        self._follow_up = frozenset(normalizer(w).text for w in follow_up_questions or [])
        self._follow_up_re = union(follow_up_questions)
        self._submitted = union(submitted_words)
        self._choices: list[str] = []
        self._choice_intent: list[str] = []
        self._choice_text: list[str] = []
        for name, entry in catalogue.items():
            for phrase in entry.phrases:
                norm = normalizer(phrase).text.replace(BOUNDARY, "")
                key = syllables(norm).joined
                if key:
                    self._choices.append(key)
                    self._choice_intent.append(name)
                    self._choice_text.append(phrase)
        # written keywords, (catalogue order, word, intent, weight, typed Latin word); single characters: text only
        self._written = (words or text_index()).part()
        # same-sound keywords of two syllables or more, (order, word, intent, weight)
        self._sounded = (sounds or syllable_index()).part()
        order = 0
        self._negated_keywords: list[tuple[str, str, float]] = []        # evidence only inside a negation
        self._separable: dict[tuple[str, str], list[tuple[str, str, float]]] = {}   # 报税 → 报一下税
        inserts = sorted(separable_inserts, key=len, reverse=True)
        self._insert_re = re.compile("|".join(re.escape(w) for w in inserts)) if inserts else None
        # searched one by one: each gets re's literal-prefix scan, which their union (several start with
        # a lookbehind) loses, so the union as a "matches none" filter cost twice the 25 searches
        self._patterns: list[tuple[re.Pattern, str, str]] = []
        self._decisive: set[tuple[str, str]] = {(name, form) for name, entry in catalogue.items()
                                                 for kw in entry.decisive
                                                 for form in (kw, normalizer(kw).text.replace(BOUNDARY, ""))}
        for name, entry in catalogue.items():
            for kw, weight in entry.keywords.items():
                # a longer word weighs at least what the words inside it weigh (订单质押 ⊃ 质押, 入会条件 ⊃ 入会)
                weight = max([weight] + [w for k, w in entry.keywords.items() if len(k) < len(kw) and k in kw])
                norm = normalizer(kw).text.replace(BOUNDARY, "")
                w = weight * (0.8 if len(norm) == 1 else 1.0)
                self._written.add(norm, (order, norm, name, w, norm.isascii() and norm.isalpha()))
                if len(norm) == 2 and all(_CJK.match(c) for c in norm):
                    self._separable.setdefault((norm[0], norm[1]), []).append((norm, name, w))
                syl = syllables(norm).tokens
                if len(syl) >= 2:
                    self._sounded.add(syl, (order, kw, name, w))
                order += 1
            for pattern in entry.patterns:
                self._patterns.append((re.compile(pattern), pattern, name))
            for kw, weight in entry.when_negated.items():
                self._negated_keywords.append((normalizer(kw).text.replace(BOUNDARY, ""), name, weight))
        markers = sorted([(m, True) for m in side_markers] + [(m, False) for m in sequence_markers],
                         key=lambda x: -len(x[0]))
        self._side = {m: side for m, side in markers}
        self._marker_re = re.compile("|".join(re.escape(m) for m, _ in markers)) if markers else None

    def is_advert(self, text: str) -> bool:
        """A link or messaging handle; a phone number beside an advert word; two strong advert words."""
        if self._contact_re is not None and self._contact_re.search(text):
            return True
        if (self._phone_re is not None and self._advert_words is not None and self._advert_words.search(text)
                and self._phone_re.search(text)):
            return True
        return self._advert_strong is not None and len(set(self._advert_strong.findall(text))) >= 2

    def _asks(self, norm: Normalized, seg: Segment) -> bool:
        clause = norm.text[seg.start:seg.end]
        if self._story_re is not None and self._story_re.search(clause):
            return False    # what usually happens, what someone said: the story, not the ask
        if self._ask_re is not None and self._ask_re.search(clause):
            return True
        # a question mark in the original right after the clause
        end = norm.spans[seg.end - 1][1] if seg.end - 1 < len(norm.spans) else len(norm.original)
        return norm.original[end:end + 1] in ("?", "？")

    @property
    def phrase_count(self) -> int:
        return len(self._choices)

    def segments(self, norm: Normalized) -> list[Segment]:
        text = norm.text
        cuts: list[tuple[int, bool]] = [(0, False)]
        if self._marker_re:
            for m in self._marker_re.finditer(text):
                if text[m.end():m.end() + 1] and text[m.end()] in self._side_not_before.get(m.group(), ()):
                    continue    # 还有人指导: "there is also", no side ask
                if m.start() > 0:
                    cuts.append((m.start(), self._side[m.group()]))
                else:
                    cuts[0] = (0, self._side[m.group()])
        segs = []
        for k, (start, side) in enumerate(cuts):
            end = cuts[k + 1][0] if k + 1 < len(cuts) else len(text)
            # punctuation also separates asks; a clause after a side marker stays side until the next marker
            sub_start = start
            for i in range(start, end + 1):
                if i == end or text[i] == BOUNDARY:
                    if i > sub_start:
                        segs.append(Segment(sub_start, i, side))
                    sub_start = i + 1
        return segs

    def keyword_hits(self, norm: Normalized, negated: list[tuple[int, int]]) -> list[KeywordHit]:
        text, syl = norm.text, norm.syllables
        ranked: list[tuple[int, KeywordHit]] = []   # (keyword's catalogue order, hit): ties keep that order
        for i, (order, kw, name, w, latin), _ in self._written.find_all(norm):
            # typed words stand alone: the hi inside nonghelianshishenme is no greeting
            if not latin or not (_latin_at(text, i - 1) or _latin_at(text, i + len(kw))):
                ranked.append((order, KeywordHit(name, kw, w, i, i + len(kw), "text")))
        ranked.sort(key=lambda x: x[0])
        hits = [h for _, h in ranked]
        if self._insert_re and self._separable:
            for m in self._insert_re.finditer(text):
                a, b = m.start() - 1, m.end()
                if a >= 0 and b < len(text):
                    for kw, name, w in self._separable.get((text[a], text[b]), ()):
                        hits.append(KeywordHit(name, kw, w, a, b + 1, "text"))
        # by position, then catalogue order among the words starting there: the sort below keeps it for equal hits
        for i, (_, kw, name, w), j in sorted(self._sounded.find_all(norm)):
            start, end = syl.spans[i][0], syl.spans[j - 1][1]
            weight = _sound_weight(text[start:end], kw, w)
            if weight:
                hits.append(KeywordHit(name, kw, weight, start, end, "pinyin"))
        # written evidence before same-sound evidence, longest first; a word counts once (收购发票 is not also 收购)
        hits.sort(key=lambda h: (h.via != "text", -(h.end - h.start), -h.weight))
        taken: list[KeywordHit] = []
        used = [False] * len(text)
        for h in hits:
            if any(used[h.start:h.end]):
                continue
            if inside(negated, h.start, h.end):
                continue
            for j in range(h.start, h.end):
                used[j] = True
            taken.append(h)
        for regex, pattern, name in self._patterns:   # constructions, counted beside the words they span
            first = regex.search(text)     # most texts match none: one search each, an iterator only on a match
            if first is None:
                continue
            for m in regex.finditer(text, first.start()):
                if not inside(negated, m.start(), m.end()):
                    weight = 2.0 if (name, pattern) in self._decisive else 1.0
                    taken.append(KeywordHit(name, pattern, weight, m.start(), m.end(), "pattern"))
        if negated:   # 我不想跟机器人说话: the refusal itself is the ask
            for kw, name, w in self._negated_keywords:
                i = text.find(kw)
                while i >= 0:
                    if inside(negated, i, i + len(kw)):
                        taken.append(KeywordHit(name, kw, w, i, i + len(kw), "negated"))
                    i = text.find(kw, i + 1)
        return taken

    def _phrase_scores(self, key: str, seg: Segment) -> None:
        if not key:
            return
        for choice, score, idx in process.extract(key, self._choices, scorer=fuzz.ratio,
                                                  limit=PHRASE_LIMIT, score_cutoff=40):
            name = self._choice_intent[idx]
            if name not in seg.best_phrase:   # extract ranks by score: a label's first phrase is its best
                seg.best_phrase[name] = (self._choice_text[idx], score / 100)

    @staticmethod
    def _positive_key(text: str, syl: Syllables, negated: list[tuple[int, int]], seg: Segment) -> str:
        """Joined pinyin of the clause without its negated words, the key compared with the phrases."""
        if not any(s < seg.end and seg.start < e for s, e in negated) and not (
                _inside_ascii_run(text, seg.start) or _inside_ascii_run(text, seg.end)):
            # the clause's syllables are the message's syllables inside it
            return syl.joined_between(seg.start, seg.end)
        chars = list(text[seg.start:seg.end])
        for s, e in negated:
            for i in range(max(s, seg.start), min(e, seg.end)):
                chars[i - seg.start] = ""
        return syllables("".join(chars)).joined

    def match(self, norm: Normalized, negated: list[tuple[int, int]]) -> MatchResult:
        text = norm.text
        syl_all = norm.syllables
        hits = self.keyword_hits(norm, negated)
        segs = self.segments(norm)
        for seg in segs:
            self._phrase_scores(self._positive_key(text, syl_all, negated, seg), seg)
            seg.hits = [h for h in hits if seg.start <= h.start < seg.end]
            kw: dict[str, float] = {}
            counted: set[tuple[str, str]] = set()
            for h in seg.hits:
                if (h.intent, h.keyword) in counted:   # 赔不赔 / 买不买: a repeated word is one piece of evidence
                    continue
                counted.add((h.intent, h.keyword))
                kw[h.intent] = kw.get(h.intent, 0.0) + h.weight
            for name in set(kw) | set(seg.best_phrase):
                sim = seg.best_phrase.get(name, ("", 0.0))[1]
                raw = max(0.0, (sim - 0.4) / 0.6) + 0.7 * min(kw.get(name, 0.0), 2.5)
                # the tie-winning rules need their own words: a question ending in 没有 is not progress
                priority = PRIORITY.get(name, 1.0) if kw.get(name) else 1.0
                seg.scores[name] = raw * priority
            named = [n for n in kw if n not in _NOT_A_NEED and kw[n] >= 1.0]
            if "find_service_center" in seg.scores and named:
                # INTENTS.md rule 1: a named need beats "where" (石宝服务社有没有尿素卖 → supplies)
                need = max(named, key=lambda n: seg.scores[n])
                seg.scores[need] = max(seg.scores[need], seg.scores["find_service_center"] + 0.05)
            decisive_hits = [h for h in seg.hits if (h.intent, h.keyword) in self._decisive]
            decisive = [h.intent for h in decisive_hits]
            seg.decided_by = decisive[0] if decisive else None
            seg.decided_by_word = bool(decisive_hits) and decisive_hits[0].via != "pattern"
            if decisive and decisive[0] in COURTESY:
                # "你们是干什么的" asks what this account is: the clause is small talk, not a policy question
                for name in seg.scores:
                    seg.scores[name] = min(seg.scores[name], COURTESY_CAP)
                seg.scores[decisive[0]] = max(seg.scores.get(decisive[0], 0.0), 1.4)
            elif decisive and seg.scores:
                # INTENTS.md rules 5, 6: tax policy or "is it compulsory" is policy whatever it is about
                seg.scores[decisive[0]] = max(seg.scores.values()) + 0.1
            clause = text[seg.start:seg.end]
            # a named body of the plan in the clause itself (综合服务平台是干啥的) is no "what is this account"
            if ((seg.decided_by is None and any(m.search(clause) and sub.search(text) for m, sub in self._plan_groups))
                    or (seg.decided_by == "greeting"
                        and any(m.search(clause) and sub.search(clause) for m, sub in self._plan_groups))):
                # "is it true / how many / the target" about the plan: policy, whatever the clause names
                seg.scores["policy_faq"] = max([*seg.scores.values(), ACCEPT]) + 0.1
                seg.decided_by = "policy_faq"
                seg.plan_question = True
            other_topic = self._oos_over_progress is not None and self._oos_over_progress.search(clause) is not None
            if other_topic and seg.decided_by is None and kw.get("check_status", 0.0) >= 1.0:
                # 工钱到现在都没给 / 快递一直没到: another topic's progress is not ours
                seg.scores["out_of_scope"] = max([*seg.scores.values(), ACCEPT]) + 0.1
                seg.decided_by = "out_of_scope_topic"
            elif kw.get("check_status", 0.0) >= 1.0 and seg.scores:
                # INTENTS.md rule 2: progress of an existing request wins whatever its topic
                seg.scores["check_status"] = max(seg.scores.values()) + 0.1
            seg.ask = seg.top(COURTESY)
            seg.asks = self._asks(norm, seg)
        for prev, seg in zip(segs, segs[1:]):
            # "听人家说镇上有个服务中心，可以买农资也可以咨询": what was heard goes on in the next clause until
            # a question is put; that clause tells, it does not ask
            if (_HEARSAY.search(text, prev.start, prev.end)
                    and not _QUESTION_FORM.search(text, seg.start, seg.end)):
                seg.asks = False
                seg.told = True
        if self._follow_up and len(segs) > 1:
            self._follow_topics(text, segs)
        if any(not seg.side and seg.ask[1] >= ACCEPT for seg in segs):
            for seg in segs:   # asks after 顺便/对了 rank below the main ask …
                if seg.side:
                    seg.scores = {n: sc * SIDE_FACTOR for n, sc in seg.scores.items()}
                    seg.ask = seg.top(COURTESY)
        else:                  # … unless there is none: "谢谢，对了，收割机下周能来吗" asks for the harvester
            for seg in segs:
                seg.side = False
        overall: dict[str, float] = {n: 0.0 for n in INTENTS}
        for seg in segs:
            for name, s in seg.scores.items():
                overall[name] = max(overall[name], s)
        overall["out_of_scope"] = max(overall["out_of_scope"], OUT_OF_SCOPE_FLOOR)
        spam = (any(h.intent == "out_of_scope" and (h.intent, h.keyword) in self._decisive for h in hits)
                or self.is_advert(text))
        # spam anywhere makes the whole message spam: "恭喜获得无息贷款资格，点击领取" offers no loan
        primary = "out_of_scope" if spam else self._primary(segs, overall, text)
        secondary: list[str] = []

        def noted(name: str, s: float) -> bool:
            return s >= ACCEPT and name not in (primary, "out_of_scope") and name not in secondary
        for seg in segs:
            name, s = seg.ask   # the clause's ask, else its courtesy
            if not noted(name, s):
                name, s = seg.top()
            if noted(name, s):
                secondary.append(name)
        for name in COURTESY:   # courtesy wrapped around a request is noted, never primary
            if name != primary and name not in secondary and any(h.intent == name for h in hits):
                secondary.append(name)
        overall[primary] = max(overall.values()) + 1e-6
        exps = {n: math.exp(s / TEMPERATURE) for n, s in overall.items()}
        total = sum(exps.values())
        ranking = [(n, e / total) for n, e in exps.items()]
        ranking.sort(key=itemgetter(1), reverse=True)   # stable: ties keep the labels' order
        return MatchResult(primary, ranking, secondary, segs, overall)

    def _follow_topics(self, text: str, segs: list[Segment]) -> None:
        """A clause that asks with question words only ("对我们种地的有啥好处", "请问具体在哪个位置", "要出好多
        钱") asks about the topic the clauses before it name: the strongest one resting on words of its own.
        Another topic's clause (快递一直没到) ends the topics before it."""
        topics: list[Segment] = []
        for seg in segs:
            if seg.side:
                continue
            clause = text[seg.start:seg.end]
            follow = self._follow_up_re.search(clause)
            # words of its own: a label's evidence of 0.8 or more besides the question words (田 alone is none)
            words = [h for h in seg.hits if h.intent not in COURTESY
                     and not (follow and h.keyword in self._follow_up)]
            weights: dict[str, float] = {}
            for h in words:
                weights[h.intent] = weights.get(h.intent, 0.0) + h.weight
            words = [h for h in words if weights[h.intent] >= 0.8]
            echo = None if follow or words or not topics or not seg.asks else _ECHO_ASK.search(clause)
            if echo:
                # "朋友说每年要报年报…，你们能帮我报不": the job asked for is the verb of a topic named before
                same = [t for t in topics if any(echo.group(1) in h.keyword for h in t.hits if h.intent == t.ask[0])]
                if same:
                    name, score = same[-1].ask
                    seg.scores[name] = max(seg.scores.get(name, 0.0), score,
                                           max((v for k, v in seg.scores.items() if k != name), default=0.0) + 0.01)
                    seg.ask = seg.top(COURTESY)
                    seg.follows_up = seg.ask[0] == name
                    continue
            if follow and topics and seg.asks and seg.decided_by is None and not words:
                needs = [t for t in topics if t.ask[0] != "find_service_center"]
                if needs and not _WHERE_ASK.search(follow.group()):
                    # a price or a how-to is asked of the need named (新苗), not of the body named (供销社)
                    name, score = max(needs, key=lambda t: t.ask[1]).ask
                else:
                    name, score = max(topics, key=lambda t: t.ask[1]).ask
                places = [t for t in topics if t.ask[0] == "find_service_center"
                          or any(h.intent == "find_service_center" and h.weight >= 1 for h in t.hits)]
                if places and _WHERE_ASK.search(follow.group()):
                    # "听说镇上有个为农服务中心，可以买农资…，在哪个位置": where is asked of the place named,
                    # not of what the story says one can do there
                    name, score = "find_service_center", max(score, places[-1].ask[1])
                # the question word's own label (是怎么回事 of a plan question) yields to the topic it asks about
                seg.scores[name] = max(seg.scores.get(name, 0.0), score,
                                       max((v for k, v in seg.scores.items() if k != name), default=0.0) + 0.01)
                seg.ask = seg.top(COURTESY)
                seg.follows_up = seg.ask[0] == name
                continue
            if seg.decided_by is None and not words:
                continue    # a clause without words of its own names no topic
            name, score = seg.ask
            own = seg.decided_by is not None or weights.get(name, 0.0) >= 0.8
            if name == "out_of_scope" and seg.told:
                continue    # another topic inside a description of ours (能缴电费) ends no topic
            if name == "out_of_scope" and own:
                topics.clear()
            elif score >= ACCEPT and own:
                topics.append(seg)

    def _primary(self, segs: list[Segment], overall: dict[str, float], text: str) -> str:
        substantive = {n: s for n, s in overall.items() if n not in COURTESY}
        best_name = max(substantive, key=substantive.get)
        best = substantive[best_name]
        courtesy = max(COURTESY, key=lambda n: overall[n])
        # a request only a phrase resembles (有没有人 ≈ 有没有真人) is fainter than a 喂/你好 that was said
        evidenced = any(h.intent == best_name for seg in segs for h in seg.hits)
        faint = ((best < 0.7 and overall[courtesy] >= best + COURTESY_MARGIN)
                 or (not evidenced and overall[courtesy] > best))
        main = [seg for seg in segs if not seg.side]
        long = len(main) >= 3 or (len(main) >= 2 and main[-1].end - main[0].start >= LONG_MESSAGE)
        if any(seg.decided_by == "human_agent" and seg.ask[0] == "human_agent" for seg in segs):
            return "human_agent"    # 找你们负责人 / 我要投诉, wherever it stands
        # a complaint word in a clause that tells the story of a long message ("去年玉米都没收完") is not the
        # ask when a later clause asks for something else ("今年想全托给你们")
        story_asks = long and any(seg.asks and seg.ask[0] not in ("human_agent", "out_of_scope")
                                  and seg.ask[1] >= ACCEPT for seg in main)
        if any(not seg.side and seg.ask[0] == "human_agent" and (seg.asks or not story_asks)
               and any(h.intent == "human_agent" and h.weight >= 2 for h in seg.hits) for seg in segs):
            return "human_agent"    # rules 8/9: "飞防的人没打完就走了，谁来负责" is a complaint, not a booking
        plan = [i for i, seg in enumerate(main) if seg.plan_question]
        if plan:
            # "听说……，是不是真的": the question about the plan is the ask, unless a later clause asks for
            # something else with words of its own ("听说可以抵押贷款，是不是真的？能贷多少？" asks for a loan)
            later = [seg for seg in main[plan[-1] + 1:]
                     if seg.asks and seg.ask[0] not in ("policy_faq", "out_of_scope") and seg.ask[1] >= ACCEPT
                     # a body named again ("和供销社有什么区别") is no place asked for: that needs where/phone/hours
                     and (seg.ask[0] != "find_service_center" or _PLACE_ASK.search(text[seg.start:seg.end]))
                     and sum(h.weight for h in seg.hits if h.intent == seg.ask[0]) >= 1.0]
            if not later:
                return "policy_faq"
            return later[-1].ask[0]
        # a long message's progress clause that does not ask, with no request of ours named anywhere, is the
        # story ("往年都是贩子上门来收，今年一个都没来"): a later clause that asks with words of its own is the ask
        submitted = self._submitted is None or self._submitted.search(text) is not None
        def progress_story(i: int, seg: Segment) -> bool:
            return (long and not seg.asks and not submitted
                    and any(later.asks and later.ask[0] not in ("check_status", "out_of_scope")
                            and later.ask[1] >= ACCEPT
                            and sum(h.weight for h in later.hits if h.intent == later.ask[0]) >= 1.0
                            for later in main[i + 1:]))
        def other_topics_progress(i: int) -> bool:
            # "在老板那里打了半年零工，说好年底结账，结果人跑了": progress told after another topic (wages, a
            # parcel), with no word to us (你们) about it, is that topic's
            return "你们" not in text and any(
                prev.ask[0] == "out_of_scope" and any(h.intent == "out_of_scope" and h.weight >= 2 for h in prev.hits)
                for prev in segs[:i])
        if any(not seg.side and seg.ask[0] == "check_status" and seg.ask[1] >= ACCEPT
               and any(h.intent == "check_status" for h in seg.hits)
               and not (seg in main and progress_story(main.index(seg), seg))
               and not other_topics_progress(i) for i, seg in enumerate(segs)):
            return "check_status"   # rule 2 across clauses: "约了全程托管……到哪一步了" asks for progress
        if any(not seg.side and seg.decided_by == "loan_products" and seg.decided_by_word for seg in segs):
            return "loan_products"  # the means over the purpose: "要买化肥农药，钱一时凑不齐" asks for money
        in_scope = max((s for n, s in substantive.items() if n != "out_of_scope"), default=0.0)
        if best >= ACCEPT and not faint:
            candidates = []
            for seg in sorted(segs, key=lambda s: s.side):      # stable: main clauses first, in order
                name, s = seg.ask
                if (name == "out_of_scope" and in_scope >= ACCEPT
                        and (seg.told or not any(h.intent == name and h.weight >= 2 for h in seg.hits))
                        and seg.decided_by is None):
                    continue    # "家里两个孩子读书，手头紧，想贷点": background, not the ask (spam words still win)
                if s >= ACCEPT:
                    candidates.append(seg)
            # rule 1 across clauses: a body named without asking where/when (想在你们供销社买) is where the need
            # is met, not the ask, when another clause names the need with words of its own (有没有尿素)
            needs = [seg for seg in candidates if seg.asks
                     and seg.ask[0] not in ("find_service_center", "out_of_scope", *COURTESY)
                     and sum(h.weight for h in seg.hits if h.intent == seg.ask[0]) >= 1.0]
            if needs:
                candidates = [seg for seg in candidates if seg.ask[0] != "find_service_center"
                              or _PLACE_ASK.search(text, seg.start, seg.end)
                              or any(h.via == "pattern" and h.intent == "find_service_center" for h in seg.hits)]
            # a story, then the ask: the clauses that ask outrank the ones that tell, whatever their words
            # (only in a long message, and an asking clause needs words of its own for its label:
            # "你们好多钱一棵" after "橘子树要剪了" asks the price of the pruning)
            def own_words(seg: Segment) -> bool:
                return (seg.decided_by is not None or seg.follows_up
                        or sum(h.weight for h in seg.hits if h.intent == seg.ask[0]) >= 0.8)
            asking = [seg for seg in candidates if seg.asks and not seg.side and own_words(seg)]
            if not asking and not any(seg.asks for seg in main):
                # "谢谢你们上次的飞防……对了，年底的账能不能也交给你们做": the only ask is the side one
                asking = [seg for seg in candidates if seg.asks and own_words(seg)]
            if asking and long:
                top = max(seg.ask[1] for seg in asking)
                bar = max(ACCEPT, 0.6 * top)
                # a question put (能不能…贷) over a want told first (想建个烘干房): the want is the purpose
                after_side = {id(b) for a, b in zip(segs, segs[1:]) if a.side}   # 另外|想问下…: still the side ask
                questions = [seg for seg in asking if seg.ask[1] >= bar and not seg.side and not seg.follows_up
                             and id(seg) not in after_side and _QUESTION_ONLY.search(text, seg.start, seg.end)]
                wants = [seg for seg in asking if seg.ask[1] >= bar and seg not in questions]
                if questions and wants and wants[0].start < questions[0].start and questions[0].ask[1] > wants[0].ask[1]:
                    return questions[0].ask[0]
                for seg in asking:
                    if seg.ask[1] >= bar:
                        return seg.ask[0]
            bar = max(ACCEPT, 0.6 * best)
            for seg in candidates:
                if seg.ask[1] >= bar:
                    return seg.ask[0]
            return best_name
        return courtesy if overall[courtesy] >= ACCEPT else "out_of_scope"
