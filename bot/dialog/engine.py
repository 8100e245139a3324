"""The dialog engine: a session per openid in the store, forms run from their declarations, other intents answered once.

Every inbound becomes one `Said` (reply texts + the intent they answer). A form (handlers/<intent>.py)
collects its slots over several turns — from slots given ahead, bare answers to the asked slot,
numbered options, corrections, a WeChat location — then shows a summary and, on a yes, writes the
record under an idempotency key made from the confirming message. The session lives in the store
(Redis or the embedded table) with the deployment's session TTL, so it outlives a restart.

Repair (issue 13; the cues live in bot/dialog/cues.py): only the slots a center needs to act are required
(`Slot.required`); the others are asked once and can be skipped ("不晓得/随便/跳过"). A slot's question climbs
a ladder (as declared → again with an example and ≤ 5 options → admitted, 跳过 / a person offered) and is
never asked a fourth time; the same reply is never sent three times in a row (`_unstick`). A filled slot
changes only with a correction cue or when its question is answered again. Numbered replies mean what the
last reply listed (`Conversation.listed`). 转人工 and complaints win in any state; while a ticket is open,
what the farmer writes goes to it unless it clearly starts a new request. Facts said in the conversation
(`Conversation.facts`) fill later forms and tickets; facts from earlier conversations (the user's row and
`profile`) are offered for confirmation. A submitted request is withdrawn or moved on request, with a
RequestEvent.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from typing import Any


from bot.context import AppContext
from bot.dialog.cues import (JOIN_VERBS, asks_back, is_complaint, member_type_is_wanted_thing, next_year_date,
                             continues, span_date, strong_submit, submits)
from bot.dialog.cues import (EARLIER, RESCHEDULE, SKIP, STRONG_CONFIRM, WITHDRAW, asks_information, asks_to_be_served,
                             corrects, digit_choice,
                             find_credit_code, has_any, is_question, is_remark, phone_in, read_amount, read_number, reads_as_answer,
                             skips, starts_request, strip_fillers, wants_person)
from bot.dialog.unit import MessageUnit, Outcome
from bot.wechat.inbound import Inbound, remember_location
from bot.records.models import REQUEST_KINDS, ServiceCenter, utcnow
from handlers import FORMS, HANDLERS, MENU_CHOICES, MENU_KEYS, Turn
from handlers.human_agent import tell_ticket
from handlers.policy_faq import document_answer, lookup, reply, topical
from knowledge.document import asks_a_kind
from knowledge.faq import ask_kinds
from knowledge.needs import unmet
from handlers.forms import (Form, Invalid, Slot, is_org_name, member_type_of_name, person_name, read_date,
                            read_org_name, read_township, scan_org_name, township_from_location)
from intents.dialog_acts import classify_act
from intents.reading import read

SILENT_EVENTS = {"unsubscribe", "view", "location"}
WELCOME_EVENTS = {"subscribe", "scan"}
CENTER_SCENE = "center:"
# Below this the NLU's first guess is not acted on: ask between the top two instead.
LOW_CONFIDENCE = 0.5
CLARIFY_SECOND = 0.12
NECK_AND_NECK = 0.1
NOT_CHOICES = {"out_of_scope", "greeting", "thanks_bye"}  # never offered as "您是想…" options
# A different intent this sure, mid-form, is a side question to answer before resuming.
INTERRUPTION = 0.6
# A form intent this sure, while a ticket is open, clearly starts a new request (else it goes to the ticket).
NEW_REQUEST = 0.6
ANSWERED_HERE = {"check_status", "thanks_bye", "greeting"}  # answered even while a ticket is open
MAX_FAILURES = 3
# Intents a question never takes from (a person, a request's status, courtesy); and the slots that show the farmer
# is giving a form its data, not asking about the document.
# A short answer that says what something is for: buying, building or renting a thing (the loan's purpose).
_USE_OF_MONEY = re.compile(r"(?:用来|拿来|主要是|想)?(?:买|购买|建|修|盖|扩大|扩建|租)[\u4e00-\u9fff]{1,8}$")
NOT_DOCUMENT = {"human_agent", "check_status", "greeting", "thanks_bye"}
# Slots that name one form's subject.
NAMES_A_FORM = ("product", "service")
PRICE_WORDS = ("收费", "价格", "价钱", "多少钱", "好多钱", "怎么收", "咋个收", "咋收", "几块钱")
# Slots that only a form's own data fills (not a place, a phone or a date any request may name): a message
# carrying one the form still lacks answers the form.
_OWN_DATA = ("area_mu", "amount_yuan", "credit_code")
GIVEN = ("area_mu", "amount_yuan", "phone", "date", "name", "org_name", "credit_code")
STUCK_INTENTS = {"out_of_scope", "clarify", "offer_person", "voice_unrecognized", "media"}
MAX_ASKS = 3          # never the same question more than this
HISTORY_ENTRIES = 12
CONFIRM, FIX, REMEMBER = "__confirm__", "__fix__", "__remember__"
STRONG_CANCEL = ("取消", "算了", "不办了", "不弄了", "不搞了", "退出")
KIND_WORDS = {"bookings": ("托管", "预约", "机收", "打药", "机耕", "飞防"), "loan_requests": ("贷款", "贷"),
              "bookkeeping_requests": ("代账", "记账"), "members": ("入会", "会员", "农合联")}
FACTS = ("township", "phone", "name", "member_type", "org_name", "credit_code")  # remembered across conversations
USER_COLUMNS_REMEMBERED = ("township", "phone")                                  # the others live in profile


def record_key(inbound: Inbound) -> str:
    """The idempotency key of a record: the user and the message that confirmed it."""
    return f"{inbound.openid}:{inbound.msg_id or inbound.create_time}"


@dataclass
class Conversation:
    """One user's dialog state, stored as JSON in `dialog_sessions` (bot.records.conversations)."""

    form: str | None = None
    slots: dict[str, Any] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)      # slot names in the order filled, for 上一步
    asked: str | None = None                             # slot asked last, CONFIRM, FIX or REMEMBER
    options: dict[str, Any] = field(default_factory=dict)  # "1" -> value offered with the last question
    submitting: str | None = None                        # record key being written (found again after a crash)
    failures: int = 0
    clarify: dict[str, Any] | None = None                # {"options": {"1": intent}, "slots": {...}}
    offer: str | None = None                             # "human" after repeated misunderstanding
    history: list[dict[str, str]] = field(default_factory=list)
    parked: dict[str, Any] | None = None                 # a form set aside for another one, resumed after it
    tries: dict[str, int] = field(default_factory=dict)  # how often each slot was asked in this form
    settled: list[str] = field(default_factory=list)     # slots not to ask again (optional ones asked once)
    listed: str | None = None                            # what the last reply numbered: menu|slot|confirm|fix|...
    facts: dict[str, Any] = field(default_factory=dict)  # what the farmer said in this conversation
    remembered: dict[str, Any] = field(default_factory=dict)  # earlier conversations' values, offered to confirm
    last_record: list[Any] | None = None                 # [kind, id] of the request submitted last
    ticket: int | None = None                            # the ticket opened in this conversation, while open
    held: list[str] = field(default_factory=list)        # optional questions kept open once for other answers
    heard: dict[str, Any] = field(default_factory=dict)  # slots said outside a form since the last one began
    before: list[str] = field(default_factory=list)      # the last texts said outside a form (read when one opens)
    resuming: bool = False                               # the last reply asked "继续刚才的…吗？"

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
        self.failures, self.submitting, self.tries, self.settled, self.remembered = 0, None, {}, [], {}
        self.held = []

    def end_form(self) -> None:
        self.form, self.slots, self.order, self.asked, self.options, self.submitting = None, {}, [], None, {}, None
        self.failures, self.tries, self.settled, self.remembered, self.held = 0, {}, [], {}, []

    def park(self) -> None:
        """Set the form aside; its pending question is asked again when it resumes."""
        settled = [n for n in self.settled if n != self.asked]
        self.parked = {"form": self.form, "slots": self.slots, "order": self.order, "settled": settled}

    def unpark(self) -> bool:
        """Back to the form set aside, if any (its answers kept, the next question asked afresh)."""
        if not self.parked:
            return False
        parked, self.parked = self.parked, None
        self.begin(parked["form"])
        self.slots, self.order = dict(parked["slots"]), list(parked["order"])
        self.settled = list(parked.get("settled") or [])
        return True

    def note(self, who: str, text: str) -> None:
        self.history = [*self.history, {"who": who, "text": text[:300]}][-HISTORY_ENTRIES:]


_CONVERSATION_FIELDS = tuple(f.name for f in fields(Conversation))


