"""policy_faq: the document's answer with its source (title or 文号, and section); unanswered questions say so."""
from __future__ import annotations

from knowledge.faq import CONFIDENT_UNASKED, FaqAnswer, answer

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
