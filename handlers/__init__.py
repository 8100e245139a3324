"""One module per intent: its form (slots, prompts, validation) and what completing it does.

`HANDLERS` maps an intent (or a pseudo-intent such as `welcome`) to a function taking a `Turn`
and returning the reply texts. Handlers never touch XML or HTTP.
"""
from __future__ import annotations

from typing import Callable

from handlers.base import Turn
from handlers.centers import find_service_center
from handlers.policy import policy_faq
from handlers.small_talk import info_for, menu, template_reply
from handlers.status import check_status
from handlers.tickets import human_agent

HANDLERS: dict[str, Callable[[Turn], list[str]]] = {
    "find_service_center": find_service_center,
    "policy_faq": policy_faq,
    "human_agent": human_agent,
    "check_status": check_status,
    "greeting": menu,
    "menu": menu,
    "welcome": template_reply("gateway/welcome"),
    "voice_unrecognized": template_reply("gateway/voice_unrecognized"),
    "media": template_reply("dialog/media"),
    "thanks_bye": template_reply("dialog/thanks_bye"),
    "out_of_scope": template_reply("dialog/out_of_scope"),
    # Multi-turn forms come next; until then these explain the service and offer a person.
    "join_nonghelian": info_for("join_nonghelian"),
    "book_tuoguan": info_for("book_tuoguan"),
    "loan_products": info_for("loan_products"),
    "bookkeeping": info_for("bookkeeping"),
    "supplies": info_for("supplies"),
    "sell_produce": info_for("sell_produce"),
}

# Numbered menu replies and menu CLICK keys start the same flows.
MENU_CHOICES = {"1": "join_nonghelian", "2": "book_tuoguan", "3": "loan_products", "4": "bookkeeping",
                "5": "find_service_center", "6": "check_status", "7": "human_agent"}
MENU_KEYS = {"MENU_JOIN": "join_nonghelian", "MENU_TUOGUAN": "book_tuoguan", "MENU_LOAN": "loan_products",
             "MENU_DAIZHANG": "bookkeeping", "MENU_CENTER": "find_service_center", "MENU_STATUS": "check_status",
             "MENU_HUMAN": "human_agent"}

__all__ = ["HANDLERS", "MENU_CHOICES", "MENU_KEYS", "Turn"]