@dataclass
class Said:
    texts: list[str]
    intent: str | None = None
    confidence: float | None = None
    listed: str | None = None  # what this reply numbered (menu, slot, confirm, fix, clarify, human, remember)


def _prices_published(pack: Any, intent: str) -> bool:
    """The pack lists a price (a number, not 待补充) for what this form requests."""
    prices = {"book_tuoguan": [s.price_yuan for s in pack.services],
              "bookkeeping": [b.price_yuan_per_year for b in pack.bookkeeping_packages]}.get(intent, [])
    return any(isinstance(p, (int, float)) for p in prices)


class DialogResponder:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self._openings: dict[str, str] = {}  # intent -> forms/start without slots given

    # ---- one message unit ------------------------------------------------------------------
    def respond(self, unit: MessageUnit) -> Outcome:
        """The answer to one message unit (bot.dialog.unit): the conversation is read from the unit and left
        in it for the gateway to save; records are flushed into the unit's open transaction, which the
        gateway commits with the message log. The text is read once (intents.reading)."""
        inbound = unit.inbound
        if inbound.kind == "event" and inbound.event in SILENT_EVENTS:
            return Outcome()
        convo = Conversation.from_dict(unit.conversation)
        turn = Turn(ctx=self.ctx, open_session=None, inbound=inbound, convo=convo, user_row=unit.user,
                    pushed_location=unit.location, connection=unit.connection)
        if inbound.text:
            turn.reading = read(self.ctx.nlu, inbound.text.strip(), self.ctx.today())
        # "继续" to "继续刚才的…吗？" is read in this turn only (not a stored field's value).
        convo.just_resumed, convo.resuming = convo.resuming, False
        try:
            if convo.form and convo.asked == CONFIRM and self._confirm_act(turn) == "affirm":
                # Kept before the record is written: committed with it, so a retry's yes finds the record.
                convo.submitting = convo.submitting or record_key(inbound)
            said = self._dispatch(turn)
            said = self._unstick(turn, said)
        except BaseException:
            turn.finish(flush=False)
            raise
        turn.finish()  # its records flushed into the unit's transaction
        convo.listed = said.listed
        convo.note("farmer", _describe(inbound))
        convo.note("bot", "\n".join(said.texts))
        unit.conversation, unit.changed = convo.to_dict(), True
        return Outcome(replies=said.texts, intent=said.intent, confidence=said.confidence)

    def _unstick(self, turn: Turn, said: Said) -> Said:
        """Never the same reply three times in a row: the third time, the question is set aside (a form
        moves on) or a person is offered."""
        if not turn.convo.form and said.intent not in STUCK_INTENTS:
            return said  # the same answer to the same request (a status, a ticket) is not a loop
        text = "\n".join(said.texts)
        bot = [e["text"] for e in turn.convo.history if e["who"] == "bot"][-2:]
        if len(bot) < 2 or any(b != text for b in bot):
            return said
        convo = turn.convo
        form = FORMS.get(convo.form or "")
        slot = form.slot(convo.asked or "") if form else None
        if form is not None and slot is not None:
            self._settle(convo, slot.name)
            moved = self._next(turn, form, [turn.render("forms/skipped", label=slot.label)])
            if "\n".join(moved.texts) != text:
                return moved
        return self._offer_person(turn)

    def _dispatch(self, turn: Turn) -> Said:
        inbound = turn.inbound
        if inbound.kind == "event":
            return self._event(turn)
        if inbound.kind == "location":
            return self._location(turn)
        if inbound.kind == "voice" and not inbound.text:
            return self._unheard(turn, "voice_unrecognized")
        if not inbound.text or not inbound.text.strip():
            return self._unheard(turn, "media")
        return self._text(turn, inbound.text.strip())

    def _unheard(self, turn: Turn, intent: str) -> Said:
        """A voice message WeChat could not read, an image: mid-form the question is asked again (its
        options stay what numbers mean); otherwise the menu."""
        convo = turn.convo
        form = FORMS.get(convo.form or "")
        if form is not None:
            again = self._resume_question(turn, form)
            first = turn.render("forms/unheard", voice=intent == "voice_unrecognized", again=False)
            bot = [e["text"] for e in convo.history if e["who"] == "bot"][-1:]
            # A second voice in a row that could not be read: said otherwise (a noisy line is no refusal)
            lead = turn.render("forms/unheard", voice=intent == "voice_unrecognized",
                               again=bool(bot) and bot[0].startswith(first))
            return Said(["\n".join([lead, again.texts[0]])], intent, listed=again.listed)
        return Said(HANDLERS[intent](turn), intent, listed="menu")

    def _resume_question(self, turn: Turn, form: Form) -> Said:
        """The question pending, asked again without counting it as another try."""
        convo = turn.convo
        if convo.asked == CONFIRM:
            return self._summary(turn, form, [])
        slot = form.slot(convo.asked or "")
        if slot is not None:
            convo.tries[slot.name] = max(0, convo.tries.get(slot.name, 1) - 1)
            return self._ask(turn, form, slot, [])
        return self._next(turn, form, [])

    # ---- events and locations ------------------------------------------------------------
    def _event(self, turn: Turn) -> Said:
        inbound = turn.inbound
        if inbound.event == "click" and inbound.event_key in MENU_KEYS:
            return self._start(turn, MENU_KEYS[inbound.event_key], {})
        if inbound.event in WELCOME_EVENTS:
            center = self._bind_center(turn, inbound.event_key or "")
            return Said([turn.render("dialog/welcome", center=center)], "welcome", listed="menu")
        return Said(HANDLERS["menu"](turn), "menu", listed="menu")

    def _bind_center(self, turn: Turn, scene: str) -> ServiceCenter | None:
        """A center's QR code binds the farmer to it: tickets and staff follow-ups go there."""
        if not scene.startswith(CENTER_SCENE):
            return None
        return turn.records.bind_center(scene[len(CENTER_SCENE):])

    def _location(self, turn: Turn) -> Said:
        inbound, convo = turn.inbound, turn.convo
        remember_location(self.ctx.store, inbound)
        township = township_from_location(self.ctx.pack, inbound.lat, inbound.lon)
        if township:
            convo.facts["township"] = township
        form = FORMS.get(convo.form or "")
        place = next((s for s in form.slots if s.location), None) if form else None
        if form is None or place is None or (place.name in convo.slots and convo.asked != place.name):
            said = self._single(turn, "find_service_center")
            if form is not None:  # the form goes on: the centers, then the question pending
                again = self._resume_question(turn, form)
                return Said(["\n\n".join([*said.texts, turn.render("forms/resume", question=again.texts[0],
                                                                   title=self._title(form))])],
                            said.intent, listed=again.listed)
            if convo.clarify:  # a clarifying question is still open: ask it again after the centers
                choices = list(convo.clarify["options"].values())
                said.texts = ["\n\n".join([*said.texts, turn.render("dialog/clarify", choices=choices)])]
                said.listed = "clarify"
            return said
        convo.slots.update(lat=inbound.lat, lon=inbound.lon)
        lead = self._apply(turn, form, {place.name: township}) if township else []
        return self._next(turn, form, lead)

    # ---- text ----------------------------------------------------------------------------
    def _confirm_act(self, turn: Turn) -> str | None:
        """The message's act, where a bare digit is an act only when the last reply listed it as one
        (1 confirm, 2 change at a summary): "1" after the menu is 加入农合联, not a yes."""
        text = (turn.inbound.text or "").strip()
        choice = digit_choice(text) if text else None
        if choice is not None:
            if turn.convo.listed == "confirm" or (turn.convo.asked == CONFIRM and turn.convo.listed is None):
                return {"1": "affirm", "2": "deny"}.get(choice)
            return None
        return turn.act()

    def _parse(self, turn: Turn) -> Any:
        if turn.parse is None:
            turn.parse = turn.reading.parse() if turn.reading is not None else self.ctx.nlu.parse(
                turn.words(), today=self.ctx.today())
            if "member_type" in turn.parse.slots and self._names_product(turn.inbound.text or ""):
                # "惠农合作社保险，农户": who the farmer is, read outside the product's name
                rest = turn.inbound.text or ""
                for product in self.ctx.pack.loan_products:
                    for said in sorted((product.name, *product.aliases), key=len, reverse=True):
                        rest = rest.replace(said, " ") if said else rest
                kind = self.ctx.nlu.parse(rest, today=self.ctx.today()).slots.get("member_type")
                if kind:
                    turn.parse.slots["member_type"] = kind
            for name in FACTS:
                if name == "member_type" and self._not_who(turn.inbound.text or ""):
                    continue  # "想加入合作社": what they join, not who they are
                if name in turn.parse.slots:
                    turn.convo.facts[name] = turn.parse.slots[name]
            text = turn.inbound.text or ""
            if not turn.convo.form and text and not is_remark(text):
                # Said before a form opens ("我是石宝的，想问下…" then "我要托管"): the form takes it when it opens.
                heard = {k: v for k, v in turn.parse.slots.items()
                         if not (k == "member_type" and self._not_who(text))}
                turn.convo.heard = {**turn.convo.heard, **heard}
                turn.convo.before = [*turn.convo.before, text[:200]][-3:]
        return turn.parse

    def _text(self, turn: Turn, text: str) -> Said:
        convo = turn.convo
        act = self._confirm_act(turn)
        choice = digit_choice(text)
        if act == "affirm":
            for key in dict.fromkeys(k for k in (record_key(turn.inbound), convo.submitting) if k):
                found = self._record_by_key(turn, key)
                if found is not None:  # a retry, or a yes after a crash: the record exists already
                    convo.end_form()
                    return Said([self._done_text(turn, *found)], FORMS_BY_KIND[found[0]].intent)
        phone = phone_in(text)
        if phone:
            convo.facts["phone"] = phone
        if convo.offer == "human":
            convo.offer = None
            if (choice == "1" and convo.listed == "human") or (act == "affirm" and choice is None):
                return self._to_person(turn)
            if choice == "2" and convo.listed == "human" and convo.form:
                form = FORMS[convo.form]
                slot = form.slot(convo.asked or "")
                if slot is not None:
                    self._settle(convo, slot.name)
                return self._next(turn, form, [turn.render("forms/skipped", label=slot.label if slot else "")])
        if convo.offer and convo.offer.startswith("form:"):
            offered, convo.offer = convo.offer[5:], None
            said, convo.slots = (convo.slots, {}) if not convo.form else ({}, convo.slots)
            if act == "affirm" and choice is None and offered in FORMS:
                return self._start(turn, offered, said)  # "要得" after a policy answer and its offer
            if offered in FORMS and not asks_information(text):
                parse = self._parse(turn)
                elsewhere = parse.intent in FORMS or parse.intent in NOT_DOCUMENT or parse.intent == "find_service_center"
                if parse.intent == offered or (self._asks_to_join(text) or _BARE_JOIN.fullmatch(text.strip(" 。.!！，,"))) \
                        and offered == "join_nonghelian" or (
                        not elsewhere and any(FORMS[offered].slot(name) for name in parse.slots)) or (
                        self._says_who(turn, FORMS[offered], text)):
                    # "俺是郑家镇的家庭农场 想入": the farmer goes on with what was offered, in their own words
                    return self._start(turn, offered, {**said, **parse.slots}, confidence=parse.confidence)
        if wants_person(text) and not self._asks_for_work(turn, text):
            return self._to_person(turn)
        if convo.clarify:
            pending, convo.clarify = convo.clarify, None
            if choice is not None and choice in pending["options"] and convo.listed == "clarify":
                return self._start(turn, pending["options"][choice], pending["slots"])
            if choice is None:
                fitting = self._fitting_option(turn, list(pending["options"].values()))
                if fitting is not None:  # "25亩 拔山" after 买农资 / 预约托管: area → 托管
                    return self._start(turn, fitting, {**pending["slots"], **self._parse(turn).slots})
                held = self._parse(turn)
                if held.slots and set(held.slots) <= set(SHARED_SLOTS) and convo.failures < MAX_FAILURES and not (
                        held.intent in FORMS and held.confidence >= INTERRUPTION):
                    # "三泉" to "您是想 1… 2…": kept for whichever is chosen, and the choice asked again
                    convo.clarify = {**pending, "slots": {**pending["slots"], **held.slots}}
                    convo.failures += 1
                    choices = list(pending["options"].values())
                    return Said([turn.render("dialog/clarify", choices=choices)], "clarify", held.confidence,
                                listed="clarify")
        if convo.form:
            return self._in_form(turn, FORMS[convo.form], text, act, choice)
        changed = self._change_submitted(turn, text, act)
        if changed is not None:
            return changed
        if choice is not None and choice in MENU_CHOICES and convo.listed in (None, "menu"):
            if not self._offered(MENU_CHOICES[choice]):
                return self._single(turn, "menu")  # a digit for what this county does not offer
            return self._start(turn, MENU_CHOICES[choice], {})
        code = find_credit_code(text)
        if code is not None and "bookkeeping" in FORMS:
            return self._start(turn, "bookkeeping", {})
        parse = self._parse(turn)
        if convo.ticket and parse.intent not in ANSWERED_HERE:
            if not self._has_open_ticket(turn):
                convo.ticket = None  # resolved meanwhile
            elif parse.intent in FORMS and parse.confidence >= NEW_REQUEST and starts_request(text):
                tell_ticket(turn, turn.open_ticket().id, turn.render("dialog/ticket_new_request", text=text))
            else:
                return self._single(turn, "human_agent")  # a person is on it: what the farmer writes goes to them
        asked = self._document_question(turn, parse, text)
        if asked is not None:
            return asked
        if parse.intent != "join_nonghelian" and self._asks_to_join(text):
            return self._start(turn, "join_nonghelian", parse.slots, confidence=parse.confidence)
        if parse.intent not in ("check_status", "human_agent") and "贷" in text and parse.slots.get(
                "amount_yuan") and (
                "loan_products" in FORMS and self._offered("loan_products")):
            return self._start(turn, "loan_products", parse.slots, confidence=parse.confidence)  # 贷30万 托管用的
        if (parse.intent not in ("loan_products", "check_status", "human_agent") and self._offered("loan_products")
                and "loan_products" in FORMS and has_any(text, ("办", "贷", "申请", "产品", "业务"))
                and self._names_product(text) and not is_question(text)):
            # "我想办土地托管信贷政策，…买化肥": the loan product named says which request, before any 您是想…
            return self._start(turn, "loan_products", parse.slots, confidence=parse.confidence)
        choices = _clarification(parse)
        if choices:
            return self._clarify(turn, choices, parse)
        if parse.intent == "out_of_scope" and parse.confidence < LOW_CONFIDENCE:
            convo.failures += 1
            if convo.failures >= MAX_FAILURES:
                return self._offer_person(turn)
        else:
            convo.failures = 0
        intent = parse.intent
        if intent in FORMS and is_question(text) and "policy_faq" in HANDLERS:
            answered = document_answer(turn)  # "入会要交会费不": the document's answer first, then the offer
            if answered:
                convo.offer = f"form:{intent}"
                offer = turn.render("dialog/offer_form", title=self._title(FORMS[intent]))
                return Said(["\n\n".join([*answered, offer])], "policy_faq", parse.confidence)
        if intent in FORMS and not parse.actionable and not self._asks_to_join(text):
            ranked = [name for name, _ in parse.ranking if name not in NOT_CHOICES]
            if len(ranked) >= 2:
                return self._clarify(turn, ranked[:2], parse)  # not sure enough to open a form: which one?
            return self._single(turn, "out_of_scope", parse.confidence)
        if intent != "loan_products" and self._offered("loan_products") and "loan_products" in FORMS and has_any(
                text, ("办", "贷", "申请", "产品", "业务")) and self._names_product(text):
            intent = "loan_products"  # "我想办土地托管担保业务产品": a loan product the pack names
        if intent in ("find_service_center", "out_of_scope") and self._asks_to_join(text):
            intent = "join_nonghelian"  # "我们合作社想和合作社服务中心签约", "想入社": the county's join offer
        if (intent == "join_nonghelian" and "托管" in text and not self._asks_to_join(text)
                and not has_any(text, JOIN_VERBS) and self._offered("book_tuoguan") and "book_tuoguan" in FORMS):
            intent = "book_tuoguan"  # "土地股份合作社 三百亩地 想土地托管": a 合作社 asking for 托管, not joining one
        return self._start(turn, intent, parse.slots, confidence=parse.confidence)

    def _document_question(self, turn: Turn, parse: Any, text: str) -> Said | None:
        """A question about the document ("入农合联要交好多会费", "农合联管不管我这个镇", "有没有托管保险") is answered
        from it — or said plainly to be unanswered there — even when it names a topic a form serves; the form is
        offered after, in one line. A request put as a question, a place or a figure given, goes on as before."""
        if "policy_faq" not in HANDLERS or not asks_information(text):
            return None
        if parse.intent in NOT_DOCUMENT and not (parse.intent == "human_agent" and not wants_person(text)):
            return None   # "领导小组组长是谁" names a leader, asks for no person: the document answers
        if any(parse.slots.get(name) not in (None, "", []) for name in GIVEN):
            return None   # "我有30亩柑橘，托管要好多钱": the farmer is giving the form's data
        if parse.intent == "find_service_center" and (parse.slots.get("township") or "where" in ask_kinds(text)):
            return None
        if (parse.intent in FORMS or self._asks_to_join(text)) and asks_to_be_served(text):
            return None   # "茶园管护你们做不做", "家庭农场能不能贷助农贷", "基层社能入不": the form answers by going on
        if parse.intent in FORMS and has_any(text, PRICE_WORDS) and _prices_published(turn.ctx.pack, parse.intent):
            return None   # "托管咋个收费" where the county lists prices: the form's opening shows them, then books
        found = lookup(turn.ctx.pack, text)
        if found is None and parse.intent not in FORMS and parse.intent != "policy_faq" and not (
                parse.intent == "out_of_scope" and topical(turn.ctx.pack, text) or asks_a_kind(text)):
            return None   # the NLU's handler answers ("有人收柑橘不", "明天天气咋样")
        texts = [reply(turn, found)] if found is not None else [turn.render("dialog/faq_unsure")]
        offer = parse.intent if parse.intent in FORMS else self._form_named(parse)
        if offer is not None and self._offered(offer):
            turn.convo.offer = f"form:{offer}"
            turn.convo.slots = dict(parse.slots)   # "三社融合贷利息好多": the product goes into the form if taken up
            texts.append(turn.render("dialog/offer_form", title=self._title(FORMS[offer])))
        turn.convo.failures = 0
        return Said(["\n\n".join(texts)], "policy_faq", parse.confidence)

    def _says_who(self, turn: Turn, form: Any, text: str) -> bool:
        """After a form was offered, the farmer says who they are in their own words ("我屋头种了十几亩柑橘，
        就自己种", "我们是家庭农场"): the offered form's member-type question answers it, so the form goes on."""
        slot = form.slot("member_type")
        if slot is None or slot.read is None or self._not_who(text):
            return False
        return bool(slot.read(text, turn.ctx.pack))

    def _form_named(self, parse: Any) -> str | None:
        """The one form whose own slots (a loan product, a 托管 service) the question names: offered after it."""
        named = [name for name in parse.slots if name in NAMES_A_FORM]
        fits = [intent for intent, form in FORMS.items() if named and any(form.slot(n) for n in named)]
        return fits[0] if len(fits) == 1 else None

    def _fitting_option(self, turn: Turn, options: list[str]) -> str | None:
        """The one listed form whose own slots (not the shared township/phone/name) the answer fills."""
        parse = self._parse(turn)
        said = [name for name in parse.slots if name not in ("township", "phone", "name", "date")]
        if not said or parse.intent in options and parse.confidence >= INTERRUPTION:
            return parse.intent if said and parse.intent in options else None
        scores = {intent: sum(1 for name in said if FORMS[intent].slot(name)) for intent in options if intent in FORMS}
        best = max(scores.values(), default=0)
        winners = [intent for intent, n in scores.items() if n == best]
        return winners[0] if best and len(winners) == 1 else None

    def _only_place(self, text: str, township: Any) -> bool:
        """The message is a township and nothing else ("野鹤镇", "我是野鹤的")."""
        t = strip_fillers(text).strip(" 。.!！，,")
        for lead in ("我是", "俺是", "我在", "俺在", "在", "是"):
            t = t.removeprefix(lead)
        t = t.removesuffix("的").removesuffix("这边").removesuffix("那边")
        return bool(t) and len(t) <= len(str(township)) and read_township(t, self.ctx.pack) == township

    def _not_who(self, text: str) -> bool:
        """The member type read in the message is not who the farmer is: the thing joined ("想加入合作社"), or
        words inside a loan product's name ("规范化农民合作社金融重点支持")."""
        if member_type_is_wanted_thing(text):
            return True
        names = [said for p in self.ctx.pack.loan_products for said in (p.name, *p.aliases) if said and said in text]
        if not names:
            return False
        for said in sorted(names, key=len, reverse=True):
            text = text.replace(said, " ")
        return not has_any(text, ("合作社", "农场", "农户", "散户", "公司", "企业", "村集体", "大户"))

    def _asks_for_work(self, turn: Turn, text: str) -> bool:
        """"剪花椒枝 你们有人来不", "找人来机耕": hands for a service, not a person to talk to."""
        if is_complaint(text) or has_any(text, ("人工", "客服", "领导", "负责人", "打给我", "打电话", "回电话", "真人",
                                                 "管事", "工作人员", "说话")):
            return False
        return "service" in self._parse(turn).slots

    def _names_product(self, text: str) -> bool:
        return any(p.name in text or any(len(a) >= 4 and a in text for a in p.aliases)
                   for p in self.ctx.pack.loan_products if p.name and len(p.name) >= 4)

    def _offered(self, intent: str) -> bool:
        offers = getattr(self.ctx.pack.info, "offers", None) or []
        return not offers or intent in offers or intent not in FORMS

    def _date_as_said(self, turn: Turn, value: Any) -> Any:
        """明年4月10号: the NLU reads 明年 alone; a span (月中, 下个礼拜) keeps the farmer's words."""
        said = turn.inbound.text or ""
        return next_year_date(said, self.ctx.today()) or (
            span_date(said) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(value)) else None) or value

    def _takes_unlisted(self, intent: str) -> bool:
        """A form the county does not offer is still taken as a request for staff when only a center playing its
        role is missing (the request goes to the county's default center); never when its data is missing."""
        pack = self.ctx.pack
        if pack.info.default_center is None and not pack.centers:
            return False
        return all(need.what.startswith("no center with role") for need in unmet(pack, intent))

    def _asks_to_join(self, text: str) -> bool:
        """The message names the county's join institution with a joining verb (the pack's `join` offer)."""
        join = getattr(self.ctx.pack.info, "join", None)
        if join is None or "join_nonghelian" not in FORMS or not self._offered("join_nonghelian"):
            return False
        for product in self.ctx.pack.loan_products:  # "规范化农民合作社金融重点支持" is a loan product's name
            for said in sorted((product.name, *product.aliases), key=len, reverse=True):
                if said:
                    text = text.replace(said, " ")
        if has_any(text, ("入社", "入会", "当社员", "当会员", "做社员", "成为社员", "成为会员")) or _JOIN_ORDERS.search(text):
            return True
        offer = join.name + join.description
        if "分会" in offer and _JOIN_BRANCH.search(text):
            return True  # 忠县: "想进那个生猪产业分会", "想加柑橘分会" — a 分会 the county's join offer includes
        words = [w for w in ("农合联", "合作社", "供销社", "基层社", "服务中心", "签约服务") if w in offer]
        if has_any(offer, ("办社", "组建")) and _FOUNDING.search(text) and not has_any(text, _OTHER_REQUESTS):
            return True  # 南川: 登记入社或办社意向 — "我们想成立合作社"
        return has_any(text, JOIN_VERBS) and has_any(text, tuple(words))

    def _to_person(self, turn: Turn) -> Said:
        """转人工 or a complaint, in any state: a ticket with everything the form had; the form ends."""
        convo = turn.convo
        if turn.inbound.text:
            self._parse(turn)
        said = self._single(turn, "human_agent")  # the ticket carries the form's slots, the facts and the turns
        ticket = turn.open_ticket()
        convo.ticket = ticket.id if ticket is not None else convo.ticket
        convo.end_form()
        convo.parked, convo.clarify = None, None
        return said

    def _clarify(self, turn: Turn, choices: list[str], parse: Any) -> Said:
        if not self._offered(choices[0]):   # the likelier reading is a form the county does not offer: say so
            return Said([turn.render("dialog/not_offered", intent=choices[0])], choices[0], parse.confidence)
        choices = [c for c in choices if self._offered(c)]
        fitting = self._fitting_option(turn, choices) if len(choices) > 1 and turn.inbound.text else None
        if fitting is not None and fitting in FORMS:  # "我想耕地，15亩": the area and the service say which one
            return self._start(turn, fitting, parse.slots, confidence=parse.confidence)
        if len(choices) == 1:
            return (self._start(turn, choices[0], parse.slots, confidence=parse.confidence) if choices[0] in FORMS
                    else self._single(turn, choices[0], parse.confidence))
        turn.convo.clarify = {"options": {str(i): name for i, name in enumerate(choices, 1)}, "slots": parse.slots}
        turn.convo.failures += 1
        return Said([turn.render("dialog/clarify", choices=choices)], "clarify", parse.confidence, listed="clarify")

    def _offer_person(self, turn: Turn, question: str | None = None) -> Said:
        """After repeated misunderstanding: a person on 1; anything else carries on where we were."""
        turn.convo.offer, turn.convo.failures = "human", 0
        return Said([turn.render("dialog/offer_person", question=question)], "offer_person", listed="human")

    def _single(self, turn: Turn, intent: str, confidence: float | None = None) -> Said:
        return Said(HANDLERS[intent](turn), intent, confidence, listed="menu" if intent in ("menu", "greeting")
                    else None)

    def _has_open_ticket(self, turn: Turn) -> bool:
        return turn.open_ticket() is not None  # read once: human_agent adds to the same ticket

    # ---- a request already submitted: withdraw or move it -------------------------------------
    def _change_submitted(self, turn: Turn, text: str, act: str | None) -> Said | None:
        convo = turn.convo
        withdraw = has_any(text, WITHDRAW) and (has_any(text, EARLIER) or convo.last_record is not None)
        move = has_any(text, RESCHEDULE) and not withdraw
        if not (withdraw or move):
            return None
        found = self._latest_record(turn, text)
        if found is None:
            return Said([turn.render("forms/nothing_to_change")], "check_status") if withdraw else None
        kind, record = found
        form = FORMS_BY_KIND[kind]
        if withdraw:
            turn.records.withdraw(kind, record, "农户在微信上取消", "农户取消")
            convo.last_record = None
            return Said([turn.render("forms/withdrawn", title=self._title(form), record=record)], "cancel")
        parse = self._parse(turn)
        changes = {name: value for name, value in parse.slots.items() if form.slot(name) and form.slot(name).asked}
        for name, value in self._extra_readings(turn, form, text, changes).items():  # "改成记账和年报"
            if form.slot(name) and form.slot(name).asked and name != "org_name":
                changes.setdefault(name, value)
        if not changes:
            return None
        changed, columns, slots = [], {}, dict(record.slots or {})
        for name, value in changes.items():
            slot = form.slot(name)
            if name == "date":
                value = self._date_as_said(turn, value)
            try:
                clean = slot.validate(value, turn) if slot.validate else value
            except Invalid as refused:
                return Said([turn.render(refused.template, **refused.data)], form.intent)
            column = slot.record_column
            if column and hasattr(record, column):
                columns[column] = clean
            slots[name] = clean
            changed.append((slot.label, slot.show(clean)))
        # Columns derived from the slots (代账's `service` from its needs) follow them, as the form's plan says.
        for column, value in form.plan(turn, dict(slots)).fields.items():
            if column in record.__table__.c and column not in ("center_id", "status") and value is not None:
                columns[column] = value
        turn.records.amend(kind, record, columns, slots,
                           "农户改了：" + "，".join(f"{label}{value}" for label, value in changed))
        return Said([turn.render("forms/rescheduled", title=self._title(form), record=record, changed=changed)],
                    form.intent)

    def _latest_record(self, turn: Turn, text: str) -> tuple[str, Any] | None:
        """The request the farmer means: the one submitted last in this conversation unless the text names
        another kind, else the latest open one of the kinds named (of any kind when none is)."""
        convo = turn.convo
        named = [kind for kind, words in KIND_WORDS.items() if has_any(text, words)]
        last = convo.last_record if convo.last_record and (not named or convo.last_record[0] in named) else None
        return turn.records.latest_open_request(named or list(REQUEST_KINDS), tuple(last) if last else None)

    # ---- forms ---------------------------------------------------------------------------
    def _start(self, turn: Turn, intent: str, slots: dict[str, Any], confidence: float | None = None,
               note: str | None = None) -> Said:
        form = FORMS.get(intent)
        if form is None:
            return self._single(turn, intent, confidence)
        if not self._offered(intent):
            if not self._takes_unlisted(intent):   # no data to ask with (a 托管 form with no service at all)
                return Said([turn.render("dialog/not_offered", intent=intent)], intent, confidence)
            # 聊城 names no 代账: the request is taken for staff to answer, said plainly, nothing promised
            listed = turn.render("dialog/not_listed", intent=intent)
            note = f"{listed}\n{note}" if note else listed
        convo = turn.convo
        convo.begin(intent)
        given = {name: value for name, value in slots.items() if form.slot(name)}
        if "member_type" in given and self._not_who(turn.inbound.text or ""):
            given.pop("member_type")  # "想加入合作社": what they join, not who they are
        given.update(self._extra_readings(turn, form, turn.inbound.text or "", given, first=True))
        for name, value in convo.heard.items():  # said earlier, before the form opened
            if form.slot(name) and name not in given:
                given[name] = value
        for earlier in reversed(convo.before):
            if earlier != turn.inbound.text:
                for name, value in self._extra_readings(turn, form, earlier, given, first=True).items():
                    given.setdefault(name, value)
        convo.heard, convo.before = {}, []
        lead = self._apply(turn, form, given)
        self._prefill(turn, form)
        self._implied(turn, form)
        known = {k: v for k, v in convo.slots.items() if k not in ("lat", "lon")}
        lead.insert(0, self._opening(turn, form, known))
        if note:
            lead.insert(1, note)
        said = self._next(turn, form, lead)
        said.confidence = confidence
        return said

    def _opening(self, turn: Turn, form: Form, given: dict[str, Any]) -> str:
        """The form's first line. Without slots given it is the same for every farmer (the title and the
        pack's intro): rendered once per form, not on every start."""
        if given:
            return turn.render("forms/start", title=self._title(form), intent=form.intent, given=_shown(form, given),
                               pack=self.ctx.pack)
        opening = self._openings.get(form.intent)
        if opening is None:
            opening = self._openings[form.intent] = turn.render("forms/start", title=self._title(form), intent=form.intent,
                                                                given={}, pack=self.ctx.pack)
        return opening

    def _prefill(self, turn: Turn, form: Form) -> None:
        """What we know already: facts said in this conversation (kept), the user's from earlier ones
        (offered for confirmation: "还是石宝镇吗？"), a pushed location."""
        convo, user = turn.convo, turn.user()
        profile = (getattr(user, "profile", None) or {}) if user is not None else {}
        for slot in form.slots:
            if slot.name in convo.slots:
                continue
            said = convo.facts.get(slot.name) if slot.name in FACTS else None
            if said:
                self._apply(turn, form, {slot.name: said})
                continue
            key = slot.profile
            remembered = None
            if key and user is not None:
                remembered = getattr(user, key, None) if key in USER_COLUMNS_REMEMBERED else profile.get(key)
            if remembered:
                convo.remembered[slot.name] = remembered
            elif slot.location and turn.location():
                lat, lon = turn.location()
                township = township_from_location(self.ctx.pack, lat, lon)
                if township:
                    convo.slots.update({slot.name: township, "lat": lat, "lon": lon})

    def _extra_readings(self, turn: Turn, form: Form, text: str, given: dict[str, Any],
                        first: bool = False) -> dict[str, Any]:
        """Slots the NLU does not read but the form's own readers find anywhere in the message: a credit
        code (with its label, beside the name), a loan product the pack names."""
        found: dict[str, Any] = {}
        if not text:
            return found
        if form.slot("credit_code") and "credit_code" not in given:
            code = find_credit_code(text)
            if code is not None:
                found["credit_code"] = code[0]
                named = [part for part in re.split(r"[，,。；;！!\s]+", code[1]) if is_org_name(part)]
                if form.slot("org_name") and named and "org_name" not in turn.convo.slots:
                    found["org_name"] = read_org_name(named[0], self.ctx.pack) or named[0]
        for slot in form.slots:
            if slot.scan is not None and slot.name not in given and (first or not slot.scan_first):
                value = slot.scan(text, self.ctx.pack)
                if value:
                    found[slot.name] = value
        return found

    def _in_form(self, turn: Turn, form: Form, text: str, act: str | None, choice: str | None) -> Said:
        convo = turn.convo
        asked = form.slot(convo.asked or "")
        if act == "cancel" and asked is not None and not asked.required and not any(w in text for w in STRONG_CANCEL):
            act = "deny"  # "不用了" to an optional question skips it; only 取消/算了 drop the whole form
        if act == "cancel":
            convo.end_form()
            cancelled = turn.render("forms/cancelled", title=self._title(form), resuming=bool(convo.parked))
            return self._resume_parked(turn, Said([cancelled], "cancel", listed="menu"))
        if act == "restart":
            convo.begin(form.intent)
            return self._next(turn, form, [self._opening(turn, form, {})])
        if act == "back":
            return self._back(turn, form)
        if getattr(convo, "just_resumed", False) and choice is None and continues(text, convo.asked == CONFIRM):
            return self._resume_question(turn, form)  # "继续"/"要得" to "继续刚才的…吗？": the question again
        if act == "affirm" and choice is None and asks_back(text):
            act = None  # "可以不": a question back at a summary, not a yes
        if convo.asked in (CONFIRM, FIX) and act == "affirm" and choice is None and (
                convo.asked == CONFIRM or has_any(text, STRONG_CONFIRM)):
            return self._submit(turn, form)  # "确认" while choosing what to change: nothing to change
        if convo.asked == CONFIRM and (act == "affirm" or (choice is None and submits(text))):
            return self._submit(turn, form)  # 要得 提交, 中 提交吧, 对头就这样: yes in the farmer's words
        if (asked is not None and not asked.required and choice is None
                and (act == "affirm" or strong_submit(text))
                and not [s for s in form.missing_required(convo.slots) if s.name not in convo.settled]):
            return self._submit(turn, form)  # "确认"/"提交" to an optional question: the farmer is done
        if (asked is not None and asked.required and asked.free and choice is None and strong_submit(text)
                and asked.name not in convo.slots
                and [s.name for s in form.missing_required(convo.slots) if s.name not in convo.settled] == [asked.name]):
            self._settle(convo, asked.name)  # "没问题 提交吧" at the name: staff ask it when they call back
            return self._submit(turn, form)
        if convo.asked == REMEMBER and choice is None and act in ("affirm", "deny"):
            if act == "affirm":
                self._apply(turn, form, convo.remembered)
            convo.remembered = {}
            return self._next(turn, form, [])
        if choice is not None and convo.asked == REMEMBER and convo.listed == "remember":
            if choice == "1":
                self._apply(turn, form, convo.remembered)
            convo.remembered = {}
            return self._next(turn, form, [])
        if choice is not None and choice in MENU_CHOICES and convo.listed == "menu":
            pick = MENU_CHOICES[choice]
            if pick not in FORMS:
                return self._interrupted(turn, form, pick, None)  # "6" (进度) after the menu: answer, resume
        if choice is not None and convo.options and choice not in convo.options and convo.asked != FIX:
            again = self._resume_question(turn, form)  # a number the question did not list
            return Said(["\n".join([turn.render("forms/pick_listed", count=len(convo.options)), again.texts[0]])],
                        form.intent, listed=again.listed)
        if convo.asked == FIX and choice is not None and choice in convo.options:
            name = convo.options[choice]
            convo.slots.pop(name, None)
            convo.tries.pop(name, None)
            return self._ask(turn, form, form.slot(name), [])
        parse = self._parse(turn)
        side = (parse.intent not in (form.intent, "out_of_scope") and parse.confidence >= INTERRUPTION)
        code = find_credit_code(text)
        if side and code is not None and not code[1].strip():
            side = False  # "信用代码9350…" alone is who the farmer is (an answer, even unasked), never a new request
        if (side and asked is not None and asked.free and asked.read is not None and _USE_OF_MONEY.match(text.strip())
                and not is_question(text) and asked.read(text, self.ctx.pack)):
            side = False  # "买烘干机" to 贷款做什么用: what the money buys, not a booking of 烘干
        if side and parse.intent == "human_agent" and not wants_person(text):
            side = False  # "负责人黄永明": the farmer's own person in charge named, not ours asked for
        if side and any(name in _OWN_DATA and form.slot(name) is not None and name not in convo.slots
                        for name in parse.slots):
            side = False  # "三万五 买肥料和苗子" in a loan form: its amount, not a question about 农资
        if (asked is not None and choice is None and not asked.required and has_any(text, SKIP)
                and _names_subject(asked.label, text) and not is_question(text)):
            # "信用代码我回去找一哈 先不填": the question asked, put off in the farmer's words (not a loan request)
            self._settle(convo, asked.name)
            return self._next(turn, form, [turn.render("forms/skipped", label=asked.label)])
        updates: dict[str, Any] = {}
        lead: list[str] = []
        if asked is not None:
            if choice is None and skips(text) and not (asked.hint == "date" and read_date(text, self.ctx.pack)):
                self._settle(convo, asked.name)
                return self._next(turn, form, [turn.render("forms/skipped", label=asked.label)])
            if (choice is None and act == "affirm" and asked.free and asked.name not in convo.slots
                    and convo.tries.get(asked.name, 0) + convo.held.count(asked.name) >= 2):
                # "对" / "可以" to a name asked again with 跳过 offered: go on without it, never a loop
                self._settle(convo, asked.name)
                return self._next(turn, form, [turn.render("forms/skipped", label=asked.label)])
            value = self._read_answer(turn, asked, text, act, parse, choice, side)
            if value is not None:
                updates[asked.name] = value
        remark = is_remark(text)
        if not updates and not side and not remark and not is_question(text) and choice is None:
            updates = self._other_slot(turn, form, text, asked)  # "周志强" to the 身份 question: the name
        if updates or not side:
            # Slots the message carries besides the answer: new ones, or a correction ("不对，是40亩").
            correcting = corrects(text) or convo.asked in (CONFIRM, FIX)
            for name, value in parse.slots.items():
                slot = form.slot(name)
                if slot is None or name in updates or convo.slots.get(name) == value:
                    continue
                if name == "member_type" and self._not_who(text):
                    continue
                if name in convo.slots and not correcting and not (
                        name == "township" and self._only_place(text, value)):
                    continue  # (a township said alone is the farmer's latest word on where: it wins)
                updates[name] = value
            for name, value in self._extra_readings(turn, form, text, updates).items():
                before = convo.slots.get(name)
                if before != value and (name not in convo.slots or correcting or name == "credit_code"):
                    updates.setdefault(name, value)
                elif isinstance(before, list) and isinstance(value, list) and not set(value) <= set(before):
                    updates.setdefault(name, [*before, *(v for v in value if v not in before)])  # 记账 → +报税
        if remark and set(updates) <= {"date"} and (asked is None or asked.name != "date" or "date" not in updates
                                                      or not read_date(text, self.ctx.pack)):
            updates = {}  # "今天好热": a remark, not a date
        if remark and convo.asked in (CONFIRM, FIX) and not corrects(text):
            updates = {}  # "今年橘子价钱太孬了" at the summary: a remark, not a change of crop
        if convo.asked == REMEMBER:
            for name, value in convo.remembered.items():  # not contradicted: taken as confirmed
                if name not in updates and name not in convo.slots:
                    self._apply(turn, form, {name: value})
            convo.remembered = {}
            if not updates:
                return self._next(turn, form, [])
        if updates:
            convo.failures = 0
            ahead = [name for name in updates if name not in convo.slots and (asked is None or name != asked.name)]
            lead = self._apply(turn, form, updates)
            noted = {name: convo.slots[name] for name in ahead if name in convo.slots}
            if asked is not None and asked.name not in updates and asked.name not in convo.slots:
                # The question asked is still open: say the other answers were kept, not ignored, and ask
                # it again once as it was first asked.
                if noted:
                    lead.insert(0, turn.render("forms/noted", given=_shown(form, noted)))
                if asked.required or asked.name not in convo.held:
                    convo.held = [*convo.held, asked.name]
                    convo.tries[asked.name] = 0
                    convo.settled = [n for n in convo.settled if n != asked.name]
            return self._next(turn, form, lead)
        restated = {n: v for n, v in parse.slots.items() if form.slot(n) and convo.slots.get(n) == v}
        if restated and asked is not None and not side and not remark and not is_question(text):
            # "太平场镇" again, to the phone question: known already, said so, and the question stays
            again = self._resume_question(turn, form)
            return Said(["\n".join([turn.render("forms/noted", given=_shown(form, restated)), again.texts[0]])],
                        form.intent, listed=again.listed)
        if side:
            return self._interrupted(turn, form, parse.intent, parse.confidence)
        if is_question(text) and "policy_faq" in HANDLERS:
            return self._interrupted(turn, form, "policy_faq", parse.confidence)  # answered, never stored
        if remark:
            again = self._resume_question(turn, form)
            return Said(["\n".join([turn.render("forms/remark"), again.texts[0]])], form.intent,
                        listed=again.listed)
        if convo.asked == CONFIRM and act == "deny":
            return self._which_fix(turn, form)
        if convo.asked == REMEMBER:
            convo.remembered = {}
            return self._next(turn, form, [])
        if asked is not None and not asked.required and asked.name not in convo.slots:
            self._settle(convo, asked.name)  # an optional question is asked once
            return self._next(turn, form, [turn.render("forms/skipped", label=asked.label)])
        if asked is not None:
            return self._ask(turn, form, asked, [])  # the next step of the ladder
        convo.failures += 1
        if convo.failures >= MAX_FAILURES:
            said = self._next(turn, form, [])
            return self._offer_person(turn, question=said.texts[0])
        return self._next(turn, form, [turn.render("forms/not_understood")])

    def _read_answer(self, turn: Turn, slot: Slot, text: str, act: str | None, parse: Any, choice: str | None,
                     side: bool) -> Any:
        """The asked slot's value from a bare answer: a numbered option of this question, 'no' to an optional
        slot, the NLU's reading, a bare number, or the slot's own reader (free text only when it reads as
        an answer: never a question, a phone number, a place, a date or a request of its own)."""
        convo = turn.convo
        text = strip_fillers(text)
        if choice is not None:
            if convo.listed in ("slot", None) and choice in convo.options:
                return convo.options[choice]
            if convo.listed == "stuck":
                if choice == "1":
                    self._settle(convo, slot.name)
                return None
        if slot.skip is not None and act in ("deny", "cancel"):
            return slot.skip
        if slot.options and choice is None:
            label = _option_named(slot.options(convo.slots, self.ctx.pack), text)
            if label is not None:
                read = slot.read(text, self.ctx.pack) if slot.read else None
                if isinstance(label, list) and isinstance(read, list) and set(label) < set(read):
                    return read  # "报税和年报": both, not the one option whose label is in it
                return label
        if slot.free and act in ("deny", "cancel", "affirm"):
            return None
        if slot.hint:
            value = self.ctx.nlu.parse_slot_answer(text, slot.hint, today=self.ctx.today(), parsed=parse)
            if value is not None:
                return value
        if slot.number:
            reader = read_amount if slot.hint == "amount_yuan" else read_number
            text = _SPACED_PHONE.sub("，", text)  # "139 4802 6585，20张": the phone's digits are no count
            for part in [text, *re.split(r"[，,。；;\s]+", text)]:
                value = reader(part) if part else None
                if value is not None:
                    return value
        if slot.read:
            if slot.free:
                code = find_credit_code(text)
                text = self._free_clause(turn, slot, code[1] if code else text)
                if not text or (side and is_question(text)) or not reads_as_answer(
                        text, parse if text == turn.inbound.text else None):
                    return None
            return slot.read(text, self.ctx.pack)
        return None

    def _other_slot(self, turn: Turn, form: Form, text: str, asked: Slot | None) -> dict[str, Any]:
        """A bare answer that fits no question asked but reads plainly as another open free-text slot: a
        person's name ("王秀英" to the phone question, after the name was skipped), an organisation's name."""
        pack = self.ctx.pack
        kind = form.slot("member_type")
        if (kind is not None and kind.read is not None and kind.asked and "member_type" not in turn.convo.slots
                and (asked is None or asked.name != "member_type") and not self._not_who(text)):
            found = kind.read(text, pack)
            if found and not is_org_name(text.strip()) and not person_name(text, pack):
                return {"member_type": found}  # "就我自己种点地" to the name question: who the farmer is
        for slot in form.slots:
            if not slot.free or slot.name in turn.convo.slots or (asked is not None and slot.name == asked.name):
                continue
            if slot.name not in ("name", "org_name"):
                continue  # a purpose or a remark is never guessed
            org = scan_org_name(text, pack) if is_org_name(text.strip().strip("。.!！")) else None
            value = org or (person_name(text, pack) if slot.name == "name" else None)
            if value:
                return {slot.name: value}
        return {}

    def _free_clause(self, turn: Turn, slot: Slot, text: str) -> str | None:
        """The clause of a message with several answers that is the free-text one ("复兴镇，某某专业合作社"
        → the name): not a number, a phone, a place alone or another slot's words."""
        parts = [p for p in re.split(r"[，,。；;！!\s]+", text) if p]
        if len(parts) <= 1:
            return text
        form = FORMS.get(turn.convo.form or "")
        kept = []
        for part in parts:
            if any(ch.isdigit() for ch in part) or skips(part) or classify_act(part) or is_remark(part):
                continue
            if not is_org_name(part) and read_township(part, self.ctx.pack):
                continue
            if form is not None and any(s.scan is not None and s.name != slot.name and s.scan(part, self.ctx.pack)
                                        for s in form.slots):
                continue
            kind = form.slot("member_type") if form is not None and slot.name != "member_type" else None
            if kind is not None and kind.read is not None and not is_org_name(part) and kind.read(part, self.ctx.pack):
                continue  # "种植大户": who the farmer is, not the purpose
            kept.append(part)
        named = [p for p in kept if is_org_name(p) and read_org_name(p, self.ctx.pack)]  # not "农民合作社" alone
        # "姓冉 冉光辉": the part the slot's own reader takes (a surname alone is no name) before the first part
        readable = [p for p in kept if slot.read is not None and slot.read(p, self.ctx.pack)]
        return (named or readable or kept or [None])[0]

    def _apply(self, turn: Turn, form: Form, updates: dict[str, Any]) -> list[str]:
        """Validate and store values; returns what to tell the user (a correction, a value refused)."""
        convo, notes = turn.convo, []
        for name, value in updates.items():
            slot = form.slot(name)
            if slot is None:
                continue
            if name == "date":
                value = self._date_as_said(turn, value)
            try:
                clean = slot.validate(value, turn) if slot.validate else value
            except Invalid as refused:
                notes.append(turn.render(refused.template, **refused.data))
                continue
            before = convo.slots.get(name)
            convo.slots[name] = clean
            if name in FACTS:
                convo.facts[name] = clean
            convo.order = [*(n for n in convo.order if n != name), name]
            if before is not None and before != clean:
                notes.append(turn.render("forms/changed", label=slot.label, value=slot.show(clean)))
            kind = form.slot("member_type")
            if name in ("name", "org_name") and kind is not None and convo.asked != "member_type":
                implied = member_type_of_name({name: clean}, self.ctx.pack)
                if implied and convo.slots.get("member_type") not in (None, implied):
                    convo.slots["member_type"] = implied  # "几个家庭农场想办个合作社" + a 专业合作社's name
        return notes

    def _implied(self, turn: Turn, form: Form) -> None:
        convo = turn.convo
        for slot in form.slots:
            if slot.implied is not None and slot.name not in convo.slots:
                value = slot.implied(convo.slots, self.ctx.pack)
                if value is not None:
                    convo.slots[slot.name] = value

    def _settle(self, convo: Conversation, name: str) -> None:
        if name not in convo.settled:
            convo.settled = [*convo.settled, name]

    def _next(self, turn: Turn, form: Form, lead: list[str]) -> Said:
        convo = turn.convo
        self._implied(turn, form)
        offered = {k: v for k, v in convo.remembered.items() if k not in convo.slots}
        if offered:
            convo.remembered = offered
            convo.asked, convo.options = REMEMBER, {"1": True, "2": False}
            question = turn.render("forms/ask_remembered", given=_shown(form, offered))
            return Said(["\n".join([*lead, question])], form.intent, listed="remember")
        convo.remembered = {}
        missing = form.missing(convo.slots, convo.settled)
        if missing is not None:
            return self._ask(turn, form, missing, lead)
        return self._summary(turn, form, lead)

    def _ask(self, turn: Turn, form: Form, slot: Slot, lead: list[str]) -> Said:
        """The question for a slot, one step further on its ladder each time: as declared → again with an
        example and at most five options → admitted, with 跳过 / a person offered. Never a fourth time."""
        convo = turn.convo
        tries = convo.tries.get(slot.name, 0) + 1
        if tries + convo.held.count(slot.name) > MAX_ASKS:  # asked three times already, whatever the step
            self._settle(convo, slot.name)
            return self._next(turn, form, [*lead, turn.render("forms/skipped", label=slot.label)])
        convo.tries[slot.name] = tries
        if not slot.required:
            self._settle(convo, slot.name)  # optional: asked once
        options = slot.options(convo.slots, self.ctx.pack) if slot.options else []
        if tries == 3:
            convo.asked, convo.options = slot.name, {}
            question = turn.render("forms/ask_stuck", label=slot.label, example=slot.example)
            return Said(["\n".join([*lead, question])], form.intent, listed="stuck")
        if tries == 2:
            options = options[:5]
        convo.asked = slot.name
        convo.options = {str(i): value for i, (_, value) in enumerate(options, 1)}
        question = turn.render(slot.ask, options=[label for label, _ in options], slots=convo.slots,
                               title=self._title(form))
        if tries == 2:
            question = turn.render("forms/ask_again", question=question, example=slot.example,
                                   has_options=bool(options))
        return Said(["\n".join([*lead, question])], form.intent, listed="slot" if options else None)

    def _fallbacks(self, convo: Conversation, form: Form) -> None:
        """Everything was asked (or the farmer is done): what the answers imply fills what is still empty."""
        for slot in form.slots:
            if slot.fallback is not None and slot.name not in convo.slots:
                value = slot.fallback(convo.slots, self.ctx.pack)
                if value is not None:
                    convo.slots[slot.name] = value

    def _summary(self, turn: Turn, form: Form, lead: list[str]) -> Said:
        convo = turn.convo
        self._fallbacks(convo, form)
        plan = form.plan(turn, convo.slots)
        convo.asked, convo.options = CONFIRM, {}
        summary = turn.render(f"forms/summary_{form.intent}", slots=convo.slots, lines=form.lines(convo.slots),
                              title=self._title(form), center=self._center(plan.center_code), **plan.view)
        return Said(["\n".join([*lead, summary])], form.intent, listed="confirm")

    def _which_fix(self, turn: Turn, form: Form) -> Said:
        convo = turn.convo
        names = [s.name for s in form.slots if convo.slots.get(s.name) not in (None, "", [])]
        convo.asked, convo.options = FIX, {str(i): name for i, name in enumerate(names, 1)}
        lines = [(form.slot(n).label, form.slot(n).show(convo.slots[n])) for n in names]
        return Said([turn.render("forms/which_fix", lines=lines)], form.intent, listed="slot")

    def _back(self, turn: Turn, form: Form) -> Said:
        convo = turn.convo
        if not convo.order:
            return self._next(turn, form, [turn.render("forms/nothing_back")])
        name = convo.order[-1]
        convo.order = convo.order[:-1]
        convo.slots.pop(name, None)
        convo.tries.pop(name, None)
        convo.settled = [n for n in convo.settled if n not in (name, convo.asked)]
        convo.tries.pop(convo.asked or "", None)
        return self._ask(turn, form, form.slot(name), [])

    def _interrupted(self, turn: Turn, form: Form, intent: str, confidence: float | None) -> Said:
        """Answer the side question, then "继续刚才的…吗？" with the question pending. Another form is
        started at once with this one set aside, and this one resumes when that one ends."""
        if intent in FORMS and is_question(turn.inbound.text or "") and "policy_faq" in HANDLERS:
            intent = "policy_faq"  # "入会要交会费不": a question about another request, answered, not started
        if intent in FORMS and not turn.convo.parked:
            turn.convo.park()
            note = turn.render("forms/parked", title=self._title(form), other=self._title(FORMS[intent]))
            return self._start(turn, intent, turn.slots, confidence, note=note)
        if intent in FORMS:
            answer = [turn.render("forms/one_at_a_time", title=self._title(form), other=self._title(FORMS[intent]))]
        else:
            answer = HANDLERS[intent](turn)
        resume = self._resume_question(turn, form)
        joined = "\n\n".join([*answer, turn.render("forms/resume", question=resume.texts[0], title=self._title(form))])
        turn.convo.resuming = True
        return Said([joined], intent, confidence, listed=resume.listed)

    # ---- records -------------------------------------------------------------------------
    def _submit(self, turn: Turn, form: Form) -> Said:
        convo = turn.convo
        key = convo.submitting or record_key(turn.inbound)
        self._implied(turn, form)
        self._fallbacks(convo, form)
        user = turn.user()
        profile = dict((getattr(user, "profile", None) or {}) if user is not None else {})
        # What the farmer told us in this conversation (or earlier ones) fills what the form left open.
        known = {**{k: v for k, v in profile.items() if k in FACTS}, **convo.facts}
        for slot in form.slots:
            if slot.name not in convo.slots and slot.name in known and (not slot.asked or slot.name in FACTS):
                if slot.name in ("township", "phone") or not slot.asked:
                    convo.slots[slot.name] = known[slot.name]
        plan = form.plan(turn, convo.slots)
        model = REQUEST_KINDS[form.kind]
        center = turn.records.center(plan.center_code)
        now = utcnow()
        values = {name: value for name, value in plan.fields.items() if name in model.__table__.c}
        # the one an earlier attempt of the same confirmation wrote, when there is one
        record = turn.records.create_request(form.kind, dict(
            openid=turn.inbound.openid, idempotency_key=key, status="received", status_reason=None,
            center_id=center.id if center else None, slots=dict(convo.slots), created_at=now, updated_at=now,
            **values))
        self._remember(turn, convo.slots)
        convo.last_record = [form.kind, record.id]
        convo.end_form()
        return self._resume_parked(turn, Said([self._done_text(turn, form.kind, record)], form.intent))

    def _remember(self, turn: Turn, values: dict[str, Any]) -> None:
        """Keep the farmer's facts for their next conversations (offered for confirmation then)."""
        extra = {name: values[name] for name in FACTS if name not in USER_COLUMNS_REMEMBERED and values.get(name)}
        turn.records.update_profile(township=values.get("township"), phone=values.get("phone"), profile=extra)

    def _resume_parked(self, turn: Turn, said: Said) -> Said:
        """After a form ends (done or cancelled): carry on with the one set aside for it, if any."""
        if not turn.convo.unpark():
            return said
        parked = FORMS[turn.convo.form]
        self._prefill(turn, parked)  # e.g. the phone the other form just asked for
        question = self._next(turn, parked, [])
        said.texts = ["\n\n".join([*said.texts, turn.render("forms/unparked", title=self._title(parked),
                                                             question=question.texts[0])])]
        said.listed = question.listed
        return said

    def _record_by_key(self, turn: Turn, key: str) -> tuple[str, Any] | None:
        return turn.records.request_by_key(key)

    def _done_text(self, turn: Turn, kind: str, record: Any) -> str:
        center = turn.records.center_by_id(record.center_id)
        return turn.render(f"forms/done_{kind}", record=record, center=center,
                           title=self._title(FORMS_BY_KIND[kind]))

    def _title(self, form: Form) -> str:
        """The form's name as the county says it: joining is the pack's own offer where there is no 农合联
        (加入农民专业合作社登记), 入会申请 where there is."""
        join = getattr(self.ctx.pack.info, "join", None) if hasattr(self.ctx.pack, "info") else None
        if form.intent == "join_nonghelian" and join is not None and "农合联" not in join.name:
            return re.sub(r"[（(].*?[）)]", "", join.name) + "登记"
        tuoguan = getattr(self.ctx.pack.info, "tuoguan", None) if hasattr(self.ctx.pack, "info") else None
        if form.intent == "book_tuoguan" and tuoguan is not None:
            return f"{tuoguan.name}预约"
        return form.title

    def _center(self, code: str | None) -> Any:
        return self.ctx.pack.center(code) if code else None


