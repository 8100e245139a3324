"""The document's own words for a question: the clause sentence(s) that answer it, or the plain fact that the
document does not say.

Each clause of clauses.yaml is cut into sentences; a question's content units (knowledge.faq.grams: character
bigrams between form words) are looked up in each sentence, weighted by how rare they are among the pack's
sentences, with the clause's other text and title counting for less. What the question asks for is checked
against the sentence found: an amount of money (多少钱, 利率, 补贴) needs a money figure, a phone number needs a
number, papers to bring need the papers named — else the document does not answer it, however close the topic.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from knowledge.faq import (DOES, _FORM, _clean, ask_kinds, grams, in_document_words, in_pack_spelling,
                           without_county)
from knowledge.loader import Pack
from knowledge.schema import DocumentClause

QUOTE_CONFIDENT = 52.0   # a sentence this close answers the question
UNSEEN = 1.5             # weight of a unit no sentence has (see best_quote)
TOPICAL = 30.0           # below this the question is about something the document does not treat
_SENTENCE = re.compile(r"[^。；;！？\n]+[。；;！？]?")
_HEAD = re.compile(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\([一二三四五六七八九十]+\)|\d{1,2}\s*[.．])")
_DIGIT = re.compile(r"\d|[一二三四五六七八九十百千万两]+(?:个|家|处|名|年|分之)|全覆盖")
_MONEY = re.compile(r"\d[\d.,]*\s*(?:万元|亿元|元)")
_RATE = re.compile(r"\d[\d.]*\s*[%％‰]")
_PHONE = re.compile(r"\d{7,}")
# What a "who" or "when" question is answered by: a sentence naming a body (牵头单位, 领导小组, 市供销合作社, 业务发展科)
# or a date (2025年底前, 2022年7月至9月).
_WHO_ROW = re.compile(r"牵头|负责|组长|设在|主管|领办|承担")
_LEAD = re.compile(r"牵头|组长|设在|主管")
_TIME_ROW = re.compile(r"\d{4}\s*年|\d{1,2}\s*月|底前|阶段|期间|每年|定期")
_SITS = re.compile(r"设在(哪|什么|啥)")
# "找哪个银行", "上哪个平台卖": the question asks for a name of that kind, and a sentence naming one answers it
# (农商行丰都支行, 石银村镇银行, “聊·胜一筹”).
NAMED: tuple[tuple[re.Pattern, re.Pattern], ...] = (
    (re.compile(r"(哪个|哪家|哪些|啥子?|什么|找)银行|银行有(哪些|哪几家)"),
     re.compile(r"[^\s，、。；：“”+]{2,8}银行(?!机构|业)|支行|农商行|信用社")),
    (re.compile(r"(哪个|哪些|啥子?|什么)(平台|网站|电商)|平台(叫|是)"), re.compile(r"“[^”]{2,12}”|[\u4e00-\u9fff]{2,8}(?:交易平台|电商平台|服务平台|应用平台|网)(?!络|点)")),
    (re.compile(r"(哪个|哪些|啥子?|什么)(担保|保险)(公司|机构)"), re.compile(r"担保(?:公司|机构|有限)|保险(?:公司|机构)")),
)

# What a question asks for that a sentence must hold to answer it: (cues in the question, what the answer holds).
_AMOUNT = ("多少", "好多", "几", "多高", "多大", "怎么算", "标准", "比例", "最多", "最高", "最少", "上限", "额度")
NEEDS: tuple[tuple[tuple[str, ...], tuple[str, ...] | None, re.Pattern | None], ...] = (
    # how much one may borrow: the answer states a loan's amount (额度, 每户 …), not a fund's ("风险补偿金600万元")
    (("能贷", "贷好多", "贷多少", "贷款额度", "最多贷", "能借"), _AMOUNT,
     re.compile(r"(?:额度|每户|一户|单户|最高|最多)[^，。；]{0,8}\d[\d.,]*\s*(?:万元|亿元|元|万)")),
    # money: 多少钱, 利率, 保费, 补贴好多 (an amount word with a money word)
    (("利率", "利息", "比例", "费率", "几个点"), _AMOUNT, _RATE),
    (("钱", "费", "价", "补贴", "补助", "奖励", "奖补", "工资", "股金", "额度", "贷多少", "贷好多", "能贷", "收入", "收益",
      "便宜", "资金"), _AMOUNT, _MONEY),
    # a fee at all ("要交会费不", "收不收费"): the answer speaks of fees
    (("会费", "费用", "收费", "股金", "手续费", "交钱", "要钱"), None, re.compile(r"费|元|有偿|免费|无偿")),
    (("电话", "号码", "联系方式"), None, _PHONE),
    # opening hours, a street address: the answer states them (a clause about the center does not)
    (("几点", "上班", "下班", "开门", "关门", "营业时间", "办公时间", "周末"), None,
     re.compile(r"\d{1,2}\s*[:：点]|上午|下午|工作日")),
    (("哪条街", "哪条路", "地址", "门牌", "几楼", "几号"), None, re.compile(r"\d+\s*号|(?<![思道线出门网])路(?![径线子])|大道|大街|\d+\s*楼")),
    # how to apply: the answer says how (a 农机补贴 sentence that only names the subsidy does not)
    (("怎么申请", "如何申请", "咋个申请", "咋申请", "申请流程", "申请程序", "怎么办理", "如何办理"), None,
     re.compile(r"申请|办理|程序|流程|提交|材料|到.{1,12}(?:登记|报名)")),
    (("材料", "证件", "手续", "资料", "带什么", "带啥"), None, re.compile(r"材料|证件|手续|资料|身份证|证明")),
)


@dataclass(frozen=True)
class Quote:
    clause: DocumentClause
    sentences: tuple[str, ...]
    score: float

    @property
    def text(self) -> str:
        return "".join(self.sentences)


# An annex row restates a body clause in a table (附件3 分工表): the body's sentence is quoted when both hold it.
ANNEX_WEIGHT = 0.85
LONE_MATCH = 0.6


@dataclass(frozen=True)
class _Sentence:
    clause: int
    text: str
    units: frozenset[str]
    weight: float = 1.0


# A table's columns that name bodies (牵头单位, 责任单位): a row's trailing cells under them are quoted with their
# column's name, so "谁牵头" finds the row and the farmer reads who leads, not a raw row of cells.
_BODY_COLUMN = re.compile(r"^\S*单位$")
_BODY = re.compile(r"[县市区镇乡]|局|委|办|部|社|行|公司|中心|政府")


def _labelled(header: str, row: str) -> str:
    """A table row with its trailing 单位 cells named by their columns ("…。牵头单位：县供销合作社；责任单位：…"),
    when the header ends in such columns and the row's cells there are bodies; else the row as it stands."""
    names, cells = header.split(), row.split()
    # A group's heading ("重大政策") is read into the row above it (and the header): it is no cell of the row.
    if len(names) >= 2 and not _BODY_COLUMN.match(names[-1]) and _BODY_COLUMN.match(names[-2]):
        names = names[:-1]
    if len(cells) >= 3 and not _BODY.search(cells[-1]) and _BODY.search(cells[-2]):
        cells = cells[:-1]
    trailing = []
    for name in reversed(names):
        if not _BODY_COLUMN.match(name):
            break
        trailing.insert(0, name)
    if not trailing or len(cells) < len(trailing) + 2 or not all(_BODY.search(c) for c in cells[-len(trailing):]):
        return row
    task = cells[-len(trailing) - 1]
    labels = "；".join(f"{name}：{cell}" for name, cell in zip(trailing, cells[-len(trailing):]))
    return f"{task}{'' if task.endswith(('。', '；')) else '。'}{labels}。"


