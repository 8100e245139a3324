"""The dialog engine: a session per openid in the store, forms run from their declarations, other intents answered once.

Every inbound becomes one `Said` (reply texts + the intent they answer). A form (handlers/<intent>.py)
collects its slots over several turns — from slots given ahead, bare answers to the asked slot,
numbered options, corrections, a WeChat location — then shows a summary and, on a yes, writes the
record under an idempotency key made from the confirming message. The session lives in the store
(Redis or the embedded table) with the deployment's session TTL, so it outlives a restart.
"""
from __future__ import annotations

from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, fields
from typing import Any, Callable, Iterator

from sqlalchemy import bindparam, literal, select, union_all
from sqlalchemy.engine import Connection, Row
from sqlalchemy.orm import Session

from bot.context import AppContext
from bot.db import transaction
from bot import dialog_state
from bot.inbound import UNREAD, Inbound, Memory, Outcome, remember_location
from bot.models import REQUEST_KINDS, ServiceCenter, utcnow
from bot.wechat import split_for_wechat
from handlers import FORMS, HANDLERS, MENU_CHOICES, MENU_KEYS, Turn
from handlers.forms import Form, Invalid, Slot, township_from_location

SILENT_EVENTS = {"unsubscribe", "view", "location"}
WELCOME_EVENTS = {"subscribe", "scan"}
CENTER_SCENE = "center:"
FOLLOW_UP_INTENTS = {"out_of_scope", "human_agent"}
# Below this the NLU's first guess is not acted on: ask between the top two instead.
LOW_CONFIDENCE = 0.5
CLARIFY_SECOND = 0.12
NECK_AND_NECK = 0.1
NOT_CHOICES = {"out_of_scope", "greeting", "thanks_bye"}  # never offered as "您是想…" options
# A different intent this sure, mid-form, is a side question to answer before resuming.
INTERRUPTION = 0.6
MAX_FAILURES = 3
HISTORY_ENTRIES = 12
CONFIRM, FIX = "__confirm__", "__fix__"
STRONG_CANCEL = ("取消", "算了", "不办了", "不弄了", "不搞了", "退出")


def record_key(inbound: Inbound) -> str:
    """The idempotency key of a record: the user and the message that confirmed it."""
    return f"{inbound.openid}:{inbound.msg_id or inbound.create_time}"


@dataclass
class Conversation:
    """One user's dialog state, stored as JSON in `dialog_sessions` (bot.dialog_state)."""

    form: str | None = None
    slots: dict[str, Any] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)      # slot names in the order filled, for 上一步
    asked: str | None = None                             # slot asked last, CONFIRM, or FIX
    options: dict[str, Any] = field(default_factory=dict)  # "1" -> value offered with the last question
    submitting: str | None = None                        # record key being written (found again after a crash)
    failures: int = 0
    clarify: dict[str, Any] | None = None                # {"options": {"1": intent}, "slots": {...}}
    offer: str | None = None                             # "human" after repeated misunderstanding
    history: list[dict[str, str]] = field(default_factory=list)
    parked: dict[str, Any] | None = None                 # a form set aside for another one, resumed after it

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Conversation:
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in (data or {}).items() if k in known})

    def to_dict(self) -> dict[str, Any]:
        """The stored form. Shallow (dataclasses.asdict deep-copies every history entry, ~70 µs a
        message): the dict is serialised by the store and the conversation is not used after it."""
        return {name: getattr(self, name) for name in _CONVERSATION_FIELDS}

    def begin(self, intent: str) -> None:
        self.form, self.slots, self.order, self.asked, self.options = intent, {}, [], None, {}
        self.failures, self.submitting = 0, None

    def end_form(self) -> None:
        self.form, self.slots, self.order, self.asked, self.options, self.submitting = None, {}, [], None, {}, None
        self.failures = 0

    def park(self) -> None:
        self.parked = {"form": self.form, "slots": self.slots, "order": self.order}

    def unpark(self) -> bool:
        """Back to the form set aside, if any (its answers kept, the next question asked afresh)."""
        if not self.parked:
            return False
        parked, self.parked = self.parked, None
        self.begin(parked["form"])
        self.slots, self.order = dict(parked["slots"]), list(parked["order"])
        return True

    def note(self, who: str, text: str) -> None:
        self.history = [*self.history, {"who": who, "text": text[:300]}][-HISTORY_ENTRIES:]


