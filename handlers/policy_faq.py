"""policy_faq: answer from the pack's FAQ with its source; unsure answers offer a person."""
from __future__ import annotations

from knowledge.faq import answer

from handlers.base import Turn


def policy_faq(turn: Turn) -> list[str]:
    pack = turn.ctx.pack
    found = answer(pack, turn.inbound.text or "")
    if found is None or not found.confident:
        return [turn.render("dialog/faq_unsure")]
    titles = {doc.id: doc.title for doc in pack.info.documents}
    source = found.entry.source
    return [turn.render("dialog/faq", answer=found.entry.answer, document=titles.get(source.doc, source.doc),
                        section=source.section)]
