"""policy_faq: the document's answer with its source (title or 文号, and section); unanswered questions say so."""
from __future__ import annotations

from knowledge.faq import CONFIDENT_UNASKED, POLICY_KINDS, FaqAnswer, answer, ask_kinds

from handlers.base import Turn


def citation(pack, found: FaqAnswer) -> dict[str, str]:
    """The document as the farmer should read it cited: its title, its 文号 (once), the entry's section."""
    source = found.entry.source
    doc = next((d for d in pack.info.documents if d.id == source.doc), None)
    title = doc.title if doc else source.doc
    number = doc.number if doc and doc.number and doc.number not in title else ""
    return {"document": title, "number": number, "section": source.section}


def faq_reply(turn: Turn, found: FaqAnswer) -> str:
    return turn.render("dialog/faq", answer=found.entry.answer, **citation(turn.ctx.pack, found))


def policy_faq(turn: Turn) -> list[str]:
    found = answer(turn.ctx.pack, turn.inbound.text or "")
    if found is None or not found.confident:
        return [turn.render("dialog/faq_unsure")]
    return [faq_reply(turn, found)]


def out_of_scope(turn: Turn) -> list[str]:
    """Not taken as a policy question, or taken unsurely: still answered from the document when the FAQ is
    clearly sure (a stricter bar than for policy questions); else the polite refusal and the menu."""
    found = answer(turn.ctx.pack, turn.inbound.text or "", threshold=CONFIDENT_UNASKED)
    if found is not None and found.confident:
        return [faq_reply(turn, found)]
    return [turn.render("dialog/out_of_scope")]


def document_answer(turn: Turn) -> list[str] | None:
    """For a one-turn handler the NLU chose (center finder, 农资, 流通) when the message names no place, asks no
    "where" and is put as a policy question (how many, when, who, what is): a policy question the document clearly answers ("县里要发展多少家综合服务社") gets that answer,
    not "您在哪个乡镇？". None: let the handler answer."""
    text = turn.inbound.text or ""
    kinds = ask_kinds(text)
    if not text or turn.slots.get("township") or turn.inbound.lat is not None or "where" in kinds \
            or not kinds & POLICY_KINDS:
        return None
    found = answer(turn.ctx.pack, text, threshold=CONFIDENT_UNASKED)
    return [faq_reply(turn, found)] if found is not None and found.confident else None
