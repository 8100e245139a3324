"""FAQ retrieval: the document's answer to a question asked any way a farmer would, with how sure we are.

Two pieces of evidence, both computed offline from the pack (no model, no network):
- how close the question is to one of the entry's listed variants (rapidfuzz over characters and pinyin:
  typos and homophones such as 代帐 ~ 代账);
- how much of the question's content the entry holds (its variants, keywords and answer): character
  bigrams weighted by how rare they are among the pack's entries (BM25's idf), function words left out.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from functools import lru_cache

from pypinyin import Style, lazy_pinyin
from rapidfuzz import fuzz, process

from knowledge.loader import Pack
from knowledge.schema import FaqEntry

CONFIDENT = 55.0   # below this the bot says the document does not answer it and offers a person
# Out-of-scope / low-confidence messages are answered from the FAQ only above this (they were not even taken
# as policy questions: the evidence must be stronger).
CONFIDENT_UNASKED = 72.0
_NOISE = re.compile(r"[\s，。！？、,.!?~～“”\"'（）()：:；;]+|请问|你好|我想问|问一下|一下|呢|吗|嘛|啊|哦|呀|的|了|哈|嘞|噻")
_RUNS = re.compile(r"[\u4e00-\u9fff]+|[a-z0-9+.%]+")
# Words and characters that carry a question's form, not its content ("怎么", "有没有", "多少", 重庆话 too): the
# text is cut at them, so no bigram spans two content words (农合联|到底是个啥子|组织).
_FORM_WORDS = ("有没有", "是不是", "能不能", "可不可以", "会不会", "要不要", "有莫得", "怎么样", "咋个", "啥子", "什么",
               "怎么", "怎样", "哪个", "哪里", "哪些", "哪点", "多少", "好多", "可以", "能否", "没有", "没得", "莫得",
               "是否", "我们", "你们", "要求", "如何", "这个", "那个", "一个", "具体", "到底", "主要", "就是", "还是",
               "知道", "告诉", "需要", "应该", "现在", "关于", "问下", "想问", "干嘛", "干啥", "做啥", "意思", "一般",
               "来当", "由谁", "拿来", "搞法", "搞些", "东西", "情况", "或者", "以及", "还有", "他们", "咱们", "屋头",
               "什么时候", "啥时候", "时候", "好久", "多久", "多长时间", "好多家", "好多个", "多少家", "多少个", "几家",
               "一共", "总共", "那边", "这边", "那点", "一点", "想找", "找人", "想要", "有啥", "有什么", "有哪些",
               "有没得", "有莫得", "有没",
               # 鲁西 (聊城) forms: 俺/恁 (I/you), 咋弄 (how), 中不中 (OK?), 这事儿 (this matter)
               "中不中", "行不行", "咋弄", "咋整", "啥事", "这事儿", "这事", "这块", "俺们", "恁们", "咱们")
_FORM_CHARS = "是的了吗呢啊哦嘛吧呀咋啥谁么个我你他她这那哪怎些几该噻嗦哈不没和与或都也就还把给被让搞弄要想俺恁咱"
_FORM = re.compile("|".join(sorted(_FORM_WORDS, key=len, reverse=True)) + f"|[{_FORM_CHARS}]")
# What a question asks for, from its form words: an entry whose listed questions ask the same gets a little more
# ("综合服务社要搞好多个" wants the count, not what a 综合服务社 is).
ASK_KINDS: dict[str, tuple[str, ...]] = {
    "count": ("多少", "好多", "几个", "几家", "几处", "几年", "多大", "比例", "多高", "达到"),
    "time": ("时候", "好久", "多久", "哪年", "几月", "哪一年", "啥时", "何时", "期限", "阶段", "时间节点", "截止",
             "哪个时间", "啥时间", "什么时间"),
    "who": ("谁", "哪个部门", "哪个单位", "哪些部门", "哪家单位", "牵头", "负责", "谁管", "归谁", "主管"),
    "where": ("哪里", "哪点", "在哪", "哪儿", "地址", "再哪", "在那", "咋走", "怎么走", "朝哪", "位置", "地方", "导航",
              "附近", "最近", "几点", "开门", "关门", "上班", "电话", "周末"),
    "what": ("是什么", "是啥", "啥子是", "什么是", "什么意思", "啥意思", "干啥的", "干什么的", "做什么的", "做啥的",
             "搞啥的", "有哪些", "哪些", "为什么", "有什么用", "有啥用", "指什么", "指的是", "做什么", "干什么", "管啥",
             "管些啥", "管什么", "作用", "职能", "负责什么", "负责啥", "是个啥", "是个什么", "算啥", "算什么"),
}
# What a thing does, as the documents say it ("主要承担…", "负责…", "是…的有效载体"): asked "X是搞啥的", an answer
# saying this beats one that counts X ("发展农村综合服务社245家").
DOES = re.compile(r"承担|负责|主要(?!目标|指标|任务)[\u4e00-\u9fff]{2}|是[^，。；]{0,30}(?:载体|阵地|主体|根基|纽带)"
                  r"|(?:提供|开展)[^，。；]{0,30}服务")
_ASKS_DOES = 1.12
_WORD_FOR_WORD = 50.0
# The kinds of a policy question (as opposed to a request or a "where is"): a one-turn handler the NLU chose answers
# from the document only for these.
POLICY_KINDS = frozenset({"count", "time", "who", "what"})
ASK_BONUS = 25.0
# A farmer's or cadre's everyday words and the words county documents use for the same thing ("上网卖" ~ 电商,
# "交电费" ~ 便民缴费). A question holding one is looked up with the document's words added — only those the
# pack's own text holds, so a county whose document lacks the term is not pointed at it.
VOCABULARY: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("上网卖", "网上卖", "网上销售", "网上卖", "网店", "直播带货", "直播卖", "线上卖", "网络销售"), ("电商", "线上线下")),
    (("交电费", "交水费", "交话费", "缴电费", "交费", "缴费"), ("便民缴费",)),
    (("寄快递", "取快递", "收快递", "发快递", "拿快递"), ("快递收发", "快递")),
    (("贷款", "借钱", "借款", "贷点钱"), ("信贷", "融资")),
    (("银行",), ("支行", "农商行", "商业银行")),
    (("招人", "招聘", "进人", "招工", "年轻人", "大学生"), ("人才", "招聘")),
    (("卖粮", "卖菜", "销路", "卖不出去", "卖不掉", "卖农产品"), ("销售", "产销对接", "流通")),
    (("流转地", "地流转", "流转土地", "不想流转"), ("流转土地",)),
    (("麦子", "麦地"), ("小麦",)),
    (("棒子", "苞米", "苞谷", "包谷"), ("玉米",)),
    (("打药", "飞防", "病虫害"), ("统防统治",)),
    (("冷库", "保鲜库"), ("冷链", "仓储保鲜")),
    (("买化肥", "买种子", "买农药", "化肥", "种子", "农药"), ("农资供应", "种肥供应")),
    (("盖房", "建房", "占地", "用地"), ("建设用地", "用地")),
    (("考核", "考评", "打分"), ("考核",)),
    (("入股分红", "分钱", "分红"), ("盈余分红", "分红", "保底收")),
    (("学习", "培训班", "上课"), ("培训",)),
    (("人员名单", "都有谁", "成员"), ("成员", "组长")),
    (("部门", "单位", "谁管", "牵头"), ("牵头单位",)),
    (("指标", "目标", "要求达到"), ("达到", "目标")),
    (("时间节点", "截止", "期限", "啥时候完成"), ("年底前", "到2025年")),
)


@lru_cache(maxsize=16)
def _pack_text(pack: Pack) -> str:
    return "".join(c.title + c.text for c in pack.clauses) + "".join(e.answer for e in pack.faq)


def in_document_words(pack: Pack, question: str) -> str:
    """The question with the document's words for the everyday ones it uses (see VOCABULARY) added."""
    text = _pack_text(pack)
    extra = [w for said, words in VOCABULARY if any(s in question for s in said) for w in words
             if w in text and w not in question]
    return question + (" " + " ".join(dict.fromkeys(extra)) if extra else "")