def sentences(clause: DocumentClause) -> list[str]:
    """A clause's sentences as the document has them; its heading ("（一）安排部署阶段（2022年7月至9月）。") goes
    with the sentence after it, and a table's header row is left out (its 单位 columns name a row's cells)."""
    if clause.section.startswith("附件") and "\n" in clause.text:
        rows = clause.text.split("\n")
        if rows[0][:1].isdigit():
            return rows
        return [_labelled(rows[0], r) for r in rows[1:] if r.strip()]
    out: list[str] = []
    heading = ""
    for piece in _SENTENCE.findall(clause.text):
        piece = piece.strip()
        if not piece:
            continue
        if not out and not heading and _HEAD.match(piece):
            heading = piece
            continue
        out.append(heading + piece)
        heading = ""
    if heading:
        out.append(heading)
    return out


@dataclass(frozen=True)
class _Index:
    rows: tuple[_Sentence, ...]
    clause_rows: tuple[tuple[int, ...], ...]     # the rows of each clause
    postings: dict[str, tuple[int, ...]]         # unit -> rows holding it
    in_clauses: dict[str, tuple[int, ...]]       # unit -> clauses whose title or text holds it
    digits: tuple[bool, ...]                     # the row states a count
    who: tuple[bool, ...]                        # the row names a body (牵头单位, 领导小组 …)
    when: tuple[bool, ...]                       # the row states a date or period
    idf: dict[str, float]
    chars: frozenset[str]                        # every character the document uses


