"""The dialog responder: understands a message and hands it to the handler for its intent.

This is the first slice of the dialog engine: single-turn handlers (service centers, policy
answers, 转人工 tickets, status, small talk, the menu). Multi-turn forms that end in bookings,
memberships, loan and 代账 requests come next; until then those intents explain what the
service offers and how to reach a person.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.context import AppContext
from bot.db import transaction
from bot.inbound import Inbound, Outcome
from bot.models import Ticket
from handlers import HANDLERS, MENU_CHOICES, MENU_KEYS, Turn
from handlers.tickets import OPEN_STATES

# Events and message kinds answered without understanding text.
EVENT_INTENTS = {"subscribe": "welcome", "scan": "welcome"}
SILENT_EVENTS = {"unsubscribe", "view"}
FOLLOW_UP_INTENTS = {"out_of_scope", "human_agent"}


class DialogResponder:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def respond(self, inbound: Inbound) -> Outcome:
        if inbound.kind == "event" and inbound.event in SILENT_EVENTS:
            return Outcome()
        intent, parse = self._understand(inbound)
        with transaction(self.ctx.sessions) as session:
            turn = Turn(ctx=self.ctx, session=session, inbound=inbound, parse=parse)
            replies = HANDLERS[intent](turn)
        return Outcome(replies=replies, intent=intent, confidence=parse.confidence if parse else None)

    def _understand(self, inbound: Inbound) -> tuple[str, Any]:
        if inbound.kind == "event":
            if inbound.event == "click" and inbound.event_key in MENU_KEYS:
                return MENU_KEYS[inbound.event_key], None
            return EVENT_INTENTS.get(inbound.event or "", "menu"), None
        if inbound.kind == "location":
            return "find_service_center", None
        if inbound.kind == "voice" and not inbound.text:
            return "voice_unrecognized", None
        if not inbound.text:
            return "media", None
        digits = inbound.text.strip()
        if digits in MENU_CHOICES:
            return MENU_CHOICES[digits], None
        parse = self.ctx.nlu.parse(inbound.text, today=self.ctx.today())
        if parse.intent in FOLLOW_UP_INTENTS and self._has_open_ticket(inbound.openid):
            return "human_agent", parse  # a person is on it: what the bot can't place goes to them
        return parse.intent, parse

    def _has_open_ticket(self, openid: str) -> bool:
        with self.ctx.sessions() as session:
            return session.scalar(select(Ticket.id).where(Ticket.openid == openid,
                                                         Ticket.status.in_(OPEN_STATES)).limit(1)) is not None