_CJK = re.compile(r"[\u4e00-\u9fff]{2,}")


_FREQUENT = 4      # a two-character piece the pack writes this often is one of its words


@lru_cache(maxsize=16)
def _spellings(pack: Pack) -> tuple[frozenset[str], dict[tuple[str, ...], str]]:
    """Every piece of two or more characters the pack writes, and by sound its own terms: FAQ keywords, names of
    services, crops and products, and two-character pieces it writes often."""
    text = _pack_text(pack) + "。".join(q for e in pack.faq for q in (*e.questions, *e.keywords))
    counts: dict[str, int] = {}
    for run in _CJK.findall(text):
        for i in range(len(run) - 1):
            counts[run[i:i + 2]] = counts.get(run[i:i + 2], 0) + 1
    terms = {k for e in pack.faq for k in e.keywords} | {x.name for x in (*pack.services, *pack.crops,
                                                                            *pack.loan_products)}
    terms = {t for t in terms if _CJK.fullmatch(t) and len(t) <= 4}
    # A frequent piece is a word when the listed questions or the clause titles use it too (托管 is; 益共, cut from
    # 利益共同体, is not).
    asked = "。".join(q for e in pack.faq for q in e.questions)
    terms |= {g for g, n in counts.items() if n >= _FREQUENT and g in asked}
    by_sound: dict[tuple[str, ...], str] = {}
    for t in sorted(terms, key=lambda t: -counts.get(t[:2], 0)):
        by_sound.setdefault(tuple(lazy_pinyin(t, style=Style.NORMAL)), t)
    return frozenset(counts), by_sound


