"""What a handler gets for one turn: read-only facts about the message, and the records it may read and write.

`Turn.facts` (`Facts`): the message, its reading and parse, the user's snapshot (`UserFacts`: township, phone,
name, member type, organisation, credit code), the last location, the open ticket, the pack. Nothing in it can
be set: a handler changes what is recorded only through `Turn.records` (bot.records.turn.TurnRecords, bound to
the unit's connection: every write and record query, one place for each). The facts read lazily (the user, the
open ticket, the location) are read once per turn, and the user and the open ticket follow the turn's own
writes through its records.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Callable

from bot.context import AppContext
from bot.dialog.unit import UNREAD
from bot.records.turn import TurnRecords
from bot.wechat.inbound import Inbound, location_key
from intents.dialog_acts import classify_act
from intents.normalize import Normalized

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

_EMPTY = MappingProxyType({})


@dataclass(frozen=True)
class UserFacts:
    """The user's row as it is now (id, openid, bound center, township, phone) and what they told us in earlier
    conversations (`profile`: name, member_type, org_name, credit_code), frozen."""

    id: int | None
    openid: str
    center_id: int | None = None
    township: str | None = None
    phone: str | None = None
    profile: Any = None  # a read-only mapping (MappingProxyType), empty when nothing was kept

    def __post_init__(self) -> None:
        if self.profile is None:
            object.__setattr__(self, "profile", _EMPTY)

    @property
    def name(self) -> str | None:
        return self.profile.get("name")

    @property
    def member_type(self) -> str | None:
        return self.profile.get("member_type")

    @property
    def org_name(self) -> str | None:
        return self.profile.get("org_name")

    @property
    def credit_code(self) -> str | None:
        return self.profile.get("credit_code")


def _user_facts(row: Any) -> UserFacts | None:
    if row is None:
        return None
    profile = row.profile
    return UserFacts(row.id, row.openid, row.center_id, row.township, row.phone,
                     MappingProxyType(dict(profile)) if profile else _EMPTY)


class _Lazily:
    """What a turn's facts read when first asked for, shared by the facts of one turn (private to it)."""

    __slots__ = ("turn", "user_row", "user", "user_version", "location", "pushed_location")

    def __init__(self, turn: Turn, user_row: Any, pushed_location: Any) -> None:
        self.turn, self.user_row, self.pushed_location = turn, user_row, pushed_location
        self.user: Any = UNREAD
        self.user_version = 0
        self.location: Any = UNREAD


class Facts:
    """What is known about one message, read-only: setting any attribute raises AttributeError.

    `inbound` (also `message`): the message as WeChat sent it; `reading`: its text read once
    (intents.reading.Reading, None without text); `parse`: the NLU's parse once the dialog asked for it (None
    for events, menu digits and locations); `slots`: a copy of the parse's slots; `user`: `UserFacts` or None
    for a user not written yet; `location`: (lat, lon) sent now or last pushed (kept a day), or None;
    `open_ticket`: the user's latest open ticket (its `id`) or None; `pack`: the county's knowledge pack."""

    __slots__ = ("inbound", "pack", "_lazily")

    def __init__(self, inbound: Inbound, pack: Any, lazily: _Lazily) -> None:
        put = object.__setattr__
        put(self, "inbound", inbound)
        put(self, "pack", pack)
        put(self, "_lazily", lazily)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"a turn's facts are read-only ({name}): write through turn.records")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"a turn's facts are read-only ({name})")

    @property
    def reading(self) -> Any:
        return self._lazily.turn.reading

    @property
    def parse(self) -> Any:
        return self._lazily.turn.parse

    @property
    def message(self) -> Inbound:
        return self.inbound

    @property
    def slots(self) -> dict[str, Any]:
        parse = self._lazily.turn.parse
        return dict(parse.slots) if parse is not None else {}

    @property
    def user(self) -> UserFacts | None:
        """The user's snapshot, read once per turn (the prefill, routing and the submit all ask for it), again
        only after the turn's records changed the user's row. From the gateway's upsert when it handed the row:
        most turns read nothing."""
        lazily = self._lazily
        records = lazily.turn._records
        version = records.user_version if records is not None else 0
        if lazily.user is UNREAD or lazily.user_version != version:
            row = lazily.user_row if lazily.user_row is not None and not version else lazily.turn.records.user_row()
            lazily.user, lazily.user_version = _user_facts(row), version
        return lazily.user

    @property
    def location(self) -> tuple[float, float] | None:
        """The location the user sent now, or the last one WeChat pushed (kept a day)."""
        inbound = self.inbound
        if inbound.lat is not None and inbound.lon is not None:
            return inbound.lat, inbound.lon
        lazily = self._lazily
        if lazily.location is UNREAD:  # one store read per turn, none when the gateway's claim read it
            known = lazily.pushed_location
            if known is UNREAD:
                known = lazily.turn.ctx.store.get(location_key(inbound.openid))
            lazily.location = (known["lat"], known["lon"]) if known else None
        return lazily.location

    @property
    def open_ticket(self) -> Any:
        """The user's latest ticket still open (a read-only row: its `id`), None when there is none; the ticket
        this turn opened once it has."""
        return self._lazily.turn.records.open_ticket()


