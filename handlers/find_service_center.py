"""find_service_center: the centers for a township name or a WeChat location, by the one routing decision."""
from __future__ import annotations

from knowledge.routing import nonghelian_for, role_of, routes

from handlers.base import Turn
from handlers.policy_faq import document_answer

PLACEHOLDER = "待补充"


def find_service_center(turn: Turn) -> list[str]:
    facts = turn.facts
    pack = facts.pack
    told = document_answer(turn)
    if told is not None:
        return told
    slots = facts.slots
    township = slots.get("township")
    where = facts.location if township is None else None  # the township said wins over a location
    if township is None and where is None:
        return [turn.render("dialog/ask_township")]
    service = slots.get("service")
    found = routes(pack, role_of(pack, service) if service else None, township=township, location=where)
    township = found[0].township if found else township
    covering = nonghelian_for(pack, township) if township else None
    return [turn.render("dialog/centers", township=township, centers=found, placeholder=PLACEHOLDER,
                        by_location=bool(found and found[0].by_location),
                        nonghelian=covering.name if covering else None)]