@lru_cache(maxsize=16)
def _char_counts(pack: Pack) -> dict[str, int]:
    """How often the pack writes each character outside place names (官 of 官坝镇 says nothing of 托官)."""
    text = _pack_text(pack)
    for name in sorted({n for t in pack.townships for n in (t.name, *t.aliases)}, key=len, reverse=True):
        text = text.replace(name, "")
    counts: dict[str, int] = {}
    for ch in text:
        counts[ch] = counts.get(ch, 0) + 1
    return counts


_NUMERALS = "一二三四五六七八九十百千万两零"
_RARE = 3   # a character the pack writes this seldom may be a typo heard in another tone (托官 ~ 托管)


def _misheard(pack: Pack, said: str, meant: str) -> bool:
    """`said` may be a mishearing of `meant`: same tone, or `said` is a character the pack hardly writes."""
    if _char_counts(pack).get(said, 0) <= _RARE:
        return True
    return lazy_pinyin(said, style=Style.TONE3) == lazy_pinyin(meant, style=Style.TONE3)


def _county_names(pack: Pack) -> tuple[str, ...]:
    county = getattr(pack.info, "county", "") or ""
    short = county[:-1] if len(county) >= 3 and county.endswith(("县", "区", "市")) else ""
    return tuple(n for n in (county, short) if n)


def without_county(pack: Pack, question: str) -> str:
    """The question without the county's name opening it: every question here is about this county, so "忠县农合联
    到底是个啥子组织" is looked up as 农合联 (a name inside a word, 一江津彩, stays)."""
    for name in _county_names(pack):
        if question.startswith(name) and len(question) > len(name) + 1:
            return question[len(name):].lstrip("的")
    return question


def in_pack_spelling(pack: Pack, question: str) -> str:
    """The question with voice-input and typing homophones put in the pack's spelling (托官 → 托管, 合做社 → 合作社,
    带款 → 贷款, 补尝 → 补偿, 农和联 → 农合联): a piece the pack never writes, sounding like one of its terms and
    differing from it in one character, never a form character (是, 搞, 咋 …)."""
    known, by_sound = _spellings(pack)
    chars = list(question)
    for run in _CJK.finditer(question):
        py = lazy_pinyin(run.group(), style=Style.NORMAL)
        for size in (4, 3, 2):
            for i in range(len(py) - size + 1):
                at = run.start() + i
                piece = "".join(chars[at:at + size])
                alt = by_sound.get(tuple(py[i:i + size]))
                if alt is None or alt == piece or piece[:2] in known and piece[-2:] in known:
                    continue
                differ = [j for j in range(size) if alt[j] != piece[j]]
                if len(differ) != 1:
                    continue
                j = differ[0]
                said, meant = piece[j], alt[j]
                if said in _FORM_CHARS or meant in _FORM_CHARS or said in _NUMERALS or not _misheard(pack, said, meant):
                    continue
                pos = at + j
                if any("".join(chars[k:k + 2]) in known for k in (pos - 1, pos) if k >= 0):
                    continue   # the character heard is in a word the pack writes (建设): not a typo
                chars[at:at + size] = list(alt)
    return "".join(chars)


_DEBUG = False
_FUZZY_TOP = 8     # entries whose listed questions are compared one by one
_UNSEEN = 1.5      # weight of a content unit no entry has (see _content_score)
_LONE = 0.5        # a lone character weighs less than a bigram
_ACROSS = 0.25     # an unknown bigram next to a known one (see grams)


@dataclass(frozen=True)
class FaqAnswer:
    entry: FaqEntry
    score: float
    confident: bool