@lru_cache(maxsize=16)
def _index(pack: Pack) -> _Index:
    rows: list[_Sentence] = []
    clause_rows: list[tuple[int, ...]] = []
    in_clauses: dict[str, list[int]] = {}
    for i, clause in enumerate(pack.clauses):
        for g in grams(_clean(clause.title + clause.text)):
            in_clauses.setdefault(g, []).append(i)
        weight = ANNEX_WEIGHT if clause.section.startswith("附件") else 1.0
        start = len(rows)
        for s in sentences(clause):
            rows.append(_Sentence(i, s, frozenset(grams(_clean(s))), weight))
        clause_rows.append(tuple(range(start, len(rows))))
    postings: dict[str, list[int]] = {}
    for k, row in enumerate(rows):
        for g in row.units:
            postings.setdefault(g, []).append(k)
    n = max(len(rows), 1)
    idf = {g: math.log(1 + (n + 1) / (len(ks) + 0.5)) for g, ks in postings.items()}
    return _Index(tuple(rows), tuple(clause_rows), {g: tuple(ks) for g, ks in postings.items()},
                  {g: tuple(cs) for g, cs in in_clauses.items()}, tuple(bool(_DIGIT.search(r.text)) for r in rows),
                  tuple(bool(_WHO_ROW.search(r.text)) for r in rows), tuple(bool(_TIME_ROW.search(r.text)) for r in rows),
                  idf, frozenset("".join(c.text for c in pack.clauses)))


def unanswerable_kind(question: str, answer: str) -> bool:
    """The question asks for something (an amount of money, a phone number, papers) the answer does not hold."""
    for cues, amount, holds in NEEDS:
        if any(c in question for c in cues) and (amount is None or any(a in question for a in amount)):
            if not holds.search(answer):
                return True
    return False


def asks_a_name(question: str) -> bool:
    """The question asks for a name of a kind (a bank, a platform, an insurer: see NAMED) or where an office sits."""
    return bool(_SITS.search(question)) or any(asks.search(question) for asks, _ in NAMED)


def lacks_name(question: str, answer: str) -> bool:
    """Asked for a name of a kind, the answer names none ("找哪个银行" and an answer on 担保 alone)."""
    return any(asks.search(question) and not holds.search(answer) for asks, holds in NAMED) or bool(
        _SITS.search(question) and "设在" not in answer)


def answers_kind(question: str, answer: str) -> bool:
    """The answer holds what the question asks for: an amount, a phone number, papers (NEEDS), a name of the
    kind asked ("找哪个银行" → a bank), where an office sits ("办公室设在哪" → 设在)."""
    if unanswerable_kind(question, answer):
        return False
    return not lacks_name(question, answer)


def asks_a_kind(question: str) -> bool:
    """The question asks for an amount of money, a phone number, papers or a procedure (see NEEDS)."""
    return any(any(c in question for c in cues) and (amount is None or any(a in question for a in amount))
               for cues, amount, _ in NEEDS)


