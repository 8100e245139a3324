"""human_agent: open a ticket for a person (or add to the open one) and route it to a center."""
from __future__ import annotations

from bot.dialog.cues import is_complaint
from bot.records.models import utcnow
from handlers.base import Turn
from knowledge.routing import route


def _center_code(turn: Turn) -> str | None:
    """The one routing decision (knowledge.routing.route) over what the farmer said in this conversation (a
    township named before 转人工 counts), their bound QR center, their township on record, their location."""
    user = turn.user()
    bound = turn.records.center_by_id(user.center_id).code if user is not None and user.center_id else None
    pack = turn.facts.pack
    convo = turn.convo
    said = {**((convo.facts or {}) if convo is not None else {}),
            **(convo.slots if convo is not None and convo.form else {}), **turn.slots}
    township = said.get("township")
    if not township and not bound:
        township = known_facts(turn).get("township")
    where = None if township or bound else turn.location()  # read only when nothing else decides
    found = route(pack, None, township=township, location=where, bound_center=bound)
    return found.center.code if found.center else pack.info.default_center


def known_facts(turn: Turn) -> dict:
    """Everything the farmer told us: earlier conversations (the user's row and profile), this one's facts,
    the form in progress, this message."""
    user, convo = turn.user(), turn.convo
    known: dict = {}
    if user is not None:
        known.update({k: v for k, v in user.profile.items() if v})
        known.update({k: getattr(user, k) for k in ("township", "phone") if getattr(user, k)})
    if convo is not None:
        known.update({k: v for k, v in (getattr(convo, "facts", None) or {}).items() if v})
        if convo.form:
            known.update({k: v for k, v in convo.slots.items() if v not in (None, "", [])})
    known.update(turn.slots)
    return known


def tell_ticket(turn: Turn, ticket_id: int, text: str) -> None:
    """A line on the ticket from the bot (e.g. the farmer started another request meanwhile)."""
    turn.records.add_to_ticket(ticket_id, "bot", text)


def human_agent(turn: Turn) -> list[str]:
    facts, records, now = turn.facts, turn.records, utcnow()
    inbound = facts.inbound
    text = inbound.text or ("（语音，未识别出文字）" if inbound.kind == "voice" else "（菜单：转人工）")
    ticket = facts.open_ticket
    if ticket is not None:
        # "我是石宝镇的，电话…" after 转人工: the ticket now knows where and how to call back
        slots = facts.slots
        records.add_to_ticket(ticket.id, "farmer", text, township=slots.get("township"), phone=slots.get("phone"))
        return [turn.render("dialog/ticket_added", ticket=ticket)]
    center = records.center(_center_code(turn))
    convo = turn.convo
    if facts.slots.get("township"):
        records.update_profile(township=facts.slots["township"])  # "石宝这边，转人工": the next form need not ask again
    slots = {k: v for k, v in known_facts(turn).items() if k not in ("lat", "lon")}
    intent = (convo.form if convo is not None and convo.form else None) or (turn.parse.intent if turn.parse else
                                                                            "human_agent")
    summary = turn.render("dialog/ticket_summary", text=text, intent=intent, slots=slots)
    key = f"ticket:{inbound.dedup_key}"
    values = dict(openid=inbound.openid, status="open", center_id=center.id if center else None, assignee_id=None,
                  reason="complaint" if is_complaint(text) else "human_agent", summary=summary[:500], intent=intent,
                  slots=slots, township=slots.get("township"), phone=slots.get("phone"), idempotency_key=key,
                  created_at=now, updated_at=now, last_user_message_at=now, first_response_at=None,
                  resolved_at=None)
    # The conversation so far on it, so the person taking over need not ask again (nothing added when the same
    # message was handled before: answered as the first time was).
    earlier = convo.history if convo is not None else []
    ticket, _ = records.create_ticket(values, [*((e["who"], e["text"]) for e in earlier), ("farmer", text)])
    return [turn.render("dialog/ticket_opened", ticket=ticket, center=center)]