def ask_kinds(text: str) -> frozenset[str]:
    text = text.replace("哪几", "哪些")   # "围绕哪几个产业" asks which, not how many
    return frozenset(kind for kind, words in ASK_KINDS.items() if any(w in text for w in words))


def _clean(text: str) -> str:
    return _NOISE.sub("", text.lower())


def _pinyin(text: str) -> str:
    return " ".join(lazy_pinyin(text, style=Style.NORMAL))


def grams(text: str, known: dict[str, float] | None = None) -> dict[str, float]:
    """Content units of a cleaned text with their own weight: character bigrams of the Chinese pieces left
    between form words (a lone character as itself, weighing less) and whole latin/number tokens (e贷, 2027).
    With `known` (the pack's units), a unit the pack lacks next to one it has is most likely a bigram across
    two words (合作|社想|找, 南川|川一|共): it weighs little."""
    out: dict[str, float] = {}
    for piece in _FORM.split(text):
        for run in _RUNS.findall(piece):
            if not "\u4e00" <= run[0] <= "\u9fff":
                out[run] = 1.0
            elif len(run) == 1:
                out.setdefault(run, _LONE)
            else:
                pairs = [run[i:i + 2] for i in range(len(run) - 1)]
                for i, g in enumerate(pairs):
                    weight = 1.0
                    if known is not None and g not in known and any(
                            0 <= j < len(pairs) and pairs[j] in known for j in (i - 1, i + 1)):
                        weight = _ACROSS
                    out[g] = max(out.get(g, 0.0), weight)
    return out


@dataclass(frozen=True)
class _Doc:
    entry: FaqEntry
    variants: tuple[tuple[str, str], ...]   # (cleaned, pinyin) per listed question
    variant_grams: tuple[dict[str, float], ...]
    kinds: frozenset[str]                   # what its listed questions ask for (ASK_KINDS)
    asked: frozenset[str]                   # grams of the questions and keywords
    told: frozenset[str]                    # grams of the answer
    variant_totals: tuple[float, ...] = ()  # each listed question's idf weight (filled once idf is known)


@lru_cache(maxsize=16)
def _flat(pack: Pack) -> tuple[list[str], list[str], list[int]]:
    """Every listed question (cleaned, pinyin) and its entry's index: close variants are found in one C-level
    pass (rapidfuzz.process) rather than a Python loop over all of them."""
    docs, _ = _index(pack)
    texts, pinyins, owners = [], [], []
    for i, doc in enumerate(docs):
        for text, py in doc.variants:
            texts.append(text)
            pinyins.append(py)
            owners.append(i)
    return texts, pinyins, owners


@lru_cache(maxsize=16)
def _index(pack: Pack) -> tuple[tuple[_Doc, ...], dict[str, float]]:
    docs = []
    for entry in pack.faq:
        cleaned = [_clean(q) for q in entry.questions]
        asked = set().union(*(grams(c) for c in cleaned), *(grams(_clean(k)) for k in entry.keywords))
        asked |= {k for k in (_clean(k) for k in entry.keywords) if len(k) == 1}
        docs.append(_Doc(entry, tuple((c, _pinyin(c)) for c in cleaned), tuple(grams(c) for c in cleaned),
                         frozenset().union(*(ask_kinds(q) for q in entry.questions)),
                         frozenset(asked),
                         frozenset(grams(_clean(entry.answer)))))
    df: dict[str, int] = {}
    for d in docs:
        for g in d.asked | d.told:
            df[g] = df.get(g, 0) + 1
    n = len(docs)
    idf = {g: math.log(1 + (n + 1) / (k + 0.5)) for g, k in df.items()}
    for g in {g for d in docs for vg in d.variant_grams for g in vg}:
        idf.setdefault(g, _UNSEEN)
    docs = [replace(d, variant_totals=tuple(sum(own * idf[g] for g, own in vg.items()) or 1.0
                                             for vg in d.variant_grams)) for d in docs]
    return tuple(docs), idf


def _variant_score(query: str, query_py: str, doc: _Doc) -> float:
    best = 0.0
    for variant, variant_py in doc.variants:
        raw = max(fuzz.ratio(query, variant),
                  0.9 * fuzz.partial_ratio(query, variant) if min(len(query), len(variant)) >= 3 else 0)
        py = fuzz.ratio(query_py, variant_py) * 0.95   # homophone typos: 代帐 ~ 代账
        best = max(best, raw, py)
    return best


