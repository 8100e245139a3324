"""One module per intent: its form (slots, prompts, validation) or its one-turn answer.

`FORMS` maps an intent to its form declaration (run by bot.dialog.engine); `HANDLERS` maps the other
intents (and pseudo-intents such as `menu`) to a function taking a `Turn` and returning reply
texts. A handler reads `turn.facts` (read-only: the message, its parse, the user's snapshot, the location, the
open ticket, the pack) and reads or writes records only through `turn.records` (bot.records.turn). Handlers never
touch XML, HTTP or SQL.
"""
from __future__ import annotations

from typing import Callable

from handlers import book_tuoguan, bookkeeping, join_nonghelian, loan_products
from handlers.base import Turn
from handlers.find_service_center import find_service_center
from handlers.forms import Form
from handlers.policy_faq import out_of_scope, policy_faq
from handlers.referrals import sell_produce, supplies
from handlers.small_talk import menu, template_reply
from handlers.check_status import check_status
from handlers.human_agent import human_agent
from handlers.voice import voice_unrecognized

FORMS: dict[str, Form] = {module.FORM.intent: module.FORM
                          for module in (join_nonghelian, book_tuoguan, loan_products, bookkeeping)}

HANDLERS: dict[str, Callable[[Turn], list[str]]] = {
    "find_service_center": find_service_center,
    "policy_faq": policy_faq,
    "human_agent": human_agent,
    "check_status": check_status,
    "supplies": supplies,
    "sell_produce": sell_produce,
    "greeting": menu,
    "menu": menu,
    "voice_unrecognized": voice_unrecognized,
    "media": template_reply("dialog/media"),
    "thanks_bye": template_reply("dialog/thanks_bye"),
    "out_of_scope": out_of_scope,
}

# Numbered menu replies and menu CLICK keys start the same flows.
MENU_CHOICES = {"1": "join_nonghelian", "2": "book_tuoguan", "3": "loan_products", "4": "bookkeeping",
                "5": "find_service_center", "6": "check_status", "7": "human_agent"}
MENU_KEYS = {"MENU_JOIN": "join_nonghelian", "MENU_TUOGUAN": "book_tuoguan", "MENU_LOAN": "loan_products",
             "MENU_DAIZHANG": "bookkeeping", "MENU_CENTER": "find_service_center", "MENU_STATUS": "check_status",
             "MENU_HUMAN": "human_agent"}

__all__ = ["FORMS", "HANDLERS", "MENU_CHOICES", "MENU_KEYS", "Turn"]
