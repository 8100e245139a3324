"""The menu responder: answers every message with the service menu (the gateway's plain reply path).

The dialog engine (bot.dialog.DialogResponder) is the product's responder; this one serves
the benchmark's gateway-only path and tests that exercise the transport alone.
"""
from __future__ import annotations

from bot.context import AppContext
from bot.inbound import Inbound, Outcome

# Inbound kind/event -> template; None answers 'success' (nothing to say).
TEMPLATE_FOR = {
    "subscribe": "gateway/welcome",
    "scan": "gateway/welcome",
    "unsubscribe": None,
    "view": None,
    "voice_unrecognized": "gateway/voice_unrecognized",
}


class MenuResponder:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def respond(self, inbound: Inbound) -> Outcome:
        key = inbound.event or ("voice_unrecognized" if inbound.kind == "voice" and not inbound.text else inbound.kind)
        template = TEMPLATE_FOR.get(key, "gateway/menu")
        if template is None:
            return Outcome()
        return Outcome(replies=[self.ctx.templates.render(template, county=self.ctx.pack.info.county)])
