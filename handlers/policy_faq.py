"""policy_faq: the document's answer with its source (title or 文号, and section); unanswered questions say so.

Two kinds of evidence: the pack's FAQ entries and the document itself, clause by clause (knowledge.document).
A sentence of the document that holds the question's content is quoted as it stands; an FAQ entry answers when
the document's sentences do not; when neither holds what the question asks for (an amount, a phone number…)
the farmer is told plainly that the document does not say it, and offered a person — never a figure.
"""
from __future__ import annotations

from dataclasses import dataclass

from knowledge.coverage import cited
from knowledge.document import (QUOTE_CONFIDENT, TOPICAL, Quote, answers_kind, asks_a_kind, asks_a_name, best_quote,
                                lacks_name, unanswerable_kind)
from knowledge.faq import CONFIDENT, CONFIDENT_UNASKED, POLICY_KINDS, FaqAnswer, answer, ask_kinds, ranked

from bot.dialog.cues import is_question
from handlers.base import Turn

UNANSWERED_CUES = ("待补充", "没有写", "没写", "未写", "没有规定", "没有列出", "未列出", "没有明确")
FAQ_DECIDES = 85.0     # an FAQ entry this close (a listed question, nearly word for word) answers first
QUOTE_UNASKED = 70.0   # a message the NLU did not take as a policy question needs a closer sentence
CITED_QUOTE = 35.0     # a sentence of the clause an FAQ entry cites, this close, is quoted under the entry


def _document(pack, doc_id: str) -> dict[str, str]:
    doc = next((d for d in pack.info.documents if d.id == doc_id), None)
    title = doc.title if doc else doc_id
    number = doc.number if doc and doc.number and doc.number not in title else ""
    return {"document": title, "number": number}


def citation(pack, found: FaqAnswer) -> dict[str, str]:
    """The document as the farmer should read it cited: its title, its 文号 (once), the entry's section."""
    return {**_document(pack, found.entry.source.doc), "section": found.entry.source.section}


@dataclass(frozen=True)
class Found:
    """What answers a question: the document's sentence(s), an FAQ entry, or both (the entry, then the words of
    the clause it cites)."""

    quote: Quote | None = None
    faq: FaqAnswer | None = None


def _honest(entry_answer: str) -> bool:
    return any(cue in entry_answer for cue in UNANSWERED_CUES)


def lookup(pack, question: str, *, strict: bool = False) -> Found | None:
    """The document's sentence and/or an FAQ entry that answers the question (what it asks for included)."""
    threshold = CONFIDENT_UNASKED if strict else CONFIDENT
    # The closest entry that holds what is asked: "想贷款找哪个银行" passes over an entry on 担保 to the one
    # naming the bank.
    found = None
    for score, entry in ranked(pack, question):
        if score < threshold or unanswerable_kind(question, entry.answer):
            break   # the closest entry lacks the amount / phone asked: no other entry is asked about
        if not lacks_name(question, entry.answer):
            found = FaqAnswer(entry, round(score, 1), True)
            break
    quote = best_quote(pack, question)
    if quote is None or quote.score < (QUOTE_UNASKED if strict else QUOTE_CONFIDENT) \
            or not answers_kind(question, quote.text):
        quote = None
    if found is not None and found.score >= FAQ_DECIDES:
        # Asked nearly as an entry lists it: the county's own answer, with the clause's words when it cites them
        # (an entry that says the document lacks something stands alone: no figure beside it).
        cites = (found.entry.source.doc, cited_sections(found.entry.source.section))
        same_clause = quote is not None and quote.clause.doc == cites[0] and quote.clause.section.rstrip("、") in cites[1]
        if not same_clause:   # the document's own words from the clause the entry cites, when they hold the question
            quote = best_quote(pack, question, within=cites)
            if quote is not None and (quote.score < CITED_QUOTE or not answers_kind(question, quote.text)):
                quote = None
        # An entry saying the document lacks what is asked (an amount, a phone) stands alone: no figure beside it.
        return Found(None if _honest(found.entry.answer) and asks_a_kind(question) else quote, found)
    if quote is not None:
        return Found(quote)
    return Found(None, found) if found is not None else None


