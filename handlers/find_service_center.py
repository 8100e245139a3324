"""find_service_center: the centers for a township name or a WeChat location, by the one routing decision."""
from __future__ import annotations

from knowledge.routing import nonghelian_for, role_of, routes

from handlers.base import Turn
from handlers.policy_faq import document_answer, particulars_answer

PLACEHOLDER = "待补充"


def planned_network(pack, center) -> str | None:
    """A planned center that stands for a network the document only counts (忠县: 为农服务中心 "到2027年建成10个",
    no site named): the plan as the document states it, so the farmer reads a plan, not a place."""
    if center.status != "planned" or center.planned_count:
        return None
    inst = next((i for i in pack.institutions if i.status == "planned" and i.count and i.kind and i.kind in center.kind
                 and i.target), None)
    return f"{inst.kind}{inst.target}" if inst else None


def find_service_center(turn: Turn) -> list[str]:
    facts = turn.facts
    pack = facts.pack
    told = document_answer(turn) or particulars_answer(turn)
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
                        plans={r.center.code: plan for r in found if r.center and (plan := planned_network(pack, r.center))},
                        by_location=bool(found and found[0].by_location),
                        nonghelian=covering.name if covering else None)]
