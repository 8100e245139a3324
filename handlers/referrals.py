"""supplies, sell_produce and other referrals: the centers that play a role (农资, 流通 …) for the farmer."""
from __future__ import annotations

from typing import Callable

from handlers.base import Turn
from knowledge.routing import routes

PLACEHOLDER = "待补充"


def referral(intent: str, role: str) -> Callable[[Turn], list[str]]:
    """Centers playing `role` for the township named (or known), else the location sent, by the one routing
    decision; the reply says why when the township's own center lacks it."""

    def reply(turn: Turn) -> list[str]:
        pack = turn.ctx.pack
        user = turn.user()
        township = turn.slots.get("township") or (user.township if user else None)
        where = None if township else turn.location()  # read only when the township does not decide
        found = routes(pack, role, township=township, location=where, limit=2) if township or where else []
        found = [r for r in found if r.center is not None and r.reason != "default"]
        programmes = [p for p in pack.programmes if (p.role or "") == role]
        return [turn.render(f"dialog/{intent}", centers=found, township=found[0].township if found else township,
                            slots=turn.slots, placeholder=PLACEHOLDER, programmes=programmes)]

    return reply


supplies = referral("supplies", "supplies")
sell_produce = referral("sell_produce", "marketing")