def cited_sections(section: str) -> set[str]:
    """The clause ids a `source.section` names, as clauses.yaml spells them (二（一）, 附件1.1, 一)."""
    return {c.lstrip("*") for c in cited(section)}


def topical(pack, question: str) -> bool:
    """The question is about what the document treats (even if it does not answer it)."""
    quote = best_quote(pack, question)
    found = answer(pack, question)
    return (quote is not None and quote.score >= TOPICAL) or (found is not None and found.score >= CONFIDENT)


def reply(turn: Turn, found: Found) -> str:
    pack = turn.ctx.pack
    quote = None
    if found.quote is not None:
        clause = found.quote.clause
        quote = {"text": found.quote.text, "section": clause.section.rstrip("、"), "title": clause.title,
                 "top": "（" not in clause.section and not clause.section.startswith("附件"),
                 **_document(pack, clause.doc)}
    if found.faq is None:
        return turn.render("dialog/quote", quote=quote)
    return turn.render("dialog/faq", answer=found.faq.entry.answer, quote=quote, **citation(pack, found.faq))


def respond(turn: Turn, *, strict: bool = False) -> tuple[list[str], bool]:
    """The answer, or the plain "the document does not say" with a person offered; and whether it answered."""
    found = lookup(turn.ctx.pack, turn.inbound.text or "", strict=strict)
    if found is None:
        return [turn.render("dialog/faq_unsure")], False
    return [reply(turn, found)], True


def policy_faq(turn: Turn) -> list[str]:
    return respond(turn)[0]


def out_of_scope(turn: Turn) -> list[str]:
    """Not taken as a policy question, or taken unsurely: still answered from the document when the evidence is
    clearly strong (a stricter bar than for policy questions); else the polite refusal and the menu."""
    text = turn.inbound.text or ""
    found = lookup(turn.ctx.pack, text, strict=True)
    if found is not None and found.quote is not None and not is_question(text):
        found = Found(None, found.faq) if found.faq is not None else None   # a word alone is not asked of the document
    if found is not None:
        return [reply(turn, found)]
    return [turn.render("dialog/out_of_scope")]


# Asks for an office's or a center's particulars (its phone, street, hours, where it sits), not for the nearest
# center: the document answers, or the farmer hears plainly that it does not say (never only "您在哪个乡镇？").
PARTICULARS = ("电话", "号码", "联系方式", "哪条街", "哪条路", "地址", "门牌", "几点", "上班", "下班", "开门", "关门",
               "营业时间", "办公时间", "设在", "办公室", "秘书处",
               # "15个区域性为农服务中心建在哪几个乡镇": where a counted plan's sites are, asked of the whole county
               "哪几个乡镇", "哪些乡镇", "哪几个镇", "哪些镇", "哪几个街道", "分别建在", "分别在哪", "都建在", "分布在")


def particulars_answer(turn: Turn) -> list[str] | None:
    """For the center finder, when the message names no place: a question on particulars ("为农服务中心电话是好多",
    "专班办公室设在哪") gets the document's answer, or "the document does not give it" with a person offered and the
    township asked (the centers' own records may hold it). None: not such a question."""
    text = turn.inbound.text or ""
    if not text or turn.slots.get("township") or turn.inbound.lat is not None \
            or not any(cue in text for cue in PARTICULARS):
        return None
    found = lookup(turn.ctx.pack, text)
    if found is not None:
        return [reply(turn, found)]
    return [turn.render("dialog/particulars_unsaid")]


def document_answer(turn: Turn) -> list[str] | None:
    """For a one-turn handler the NLU chose (center finder, 农资, 流通) when the message names no place, asks no
    "where" and is put as a policy question (how many, when, who, what is): a policy question the document
    clearly answers ("县里要发展多少家综合服务社") gets that answer, not "您在哪个乡镇？". None: let the handler answer."""
    text = turn.inbound.text or ""
    kinds = ask_kinds(text)
    if not text or turn.slots.get("township") or turn.inbound.lat is not None or "where" in kinds \
            or not (kinds & POLICY_KINDS or asks_a_name(text)):
        return None
    found = lookup(turn.ctx.pack, text, strict=True)
    return [reply(turn, found)] if found is not None else None