def best_quote(pack: Pack, question: str, within: tuple[str, set[str]] | None = None) -> Quote | None:
    """The sentence (with its neighbour when both answer) that holds most of the question's content: the
    question's units found in the sentence count whole, those found elsewhere in its clause 0.4. `within`
    (document id, clause sections) looks only in those clauses: the words of the clause an FAQ entry cites."""
    index = _index(pack)
    rows, idf, chars = index.rows, index.idf, index.chars
    kinds = ask_kinds(question or "")
    query = grams(_clean(in_document_words(pack, without_county(pack, in_pack_spelling(pack, question or "")))), idf)
    if not rows or not query:
        return None
    rarest = max(idf.values())
    # A unit with a character the document never uses (宅基, 工资) is a word it does not treat: it weighs as the
    # rarest one, in full. Other unknown units are mostly bigrams across two words (联买, 镇归) and weigh little.
    weights = {}
    for g in query:
        if any(ch not in chars for ch in g):
            query[g], weights[g] = 1.0, rarest
        else:
            weights[g] = query[g] * idf.get(g, UNSEEN)
    total = sum(weights.values())
    direct: dict[int, float] = {}
    found: dict[int, int] = {}
    around: dict[int, float] = {}
    for g, w in weights.items():
        for k in index.postings.get(g, ()):
            direct[k] = direct.get(k, 0.0) + w
            found[k] = found.get(k, 0) + 1
        for c in index.in_clauses.get(g, ()):
            around[c] = around.get(c, 0.0) + w
    counting = "count" in kinds
    cues = [(_WHO_ROW, index.who) if "who" in kinds else None, (_TIME_ROW, index.when) if "time" in kinds else None]
    cues = [c[1] for c in cues if c is not None]
    names = [holds for asks, holds in NAMED if asks.search(question or "")]
    scored = []
    for c, near in around.items():
        if within is not None and not (pack.clauses[c].doc == within[0]
                                       and pack.clauses[c].section.rstrip("、") in within[1]):
            continue
        for k in index.clause_rows[c]:
            own = direct.get(k, 0.0)
            held = own + 0.4 * (near - own)
            score = 100.0 * (held / total) * min(1.0, 0.55 + held / 10) * rows[k].weight
            if found.get(k, 0) < 2:
                score *= LONE_MATCH   # one word found ("服务", "上一步"): the sentence may be about anything
            if counting:
                score *= 1.15 if index.digits[k] else 0.8
            elif kinds == {"what"}:   # "X是搞啥的": the sentence saying what X does, not one counting it
                score *= 1.12 if DOES.search(rows[k].text) else 0.9 if index.digits[k] else 1.0
            for holds in cues:   # "谁牵头", "啥时候": a sentence naming a body / a date answers it
                score *= 1.15 if holds[k] else 0.85
            for holds in names:  # "找哪个银行": a sentence naming a bank
                score *= 1.25 if holds.search(rows[k].text) else 0.7
            scored.append((score, k))
    if not scored:
        return None
    scored.sort(reverse=True)
    score, k = scored[0]
    row = rows[k]
    picked = [k]
    # A runner-up in the same clause right before or after, nearly as good, is quoted with it (in order).
    for other_score, j in scored[1:4]:
        if rows[j].clause == row.clause and abs(j - k) == 1 and other_score >= 0.85 * score:
            picked.append(j)
            break
    # Asked who or when, and the sentence found names no body / no date: its clause's sentence that does
    # ("〔牵头单位:市商务投资促进局;") is quoted with it.
    for kind, holds in (("who", index.who), ("time", index.when)):
        # "谁牵头" and a sentence that only mentions someone (领办, 承担): the clause's 牵头单位 line is quoted too
        weak = kind == "who" and holds[k] and not _LEAD.search(row.text)
        if kind in kinds and (not holds[k] or weak):
            own = next((j for j in index.clause_rows[row.clause] if holds[j] and j not in picked
                        and (not weak or _LEAD.search(rows[j].text))), None)
            if own is not None:
                picked.append(own)
    if len(row.text) < 40 and len(picked) == 1 and k + 1 < len(rows) and rows[k + 1].clause == row.clause:
        picked.append(k + 1)   # "四是规范财务管理。" says what; the next sentence says how
    picked.sort()
    return Quote(pack.clauses[row.clause], tuple(rows[j].text for j in picked), round(min(score, 100.0), 1))


def form_only(question: str) -> bool:
    """Nothing but form words ("是什么？"): no content to look up."""
    return not _FORM.sub("", _clean(question))