# "入个合作社", "基层社能入不", "合作社咋个入": the joining verb before or after what is joined.
_JOIN_ORDERS = re.compile(r"入(个|一个|了)?(合作社|供销社|基层社|农合联)|(合作社|供销社|基层社|农合联)(能|可以|咋个|咋|怎么|怎样)?入(?![账库围口股])")
SHARED_SLOTS = ("township", "phone", "name", "date")  # slots every form has: they choose none of them
_JOIN_BRANCH = re.compile(r"(加入?|进|入|参加)[^，。,.？?]{0,8}分会")
_OTHER_REQUESTS = ("代账", "记账", "做账", "报税", "年报", "贷", "托管", "预约")
_FOUNDING = re.compile(r"(成立|组建|新办|办)(个|一个)?(农民)?(专业)?合作社")


def _names_subject(label: str, text: str) -> bool:
    """The message names what the question is about (代码 of 统一社会信用代码, 凭证 of 每月凭证)."""
    label = label.split("/")[0]
    return len(label) >= 2 and any(label[i:i + 2] in text for i in range(len(label) - 1))


# "那俺入", "我加入": yes to an offer to join, in a joining verb
_BARE_JOIN = re.compile(r"(?:那|那就|好|好的|行)?(?:俺|我|我们|俺们)?(?:就|也)?(?:要|想)?(?:入|加入|参加|入了|入吧|入呗)(?:吧|呗|啊|嘛)?")


_SPACED_PHONE = re.compile(r"(?<!\d)1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}(?!\d)")


def _option_named(options: list[tuple[str, Any]], text: str) -> Any:
    """The value of the one option the text names ("买农资" to a purpose question listing it)."""
    t = text.strip().strip("。.!！")
    found = [value for label, value in options if label == t or (len(label) >= 2 and label in t)]
    return found[0] if len(found) == 1 else None


def _shown(form: Form, values: dict[str, Any]) -> dict[str, str]:
    """{label: value as read} for the slots given, in the form's order."""
    shown = {(form.slot(n).label or n): form.slot(n).show(v) for n, v in values.items()
             if form.slot(n) is not None and v not in (None, "", [])}
    return {label: text for label, text in shown.items() if text}  # "无产业分会" reads as nothing


FORMS_BY_KIND = {form.kind: form for form in FORMS.values()}


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
