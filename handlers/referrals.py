"""supplies, sell_produce and other referrals: the centers that play a role (农资, 流通 …) for the farmer."""
from __future__ import annotations

from typing import Callable

from handlers.base import Turn
from handlers.policy_faq import document_answer
from knowledge.routing import routes

PLACEHOLDER = "待补充"


# Words that make a "sell" message a recycling or auction one (再生资源回收 and 资产拍卖 are sell_produce's too).
ROLE_WORDS = (("recycling", ("回收", "废旧", "废品", "农膜", "地膜", "农药瓶", "包装废弃物")), ("auction", ("拍卖", "竞拍", "产权交易")))


def _programmes(pack, role: str, text: str) -> tuple[str, list]:
    """The role the message is about and the pack's programmes to tell of: those it names first, else the role's
    (a 江津 farmer asking about 废旧农膜 hears of 回收, not of selling produce)."""
    named = [p for p in pack.programmes if any(w and w in text for w in (p.name, *p.aliases))]
    for other, words in ROLE_WORDS:
        if any(w in text for w in words):
            role = other
            break
    if named:
        role = named[0].role or role
    return role, named or [p for p in pack.programmes if (p.role or "") == role]


def referral(intent: str, role: str) -> Callable[[Turn], list[str]]:
    """Centers playing `role` for the township named (or known), else the location sent, by the one routing
    decision; the reply says why when the township's own center lacks it."""

    def reply(turn: Turn) -> list[str]:
        pack = turn.ctx.pack
        told = document_answer(turn)
        if told is not None:
            return told
        need, programmes = _programmes(pack, role, turn.inbound.text or "")
        user = turn.user()
        township = turn.slots.get("township") or (user.township if user else None)
        where = None if township else turn.location()  # read only when the township does not decide
        found = routes(pack, need, township=township, location=where, limit=2) if township or where else []
        found = [r for r in found if r.center is not None and r.reason != "default"]
        return [turn.render(f"dialog/{intent}", centers=found, township=found[0].township if found else township,
                            slots=turn.slots, placeholder=PLACEHOLDER, programmes=programmes, role=need)]

    return reply


supplies = referral("supplies", "supplies")
sell_produce = referral("sell_produce", "marketing")