class Turn:
    """What a handler gets for one turn: `facts` (read-only), `records` (every record read and write, on the
    unit's connection), `render`, and the dialog's conversation state (`convo`: the form in progress, what was
    said in this conversation, its history).

    `user_row`: the user's row as the gateway's upsert returned it (None: read it when asked);
    `pushed_location`: the last pushed location as the gateway's claim read it (UNREAD: read it when asked);
    `connection`: the unit's Connection (bot.dialog.unit.MessageUnit), its transaction the gateway's;
    `open_session`: a session of the caller's instead (tests and tools, no connection)."""

    def __init__(self, ctx: AppContext, open_session: Callable[[], Session] | None, inbound: Inbound,
                 parse: Any = None, convo: Any = None, user_row: Any = None, pushed_location: Any = UNREAD,
                 connection: Any = None, reading: Any = None) -> None:
        self.ctx, self.convo = ctx, convo
        self._open_session, self._connection = open_session, connection
        self._records: TurnRecords | None = None
        self._words: Normalized | None = None
        self._act: Any = False  # False: not classified yet
        # The message, its reading and parse (the dialog sets them once it has read and parsed the text) as plain
        # attributes, read many times a message; `facts` shows the same values, read-only.
        self.inbound, self.reading, self.parse = inbound, reading, parse
        self.facts = Facts(inbound, ctx.pack, _Lazily(self, user_row, pushed_location))

    @property
    def records(self) -> TurnRecords:
        """The turn's records, made when first asked for (a turn that reads its facts only never makes them)."""
        if self._records is None:
            lazily = self.facts._lazily
            self._records = TurnRecords(self.ctx, self.facts.inbound.openid, connection=self._connection,
                                        open_session=self._open_session, user_row=lazily.user_row)
        return self._records

    def finish(self, flush: bool = True) -> None:
        """The turn's writes flushed into the unit's transaction (the gateway commits or rolls it back; not
        after a failure)."""
        if self._records is not None:
            self._records.finish(flush)

    # ---- the facts, as the dialog and the handlers ask for them -----------------------------------------
    @property
    def slots(self) -> dict[str, Any]:
        return dict(self.parse.slots) if self.parse is not None else {}

    def user(self) -> UserFacts | None:
        return self.facts.user

    def location(self) -> tuple[float, float] | None:
        return self.facts.location

    def open_ticket(self) -> Any:
        return self.facts.open_ticket

    def words(self) -> Normalized:
        """The message's text normalized, once per turn: its dialog act and its parse both read it
        (~25-90 µs a normalization)."""
        if self._words is None:
            reading = self.reading
            self._words = reading.words if reading is not None else self.ctx.nlu.normalize(
                (self.inbound.text or "").strip())
        return self._words

    def act(self) -> str | None:
        """The message as a short reply inside a form (intents.dialog_acts), classified once per turn."""
        if self._act is False:
            reading = self.reading
            self._act = reading.act if reading is not None else classify_act(self.words())
        return self._act

    def render(self, name: str, **data: Any) -> str:
        return self.ctx.templates.render(name, county=self.ctx.pack.info.county, **data)