def _content_score(query_grams: dict[str, float], doc: _Doc, idf: dict[str, float]) -> float:
    """Share of the question's content (idf-weighted) the entry holds: in its questions/keywords counts whole,
    in its answer most of it; 0-100. A unit no entry has weighs as a common one: it is mostly a bigram across
    two words (联到, 是个), yet many of them say the question is about something else."""
    total = held = 0.0
    for g, own in query_grams.items():
        w = own * idf.get(g, _UNSEEN)
        total += w
        if g in doc.asked:
            held += w
        elif g in doc.told:
            held += 0.8 * w
    if total == 0:
        return 0.0
    # One common unit held says little: a question that finds several rare ones is surer.
    return 100.0 * (held / total) * min(1.0, 0.55 + held / 10)


def _variant_cover(query_grams: dict[str, float], total_q: float, doc: _Doc, idf: dict[str, float]) -> float:
    """The listed question the farmer's words contain most of, and how much of their words it explains: "农合联
    到底是搞啥子的" holds all of "农合联是什么"; 0-100."""
    if total_q == 0:
        return 0.0
    best = 0.0
    for vg, total_v in zip(doc.variant_grams, doc.variant_totals):
        common = sum(vg[g] * idf[g] for g in query_grams if g in vg)
        if common:
            best = max(best, (common / total_v) * math.sqrt(common / total_q))
    return 100.0 * best


def ranked(pack: Pack, question: str, limit: int = 3) -> list[tuple[float, FaqEntry]]:
    """The best entries for a question with their scores (0-100), best first."""
    query = _clean(in_pack_spelling(pack, question or ""))
    if not query or not pack.faq:
        return []
    docs, idf = _index(pack)
    query_py, query_grams = _pinyin(query), grams(_clean(without_county(pack, in_pack_spelling(pack, question))), idf)
    kinds = ask_kinds(question)
    total_q = sum(own * idf.get(g, _UNSEEN) for g, own in query_grams.items())
    contents = []
    for doc in docs:
        content = max(_content_score(query_grams, doc, idf), _variant_cover(query_grams, total_q, doc, idf))
        if content and kinds == {"what"} and DOES.search(doc.entry.answer):
            content *= _ASKS_DOES   # "乡镇农合联是搞啥的": what it does, not the plan that counts it
        if content and kinds & doc.kinds:
            content += ASK_BONUS * content / 100
        elif content and kinds and doc.kinds:   # asked for a count, listed as "what is": another clause
            content -= ASK_BONUS * content / 100
        contents.append(content)
    # The variant match is worked out for the entries content ranks first and for any with a close variant.
    texts, pinyins, owners = _flat(pack)
    close = {owners[i] for _, _, i in process.extract(query, texts, scorer=fuzz.ratio, score_cutoff=84, limit=None)}
    close |= {owners[i] for _, _, i in process.extract(query_py, pinyins, scorer=fuzz.ratio, score_cutoff=89,
                                                         limit=None)}
    if len(query) >= 3:
        close |= {owners[i] for _, _, i in process.extract(query, texts, scorer=fuzz.partial_ratio, score_cutoff=94,
                                                             limit=None)}
    top = sorted(range(len(docs)), key=lambda i: -contents[i])[:_FUZZY_TOP]
    scored = []
    for i, doc in enumerate(docs):
        variant = _variant_score(query, query_py, doc) if i in close or i in top else 0.0
        content = contents[i]
        # A listed variant decides when it is close; content decides otherwise, a fairly close variant helps.
        # A listed question asked word for word stays first whatever the content boosts of others.
        best = max(variant if variant >= 85 else 0.0, content + 0.3 * max(0.0, variant - 55))
        # Equal in content (both hold all the question's words), the entry whose listed question is nearer wins.
        scored.append((best + (_WORD_FOR_WORD if variant >= 95 else 0.0) + 0.02 * variant, doc.entry))
        if _DEBUG:
            print(doc.entry.id, round(variant, 1), round(content, 1))
    scored.sort(key=lambda s: -s[0])
    return [(min(100.0, score), entry) for score, entry in scored[:limit]]


def answer(pack: Pack, question: str, *, threshold: float = CONFIDENT) -> FaqAnswer | None:
    """The best FAQ entry; `confident` is False when the match is weak (the document may not answer it)."""
    found = ranked(pack, question, limit=1)
    if not found:
        return None
    score, entry = found[0]
    return FaqAnswer(entry, round(score, 1), score >= threshold)
