"""voice_unrecognized: a voice message WeChat did not transcribe; from the second one, a person calls back."""
from __future__ import annotations

from handlers.base import Turn
from handlers.human_agent import human_agent

# Untranscribed voice messages are counted this long: a farmer who only sends voice is not sent round the
# menu again and again.
COUNT_SECONDS = 24 * 3600
CALL_BACK_FROM = 2


def voice_unrecognized(turn: Turn) -> list[str]:
    if turn.records.count_unheard_voice(COUNT_SECONDS) < CALL_BACK_FROM:
        return [turn.render("gateway/voice_unrecognized")]
    human_agent(turn)  # a ticket (or the open one) carries the voice messages: staff play them
    ticket = turn.records.latest_ticket()
    user = turn.facts.user
    return [turn.render("dialog/voice_callback", ticket=ticket, phone=user.phone if user else None)]
