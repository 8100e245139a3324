"""What each intent needs from a pack to be served, and whether a pack has it (`knowledge check`, the menu)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from knowledge.loader import Pack
from knowledge.routing import center_roles


@dataclass(frozen=True)
class Need:
    file: str                          # where the county would add what is missing
    what: str                          # what is missing, as the check says it
    met: Callable[[Pack], bool]


def _role(role: str, file: str = "centers.yaml") -> Need:
    return Need(file, f"no center with role `{role}`",
                lambda p: any(role in center_roles(p, c) for c in p.centers))


_TOWNSHIPS = Need("townships.yaml", "no township to ask for", lambda p: bool(p.townships))
# Forms ask a pack for roles and data, never for a county's strings; each offered intent must find them.
NEEDS: dict[str, tuple[Need, ...]] = {
    "book_tuoguan": (Need("crops.yaml", "no crop", lambda p: bool(p.crops)),
                     Need("services.yaml", "no 托管 service (category 托管 or role tuoguan)",
                          lambda p: any(s.role_name == "tuoguan" for s in p.services)),
                     _role("tuoguan"), _TOWNSHIPS),
    "join_nonghelian": (Need("pack.yaml", "no `join` offer and no 农合联 to join",
                             lambda p: p.info.join is not None or bool(p.nonghelian)),
                        _role("membership"), _TOWNSHIPS),
    "loan_products": (Need("loans.yaml", "no loan, insurance or guarantee product", lambda p: bool(p.loan_products)),
                      _role("finance"), _TOWNSHIPS),
    "bookkeeping": (_role("bookkeeping"),),
    "supplies": (_role("supplies"),),
    "sell_produce": (Need("centers.yaml", "no center with role `marketing` and no marketing programme",
                          lambda p: any("marketing" in center_roles(p, c) for c in p.centers)
                          or any(g.role == "marketing" for g in p.programmes)),),
    "find_service_center": (Need("centers.yaml", "no center", lambda p: bool(p.centers)), _TOWNSHIPS),
    "human_agent": (Need("centers.yaml", "no center to take tickets",
                         lambda p: bool(p.centers) or p.info.default_center is not None),),
    "policy_faq": (Need("faq.yaml", "no FAQ entry", lambda p: bool(p.faq)),),
}
INTENTS = ("join_nonghelian", "book_tuoguan", "loan_products", "bookkeeping", "find_service_center", "human_agent",
           "check_status", "policy_faq", "supplies", "sell_produce", "greeting", "thanks_bye", "out_of_scope")


def unmet(pack: Pack, intent: str) -> list[Need]:
    return [n for n in NEEDS.get(intent, ()) if not n.met(pack)]


def offered(pack: Pack) -> tuple[str, ...]:
    """The intents the pack offers: as `pack.yaml` declares them (the check holds the pack to it), else those
    its data can serve — the menu never offers what the county cannot do."""
    if pack.info.offers:
        return tuple(i for i in INTENTS if i in pack.info.offers)
    return tuple(i for i in INTENTS if not unmet(pack, i))
