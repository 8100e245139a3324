"""What a handler gets for one turn: the context, a transaction opened on first use, the message and its parse."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session, make_transient_to_detached

from bot.context import AppContext
from bot import fastpath
from bot.records.messages import USER_COLUMNS
from bot.store.db import dialect_insert
from bot.dialog.unit import UNREAD
from bot.wechat.inbound import Inbound, location_key
from bot.records.models import ServiceCenter, Ticket, WechatUser
from intents.dialog_acts import classify_act
from intents.normalize import Normalized

OPEN_STATES = ("open", "pending")  # a ticket in these is still being worked on: a new 转人工 adds to it
_users = WechatUser.__table__
# Built once: building a select costs more CPU per call than its cached compilation saves.
# What a turn reads of the user (its routing and profile) is what the gateway's upsert returns: USER_COLUMNS.
_USER = select(*USER_COLUMNS).where(_users.c.openid == bindparam("openid"))
_CENTER = select(ServiceCenter).where(ServiceCenter.code == bindparam("code"))
_tickets = Ticket.__table__
# The states as one bound value each, not an IN list: an expanding IN is rendered per execution, which
# the driver's precompiled statement (Turn.read) cannot do.
_OPEN_TICKET = (select(_tickets.c.id)
                .where(_tickets.c.openid == bindparam("openid"), or_(*(_tickets.c.status == s for s in OPEN_STATES)))
                .order_by(_tickets.c.id.desc()).limit(1))


@dataclass
class Turn:
    ctx: AppContext
    # the turn's session, opened when first asked for (`session`); None: on `connection`, closed by `finish`
    open_session: Callable[[], Session] | None
    inbound: Inbound
    parse: Any = None  # intents.Parse, None for events, menu digits and locations
    convo: Any = None  # bot.dialog.engine.Conversation: the user's dialog state (history for tickets)
    user_row: Any = None  # the user's wechat_users row as the gateway's upsert returned it (None: query it)
    pushed_location: Any = UNREAD  # the last pushed location as the gateway's claim read it (UNREAD: read it)
    connection: Any = None  # the unit's Connection (bot.dialog.unit.MessageUnit), its transaction the gateway's
    reading: Any = None  # intents.reading.Reading: the message's text read once (None: no text)
    _session: Session | None = field(default=None, init=False, repr=False)
    _words: Normalized | None = field(default=None, init=False, repr=False)
    _act: Any = field(default=False, init=False, repr=False)  # False: not classified yet
    _user: Any = field(default=None, init=False, repr=False)
    _user_read: bool = field(default=False, init=False, repr=False)
    _location: Any = field(default=False, init=False, repr=False)  # False: not read yet
    _ticket: Any = field(default=False, init=False, repr=False)  # False: not read yet

    @property
    def session(self) -> Session:
        """The turn's ORM session, opened on first use: most turns read and write nothing (~40-60 µs of a
        Session and its flush spared)."""
        if self._session is None:
            self._session = self.open_session() if self.open_session is not None else self.ctx.sessions(
                bind=self.connection)
        return self._session

    def finish(self, flush: bool = True) -> None:
        """The turn's writes flushed into the unit's transaction (the gateway commits or rolls it back; not
        after a failure), and the session it opened on the connection closed."""
        if self._session is not None and self.open_session is None:
            try:
                if flush:
                    self._session.flush()
            finally:
                self._session.close()

    def words(self) -> Normalized:
        """The message's text normalized, once per turn: its dialog act and its parse both read it
        (~25-90 µs a normalization)."""
        if self._words is None:
            self._words = self.reading.words if self.reading is not None else self.ctx.nlu.normalize(
                (self.inbound.text or "").strip())
        return self._words

    def act(self) -> str | None:
        """The message as a short reply inside a form (intents.dialog_acts), classified once per turn."""
        if self._act is False:
            self._act = self.reading.act if self.reading is not None else classify_act(self.words())
        return self._act

    @property
    def slots(self) -> dict[str, Any]:
        return dict(self.parse.slots) if self.parse is not None else {}

    def render(self, name: str, **data: Any) -> str:
        return self.ctx.templates.render(name, county=self.ctx.pack.info.county, **data)

    def user(self) -> Any:
        """The user's id, openid, center_id, township and phone, read once per turn (the prefill, routing
        and the submit all ask for it); None for a user not written yet. Read-only: `ensure_user` for
        changes, after which this is that persistent object. A plain row, not an ORM object, while
        nothing changes it: most turns only read it (~120 µs less than attaching one to the session)."""
        if not self._user_read:
            if self.user_row is not None:
                self._user = self.user_row
            else:
                self._user = self.session.execute(_USER, {"openid": self.inbound.openid}).first()
            self._user_read = True
        return self._user

    def ensure_user(self) -> WechatUser:
        """The user's row as a persistent object to change (flushed as an UPDATE), created now when this
        is their first message and no gateway upserted it first."""
        user = self.user()
        if user is None:
            user = WechatUser(openid=self.inbound.openid)
            self.session.add(user)
            self.session.flush()
        elif not isinstance(user, WechatUser):
            user = attached(self.session, WechatUser, user._asdict())  # a Row or a psycopg named tuple
        self._user = user
        return user

    def location(self) -> tuple[float, float] | None:
        """The location the user sent now, or the last one WeChat pushed (kept a day)."""
        if self.inbound.lat is not None and self.inbound.lon is not None:
            return self.inbound.lat, self.inbound.lon
        if self._location is False:  # one store read per turn, none when the gateway's claim read it
            known = self.pushed_location
            if known is UNREAD:
                known = self.ctx.store.get(location_key(self.inbound.openid))
            self._location = (known["lat"], known["lon"]) if known else None
        return self._location

    def open_ticket(self) -> Any:
        """The id of the user's latest ticket still open (a row), None when there is none; read once per
        turn (the dialog asks whether there is one before handing the message to human_agent, which adds
        to it). Its id is all either needs: no ORM object (~130 µs less)."""
        if self._ticket is False:
            found = self.read(_OPEN_TICKET, {"openid": self.inbound.openid})
            self._ticket = found[0] if found else None
        return self._ticket

    def read(self, statement: Any, values: dict[str, Any]) -> list[Any]:
        """The rows of a Core SELECT on tables (named tuples: columns by name or position). On PostgreSQL
        under the gateway's connection, while the turn has opened no session, it runs on psycopg's cursor
        (bot.fastpath, behind NONGBOT_FAST_PATHS): ~80 µs less CPU than the session's execute, and no session opened for a
        turn that only reads. Same rows: there is no session whose pending changes an execute would
        autoflush first, and the cursor is in the connection's transaction. Once a session is open, the
        session reads (and flushes what it holds)."""
        if self.connection is not None and self._session is None:
            driver = fastpath.driver_statement(self.ctx.engine, statement)
            if driver is not None:
                return driver.execute(self.connection, values).fetchall()
        return self.session.execute(statement, values).fetchall()

    def insert_once(self, model: type, values: dict[str, Any]) -> Any:
        """The row written under `values["idempotency_key"]`, as a persistent object; None when an earlier
        attempt of the same message wrote that key already (nothing is written then). One INSERT … ON
        CONFLICT DO NOTHING RETURNING id: no SAVEPOINT to roll back to (two round trips and an ORM flush)."""
        written = self.session.execute(_insert_once(self.ctx.engine, model.__table__), values).scalar()
        return None if written is None else attached(self.session, model, {"id": written, **values})

    def center_row(self, code: str | None) -> ServiceCenter | None:
        if code is None:
            return None
        return self.session.scalar(_CENTER, {"code": code})


_inserts_once: dict[tuple[str, str], Any] = {}


def _insert_once(engine: Any, table: Any) -> Any:
    """The INSERT of `insert_once`, built once per database kind and table."""
    stmt = _inserts_once.get((engine.dialect.name, table.name))
    if stmt is None:
        stmt = (dialect_insert(engine)(table).on_conflict_do_nothing(index_elements=[table.c.idempotency_key])
                .returning(table.c.id))
        _inserts_once[(engine.dialect.name, table.name)] = stmt
    return stmt


def attached(session: Session, model: type, values: Any) -> Any:
    """A row already written or read (`values`: its key and the columns known; the others load when
    touched) as a persistent object of `session`, without a SELECT: its changes flush as an UPDATE."""
    row = model(**values)
    make_transient_to_detached(row)
    session.add(row)
    return row
