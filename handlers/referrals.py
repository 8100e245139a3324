"""supplies and sell_produce: refer the farmer to the nearest center that sells 农资 or runs 流通 (marketing)."""
from __future__ import annotations

from typing import Callable

from handlers.base import Turn
from knowledge.routing import nearest_centers

PLACEHOLDER = "待补充"


def referral(intent: str, service: str) -> Callable[[Turn], list[str]]:
    """Centers offering `service` near the township named or the location known; the county's otherwise."""

    def reply(turn: Turn) -> list[str]:
        pack = turn.ctx.pack
        user = turn.user()
        township = turn.slots.get("township") or (user.township if user else None)
        where = None if township else turn.location()  # read only when the township does not decide
        if township:
            found = nearest_centers(pack, township=township, service=service, limit=5)
        elif where:
            found = nearest_centers(pack, lat=where[0], lon=where[1], service=service, limit=5)
        else:
            found = []
        centers = [c for c in found if c.offers_service][:2]
        return [turn.render(f"dialog/{intent}", centers=centers, township=township, slots=turn.slots,
                            placeholder=PLACEHOLDER)]

    return reply


supplies = referral("supplies", "农资供应")
sell_produce = referral("sell_produce", "农产品流通")