_CONVERSATION_FIELDS = tuple(f.name for f in fields(Conversation))


@dataclass
class Said:
    texts: list[str]
    intent: str | None = None
    confidence: float | None = None


class DialogResponder:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self._openings: dict[str, str] = {}  # intent -> forms/start without slots given

    # ---- one inbound ---------------------------------------------------------------------
    def respond(self, inbound: Inbound, memory: Memory | None = None, connection: Connection | None = None,
                user: Row | None = None) -> Outcome:
        """The answer to one inbound. With `memory` (the gateway's), the session is read from and left
        in it for the gateway to save with the reply; without, it is loaded and saved here. With
        `connection` (the gateway's), records are flushed into its open transaction, which the gateway
        commits with the message log; without, they are committed here. `user` is the user's row as
        the gateway's upsert on that connection returned it (None: read when needed)."""
        if inbound.kind == "event" and inbound.event in SILENT_EVENTS:
            return Outcome()
        convo = Conversation.from_dict(memory.value) if memory is not None else self._load(inbound.openid)
        with self._transaction(connection) as open_session:
            turn = Turn(ctx=self.ctx, open_session=open_session, inbound=inbound, convo=convo, user_row=user,
                        pushed_location=memory.location if memory is not None else UNREAD, connection=connection)
            if convo.form and convo.asked == CONFIRM and turn.act() == "affirm":
                # Saved before the record is written: if we crash after the write, the next yes finds it.
                convo.submitting = convo.submitting or record_key(inbound)
                if memory is None:  # the gateway's memory commits with the record: nothing to save apart
                    self._save(inbound.openid, convo)
            said = self._dispatch(turn)
        convo.note("farmer", _describe(inbound))
        convo.note("bot", "\n".join(said.texts))
        if memory is not None:
            memory.value, memory.changed = convo.to_dict(), True
        else:
            self._save(inbound.openid, convo)
        replies = [piece for text in said.texts for piece in split_for_wechat(text)]
        return Outcome(replies=replies, intent=said.intent, confidence=said.confidence)

    @contextmanager
    def _transaction(self, connection: Connection | None) -> Iterator[Callable[[], Session]]:
        """What opens the turn's session, on first use only (most turns never touch it): on `connection`,
        flushed at the end into its transaction, which the caller commits or rolls back; without, in a
        transaction of its own committed here."""
        session: Session | None = None
        with ExitStack() as opened:
            def open_session() -> Session:
                nonlocal session
                if session is None:
                    session = opened.enter_context(transaction(self.ctx.sessions) if connection is None
                                                   else self.ctx.sessions(bind=connection))
                return session

            yield open_session
            if session is not None and connection is not None:
                session.flush()

    def _load(self, openid: str) -> Conversation:
        with self.ctx.engine.connect() as conn:
            return Conversation.from_dict(dialog_state.load(conn, openid))

    def _save(self, openid: str, convo: Conversation) -> None:
        with self.ctx.engine.begin() as conn:
            dialog_state.save(conn, openid, convo.to_dict(), self.ctx.settings.session_ttl_seconds)

    def _dispatch(self, turn: Turn) -> Said:
        inbound = turn.inbound
        if inbound.kind == "event":
            return self._event(turn)
        if inbound.kind == "location":
            return self._location(turn)
        if inbound.kind == "voice" and not inbound.text:
            return self._single(turn, "voice_unrecognized")
        if not inbound.text or not inbound.text.strip():
            return self._single(turn, "media")
        return self._text(turn, inbound.text.strip())

    # ---- events and locations ------------------------------------------------------------
    def _event(self, turn: Turn) -> Said:
        inbound = turn.inbound
        if inbound.event == "click" and inbound.event_key in MENU_KEYS:
            return self._start(turn, MENU_KEYS[inbound.event_key], {})
        if inbound.event in WELCOME_EVENTS:
            center = self._bind_center(turn, inbound.event_key or "")
            return Said([turn.render("dialog/welcome", center=center)], "welcome")
        return self._single(turn, "menu")

    def _bind_center(self, turn: Turn, scene: str) -> ServiceCenter | None:
        """A center's QR code binds the farmer to it: tickets and staff follow-ups go there."""
        if not scene.startswith(CENTER_SCENE):
            return None
        center = turn.center_row(scene[len(CENTER_SCENE):])
        if center is not None:
            turn.ensure_user().center_id = center.id
        return center

    def _location(self, turn: Turn) -> Said:
        inbound, convo = turn.inbound, turn.convo
        remember_location(self.ctx.store, inbound)
        form = FORMS.get(convo.form or "")
        place = next((s for s in form.slots if s.location), None) if form else None
        if form is None or place is None or (place.name in convo.slots and convo.asked != place.name):
            return self._single(turn, "find_service_center")
        township = township_from_location(self.ctx.pack, inbound.lat, inbound.lon)
        convo.slots.update(lat=inbound.lat, lon=inbound.lon)
        lead = self._apply(turn, form, {place.name: township}) if township else []
        return self._next(turn, form, lead)

    # ---- text ----------------------------------------------------------------------------
    def _text(self, turn: Turn, text: str) -> Said:
        convo, act = turn.convo, turn.act()
        if act == "affirm":
            for key in dict.fromkeys(k for k in (record_key(turn.inbound), convo.submitting) if k):
                found = self._record_by_key(turn, key)
                if found is not None:  # a retry, or a yes after a crash: the record exists already
                    convo.end_form()
                    return Said([self._done_text(turn, *found)], FORMS_BY_KIND[found[0]].intent)
        if convo.offer == "human":
            convo.offer = None
            if act == "affirm" and text not in convo.options:
                said = self._single(turn, "human_agent")  # the ticket carries the form's slots and the turns
                convo.end_form()
                return said
        if convo.clarify:
            pending, convo.clarify = convo.clarify, None
            if text in pending["options"]:
                return self._start(turn, pending["options"][text], pending["slots"])
        if convo.form:
            return self._in_form(turn, FORMS[convo.form], text, act)
        if text in MENU_CHOICES:
            return self._start(turn, MENU_CHOICES[text], {})
        parse = self.ctx.nlu.parse(turn.words(), today=self.ctx.today())
        turn.parse = parse
        if parse.intent in FOLLOW_UP_INTENTS and self._has_open_ticket(turn):
            return self._single(turn, "human_agent")  # a person is on it: what the bot can't place goes to them
        choices = _clarification(parse)
        if choices:
            return self._clarify(turn, choices, parse)
        if parse.intent == "out_of_scope" and parse.confidence < LOW_CONFIDENCE:
            convo.failures += 1
            if convo.failures >= MAX_FAILURES:
                return self._offer_person(turn)
        else:
            convo.failures = 0
        return self._start(turn, parse.intent, parse.slots, confidence=parse.confidence)

    def _clarify(self, turn: Turn, choices: list[str], parse: Any) -> Said:
        turn.convo.clarify = {"options": {str(i): name for i, name in enumerate(choices, 1)}, "slots": parse.slots}
        turn.convo.failures += 1
        return Said([turn.render("dialog/clarify", choices=choices)], "clarify", parse.confidence)

    def _offer_person(self, turn: Turn, question: str | None = None) -> Said:
        """After repeated misunderstanding: a person on 1; anything else carries on where we were."""
        turn.convo.offer, turn.convo.failures = "human", 0
        return Said([turn.render("dialog/offer_person", question=question)], "offer_person")

    def _single(self, turn: Turn, intent: str, confidence: float | None = None) -> Said:
        return Said(HANDLERS[intent](turn), intent, confidence)

    def _has_open_ticket(self, turn: Turn) -> bool:
        return turn.open_ticket() is not None  # read once: human_agent adds to the same ticket

    # ---- forms ---------------------------------------------------------------------------
    def _start(self, turn: Turn, intent: str, slots: dict[str, Any], confidence: float | None = None,
               note: str | None = None) -> Said:
        form = FORMS.get(intent)
        if form is None:
            return self._single(turn, intent, confidence)
        convo = turn.convo
        convo.begin(intent)
        given = {name: value for name, value in slots.items() if form.slot(name)}
        lead = self._apply(turn, form, given)
        self._prefill(turn, form)
        lead.insert(0, self._opening(turn, form, given and convo.slots))
        if note:
            lead.insert(1, note)
        said = self._next(turn, form, lead)
        said.confidence = confidence
        return said

    def _opening(self, turn: Turn, form: Form, given: dict[str, Any]) -> str:
        """The form's first line. Without slots given it is the same for every farmer (the title and the
        pack's intro): rendered once per form, not on every start (~100 µs: the intro's filters over the
        catalogue, or a lookup on disk for an intro the form has none of)."""
        if given:
            return turn.render("forms/start", title=form.title, intent=form.intent, given=given, pack=self.ctx.pack)
        opening = self._openings.get(form.intent)
        if opening is None:
            opening = self._openings[form.intent] = turn.render("forms/start", title=form.title, intent=form.intent,
                                                                given={}, pack=self.ctx.pack)
        return opening

    def _prefill(self, turn: Turn, form: Form) -> None:
        """What we already know: the user's phone and township from earlier requests, a pushed location."""
        convo, user = turn.convo, turn.user()
        for slot in form.slots:
            if slot.name in convo.slots:
                continue
            remembered = getattr(user, slot.profile, None) if user is not None and slot.profile else None
            if remembered:
                convo.slots[slot.name] = remembered
            elif slot.location and turn.location():
                lat, lon = turn.location()
                township = township_from_location(self.ctx.pack, lat, lon)
                if township:
                    convo.slots.update({slot.name: township, "lat": lat, "lon": lon})

    def _in_form(self, turn: Turn, form: Form, text: str, act: str | None) -> Said:
        convo = turn.convo
        asked = form.slot(convo.asked or "")
        if act == "cancel" and asked is not None and asked.skip is not None and not any(w in text for w in STRONG_CANCEL):
            act = "deny"  # "不用了" to an optional question skips it; only 取消/算了 drop the whole form
        if act == "cancel":
            convo.end_form()
            cancelled = turn.render("forms/cancelled", title=form.title, resuming=bool(convo.parked))
            return self._resume_parked(turn, Said([cancelled], "cancel"))
        if act == "restart":
            convo.begin(form.intent)
            return self._next(turn, form, [self._opening(turn, form, {})])
        if act == "back":
            return self._back(turn, form)
        if convo.asked == CONFIRM and act == "affirm":
            return self._submit(turn, form)
        menu_pick = MENU_CHOICES.get(text) if (convo.options or convo.asked == CONFIRM) else None
        if menu_pick and text not in convo.options and menu_pick not in FORMS:
            return self._interrupted(turn, form, menu_pick, None)  # "6" (进度) mid-form: answer, then resume
        parse = self.ctx.nlu.parse(turn.words(), today=self.ctx.today())
        turn.parse = parse
        side = (parse.intent not in (form.intent, "out_of_scope") and parse.confidence >= INTERRUPTION)
        updates: dict[str, Any] = {}
        if convo.asked == FIX and text in convo.options:
            name = convo.options[text]
            convo.slots.pop(name, None)
            return self._ask(turn, form, form.slot(name), [])
        if asked is not None:
            value = self._read_answer(turn, asked, text, act, parse, free=not side)
            if value is not None:
                updates[asked.name] = value
        if updates or not side:
            # Slots the message carries besides the answer: given ahead, or a correction ("不对，是40亩").
            updates.update({name: value for name, value in parse.slots.items()
                            if form.slot(name) and name not in updates and convo.slots.get(name) != value})
        if updates:
            convo.failures = 0
            ahead = [name for name in updates if name not in convo.slots and (asked is None or name != asked.name)]
            lead = self._apply(turn, form, updates)
            noted = {name: convo.slots[name] for name in ahead if name in convo.slots}
            if noted and (asked is None or asked.name not in updates):
                # The question asked is still open: say the other answers were kept, not ignored.
                lead.insert(0, turn.render("forms/noted", given=noted))
            return self._next(turn, form, lead)
        if side:
            return self._interrupted(turn, form, parse.intent, parse.confidence)
        if convo.asked == CONFIRM and act == "deny":
            return self._which_fix(turn, form)
        convo.failures += 1
        if convo.failures >= MAX_FAILURES:
            said = self._next(turn, form, [])
            return self._offer_person(turn, question=said.texts[0])
        return self._next(turn, form, [turn.render("forms/not_understood")])

    def _read_answer(self, turn: Turn, slot: Slot, text: str, act: str | None, parse: Any, free: bool) -> Any:
        """The asked slot's value from a bare answer: a numbered option, 'no' to an optional slot,
        the NLU's reading, or the slot's own reader (names and free text only when not a side question)."""
        convo = turn.convo
        if text in convo.options:
            return convo.options[text]
        if slot.skip is not None and act in ("deny", "cancel"):
            return slot.skip
        if slot.hint:
            value = self.ctx.nlu.parse_slot_answer(text, slot.hint, today=self.ctx.today(), parsed=parse)
            if value is not None:
                return value
        if slot.read and (free or not slot.free):
            return slot.read(text, self.ctx.pack)
        return None

    def _apply(self, turn: Turn, form: Form, updates: dict[str, Any]) -> list[str]:
        """Validate and store values; returns what to tell the user (a correction, a value refused)."""
        convo, notes = turn.convo, []
        for name, value in updates.items():
            slot = form.slot(name)
            try:
                clean = slot.validate(value, turn) if slot.validate else value
            except Invalid as refused:
                notes.append(turn.render(refused.template, **refused.data))
                continue
            before = convo.slots.get(name)
            convo.slots[name] = clean
            convo.order = [*(n for n in convo.order if n != name), name]
            if before is not None and before != clean:
                notes.append(turn.render("forms/changed", slot=name, value=clean))
        return notes

    def _next(self, turn: Turn, form: Form, lead: list[str]) -> Said:
        missing = form.missing(turn.convo.slots)
        if missing is not None:
            return self._ask(turn, form, missing, lead)
        return self._summary(turn, form, lead)

    def _ask(self, turn: Turn, form: Form, slot: Slot, lead: list[str]) -> Said:
        convo = turn.convo
        options = slot.options(convo.slots, self.ctx.pack) if slot.options else []
        convo.asked = slot.name
        convo.options = {str(i): value for i, (_, value) in enumerate(options, 1)}
        question = turn.render(slot.ask, options=[label for label, _ in options], slots=convo.slots,
                               title=form.title)
        return Said(["\n".join([*lead, question])], form.intent)

    def _summary(self, turn: Turn, form: Form, lead: list[str]) -> Said:
        convo = turn.convo
        plan = form.plan(turn, convo.slots)
        convo.asked, convo.options = CONFIRM, {}
        summary = turn.render(f"forms/summary_{form.intent}", slots=convo.slots, center=self._center(plan.center_code),
                              **plan.view)
        return Said(["\n".join([*lead, summary])], form.intent)

    def _which_fix(self, turn: Turn, form: Form) -> Said:
        convo = turn.convo
        names = [s.name for s in form.slots if s.name in convo.slots]
        convo.asked, convo.options = FIX, {str(i): name for i, name in enumerate(names, 1)}
        return Said([turn.render("forms/which_fix", names=names, slots=convo.slots)], form.intent)

    def _back(self, turn: Turn, form: Form) -> Said:
        convo = turn.convo
        if not convo.order:
            return self._next(turn, form, [turn.render("forms/nothing_back")])
        name = convo.order[-1]
        convo.order = convo.order[:-1]
        convo.slots.pop(name, None)
        return self._ask(turn, form, form.slot(name), [])

    def _interrupted(self, turn: Turn, form: Form, intent: str, confidence: float | None) -> Said:
        """Answer the side question, then re-ask where we were ("我们继续：…"). Another form is started
        at once with this one set aside, and this one resumes when that one ends (one set aside at a time)."""
        if intent in FORMS and not turn.convo.parked:
            turn.convo.park()
            note = turn.render("forms/parked", title=form.title, other=FORMS[intent].title)
            return self._start(turn, intent, turn.slots, confidence, note=note)
        if intent in FORMS:
            answer = [turn.render("forms/one_at_a_time", title=form.title, other=FORMS[intent].title)]
        else:
            answer = HANDLERS[intent](turn)
        resume = self._next(turn, form, [])
        joined = "\n\n".join([*answer, turn.render("forms/resume", question=resume.texts[0])])
        return Said([joined], intent, confidence)

    # ---- records -------------------------------------------------------------------------
    def _submit(self, turn: Turn, form: Form) -> Said:
        convo, session = turn.convo, turn.session
        key = convo.submitting or record_key(turn.inbound)
        plan = form.plan(turn, convo.slots)
        model = REQUEST_KINDS[form.kind]
        center = turn.center_row(plan.center_code)
        now = utcnow()
        record = turn.insert_once(model, dict(openid=turn.inbound.openid, idempotency_key=key, status="received",
                                              status_reason=None, center_id=center.id if center else None,
                                              slots=dict(convo.slots), created_at=now, updated_at=now, **plan.fields))
        if record is None:  # written by an earlier attempt of the same confirmation
            record = session.scalar(select(model).where(model.idempotency_key == key))
        user = turn.ensure_user()
        user.phone = convo.slots.get("phone") or user.phone
        user.township = convo.slots.get("township") or user.township
        convo.end_form()
        return self._resume_parked(turn, Said([self._done_text(turn, form.kind, record)], form.intent))

    def _resume_parked(self, turn: Turn, said: Said) -> Said:
        """After a form ends (done or cancelled): carry on with the one set aside for it, if any."""
        if not turn.convo.unpark():
            return said
        parked = FORMS[turn.convo.form]
        self._prefill(turn, parked)  # e.g. the phone the other form just asked for
        question = self._next(turn, parked, []).texts[0]
        said.texts = ["\n\n".join([*said.texts, turn.render("forms/unparked", title=parked.title,
                                                             question=question)])]
        return said

    def _record_by_key(self, turn: Turn, key: str) -> tuple[str, Any] | None:
        found = turn.session.execute(RECORD_BY_KEY, {"key": key}).first()
        if found is None:
            return None
        return found.kind, turn.session.get(REQUEST_KINDS[found.kind], found.id)

    def _done_text(self, turn: Turn, kind: str, record: Any) -> str:
        center = turn.session.get(ServiceCenter, record.center_id) if record.center_id else None
        return turn.render(f"forms/done_{kind}", record=record, center=center)

    def _center(self, code: str | None) -> Any:
        return self.ctx.pack.center(code) if code else None



FORMS_BY_KIND = {form.kind: form for form in FORMS.values()}
# Every "yes" looks for a record written under its key: one query over the request tables, not one each.
RECORD_BY_KEY = union_all(*(select(literal(kind).label("kind"), model.id).where(model.idempotency_key == bindparam("key"))
                            for kind, model in REQUEST_KINDS.items())).limit(1)


def _clarification(parse: Any) -> list[str] | None:
    """The top two service intents when the NLU is unsure, or when they run neck and neck."""
    ranked = [(name, conf) for name, conf in parse.ranking if name not in NOT_CHOICES]
    if len(ranked) < 2 or ranked[1][1] < CLARIFY_SECOND:
        return None
    unsure = parse.confidence < LOW_CONFIDENCE
    close = ranked[0][1] - ranked[1][1] < NECK_AND_NECK and parse.intent == ranked[0][0]
    return [ranked[0][0], ranked[1][0]] if unsure or close else None


def _describe(inbound: Inbound) -> str:
    if inbound.text:
        return inbound.text
    if inbound.kind == "location":
        return f"（发送位置）{inbound.label or ''}"
    if inbound.kind == "event":
        return f"（{inbound.event}）{inbound.event_key or ''}"
    return f"（{inbound.kind}）"
