"""find_service_center: the nearest centers for a township name or a WeChat location."""
from __future__ import annotations

from knowledge.routing import nearest_centers, township_at

from handlers.base import Turn

PLACEHOLDER = "待补充"


def find_service_center(turn: Turn) -> list[str]:
    pack = turn.ctx.pack
    township = turn.slots.get("township")
    where = turn.location() if township is None else None
    if township is None and where is None:
        return [turn.render("dialog/ask_township")]
    if township is not None:
        found = nearest_centers(pack, township=township, service=turn.slots.get("service"))
    else:
        found = nearest_centers(pack, lat=where[0], lon=where[1], service=turn.slots.get("service"))
        near = township_at(pack, *where)
        township = near.name if near else None
    return [turn.render("dialog/centers", township=township, centers=found, placeholder=PLACEHOLDER)]
