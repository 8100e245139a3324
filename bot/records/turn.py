"""Every record one turn reads or writes, in one place, on the message unit's connection.

The dialog and the handlers get a `TurnRecords` (as `handlers.base.Turn.records`) and read or write records
only through it: the user's profile, requests (booking, member, loan, 代账), tickets and their messages, a
request withdrawn or changed, the status list. No SQL in the handlers or the dialog.

Reads run on the connection's cursor (bot.fastpath, behind NONGBOT_FAST_PATHS) while nothing is pending in the
turn's ORM session; writes go through a Session opened on the unit's connection on first use and flushed by
`finish` into the unit's transaction — the gateway commits or rolls it back with the message log
(bot.dialog.unit). A turn that only reads opens no session.
"""
from __future__ import annotations

from collections import namedtuple
from typing import Any, Callable

from sqlalchemy import (Float, String, Text, bindparam, cast, func, insert, literal, literal_column, null, or_, select,
                        union_all, update)
from sqlalchemy.orm import Session, make_transient_to_detached

from bot import fastpath
from bot.records.messages import USER_COLUMNS
from bot.records.models import (REQUEST_KINDS, RequestEvent, ServiceCenter, Ticket, TicketMessage, WechatUser,
                                utcnow)
from bot.store.db import dialect_insert

OPEN_STATES = ("open", "pending")  # a ticket in these is still being worked on: a new 转人工 adds to it
OPEN_RECORD_STATES = ("received", "confirmed", "scheduled")  # a request the farmer can still withdraw or move
TICKETS = "人工咨询"  # the status list's kind for tickets

_users = WechatUser.__table__
_tickets = Ticket.__table__
# Built once: building a select costs more CPU per call than its cached compilation saves.
# What a turn reads of the user (its routing and profile) is what the gateway's upsert returns: USER_COLUMNS.
_USER = select(*USER_COLUMNS).where(_users.c.openid == bindparam("openid"))
_CENTER = select(ServiceCenter).where(ServiceCenter.code == bindparam("code"))
# The states as one bound value each, not an IN list: an expanding IN is rendered per execution, which
# the driver's precompiled statement (`read`) cannot do.
_OPEN_TICKET = (select(_tickets.c.id)
                .where(_tickets.c.openid == bindparam("openid"), or_(*(_tickets.c.status == s for s in OPEN_STATES)))
                .order_by(_tickets.c.id.desc()).limit(1))
_LATEST_TICKET = select(Ticket).where(Ticket.openid == bindparam("openid")).order_by(Ticket.id.desc()).limit(1)
_messages_insert = insert(TicketMessage.__table__)
_ticket_touched = (update(_tickets).where(_tickets.c.id == bindparam("ticket_id"))
                   .values(last_user_message_at=bindparam("now"), status="open"))  # the farmer spoke last: staff's turn
_ticket_known = (update(_tickets).where(_tickets.c.id == bindparam("ticket_id"))
                 .values(township=func.coalesce(bindparam("township"), _tickets.c.township),
                         phone=func.coalesce(bindparam("phone"), _tickets.c.phone)))
# Every "yes" looks for a record written under its key: one query over the request tables, not one each.
RECORD_BY_KEY = union_all(*(select(literal(kind).label("kind"), model.id).where(model.idempotency_key == bindparam("key"))
                            for kind, model in REQUEST_KINDS.items())).limit(1)

# ---- the status list: each kind's latest five, then the tickets', in one round trip -----------------------
SHOWN, PER_KIND = 8, 5


def _latest(rank: int, table, reason, scheduled):  # noqa: ANN001, ANN202
    when, price = scheduled if scheduled else (cast(null(), String), cast(null(), Float))
    return select(select(literal_column(str(rank)).label("rank"), table.c.id, table.c.status,
                         reason.label("status_reason"), when.label("scheduled_for"), price.label("price"),
                         table.c.center_id)
                  .where(table.c.openid == bindparam("openid")).order_by(table.c.id.desc()).limit(PER_KIND)
                  .subquery())


# Core, on the tables: nothing of the turn is pending when a status is asked, so the ORM's autoflush has nothing
# to do. A request's schedule (date, agreed price) and its center's name and phone come along: "已排期" alone
# does not tell the farmer when, for how much, or whom to call.
STATUS_SOURCES = [(kind, model.__table__, model.__table__.c.status_reason,
                   (model.__table__.c.scheduled_for, model.__table__.c.agreed_price_yuan))
                  for kind, model in REQUEST_KINDS.items()]
STATUS_SOURCES.append((TICKETS, Ticket.__table__, cast(null(), Text), None))
_LATEST = union_all(*(_latest(rank, table, reason, scheduled)
                      for rank, (_, table, reason, scheduled) in enumerate(STATUS_SOURCES))).subquery()
_centers = ServiceCenter.__table__
STATUS_QUERY = (select(_LATEST.c.rank, _LATEST.c.id, _LATEST.c.status, _LATEST.c.status_reason,
                       _LATEST.c.scheduled_for, _LATEST.c.price, _centers.c.name, _centers.c.phone)
                .select_from(_LATEST.outerjoin(_centers, _centers.c.id == _LATEST.c.center_id))
                .order_by(_LATEST.c.rank, _LATEST.c.id.desc()).limit(SHOWN))

StatusLine = namedtuple("StatusLine", "kind id status reason scheduled_for price center center_phone")
OpenTicket = namedtuple("OpenTicket", "id")


class TurnRecords:
    """The records of one turn, bound to the unit's connection (`connection`; None: on a session of its own,
    `open_session`, as tests and tools use it). `user_row`: the user's row as the gateway's upsert returned it
    (USER_COLUMNS), None to read it when asked."""

    def __init__(self, ctx: Any, openid: str, connection: Any = None,
                 open_session: Callable[[], Session] | None = None, user_row: Any = None) -> None:
        self.ctx, self.openid, self.connection = ctx, openid, connection
        self._open_session = open_session
        self._session: Session | None = None
        self._user = user_row
        self._user_read = user_row is not None
        self.user_version = 0  # how often this turn changed the user's row (handlers.base.Facts re-reads it)
        self._ticket: Any = False  # False: not read yet

    # ---- the unit's session and reads ---------------------------------------------------------------------
    @property
    def session(self) -> Session:
        """The turn's ORM session, opened when first written through: most turns read and write nothing (~40-60 µs
        of a Session and its flush spared)."""
        if self._session is None:
            self._session = self._open_session() if self._open_session is not None else self.ctx.sessions(
                bind=self.connection)
        return self._session

    def finish(self, flush: bool = True) -> None:
        """The turn's writes flushed into the unit's transaction (the gateway commits or rolls it back; not after
        a failure), and the session it opened on the connection closed."""
        if self._session is not None and self._open_session is None:
            try:
                if flush:
                    self._session.flush()
            finally:
                self._session.close()

    def read(self, statement: Any, values: dict[str, Any]) -> list[Any]:
        """The rows of a Core SELECT on tables (named tuples: columns by name or position). On PostgreSQL under
        the gateway's connection, while the turn has opened no session, it runs on psycopg's cursor
        (bot.fastpath, behind NONGBOT_FAST_PATHS): ~80 µs less CPU than the session's execute, and no session
        opened for a turn that only reads. Same rows: there is no session whose pending changes an execute would
        autoflush first, and the cursor is in the connection's transaction. Once a session is open, the session
        reads (and flushes what it holds)."""
        if self.connection is not None and self._session is None:
            driver = fastpath.driver_statement(self.ctx.engine, statement)
            if driver is not None:
                return driver.execute(self.connection, values).fetchall()
        return self.session.execute(statement, values).fetchall()

    def insert_once(self, model: type, values: dict[str, Any]) -> Any:
        """The row written under `values["idempotency_key"]`, as a persistent object; None when an earlier
        attempt of the same message wrote that key already (nothing is written then). One INSERT … ON CONFLICT
        DO NOTHING RETURNING id: no SAVEPOINT to roll back to (two round trips and an ORM flush)."""
        written = self.session.execute(_insert_once(self.ctx.engine, model.__table__), values).scalar()
        return None if written is None else attached(self.session, model, {"id": written, **values})

    # ---- the user ----------------------------------------------------------------------------------------
    def user_row(self) -> Any:
        """The user's row (id, openid, center_id, township, phone, profile), read once per turn; None for a user
        not written yet. After a change, the persistent object changed."""
        if not self._user_read:
            self._user = self.session.execute(_USER, {"openid": self.openid}).first()
            self._user_read = True
        return self._user

    def _changed_user(self) -> WechatUser:
        """The user's row as a persistent object to change (flushed as an UPDATE), created now when this is
        their first message and no gateway upserted it first."""
        user = self.user_row()
        if user is None:
            user = WechatUser(openid=self.openid)
            self.session.add(user)
            self.session.flush()
        elif not isinstance(user, WechatUser):
            user = attached(self.session, WechatUser, user._asdict())  # a Row or a psycopg named tuple
        self._user = user
        self.user_version += 1
        return user

    def update_profile(self, township: str | None = None, phone: str | None = None,
                       profile: dict[str, Any] | None = None) -> None:
        """The user's township, phone and profile facts (name, member type, organisation, credit code) for their
        next conversations: each given value replaces the one kept, the others stay. The row is written even
        when nothing is given (a first message on a database whose gateway upserts after the dialog)."""
        user = self._changed_user()
        user.phone = phone or user.phone
        user.township = township or user.township
        if profile:
            user.profile = {**(user.profile or {}), **profile}

    def bind_center(self, code: str) -> ServiceCenter | None:
        """A center's QR code binds the farmer to it (tickets and staff follow-ups go there); None when the code
        names no center."""
        center = self.center(code)
        if center is not None:
            self._changed_user().center_id = center.id
        return center

    def count_unheard_voice(self, seconds: int) -> int:
        """The user's voice messages WeChat did not transcribe within the last `seconds`, this one counted (kept in
        the store, not the database: a count, not a record)."""
        return self.ctx.store.incr(f"voice-unrecognized:{self.openid}", seconds)

    # ---- centers -----------------------------------------------------------------------------------------
    def center(self, code: str | None) -> ServiceCenter | None:
        if code is None:
            return None
        return self.session.scalar(_CENTER, {"code": code})

    def center_by_id(self, center_id: int | None) -> ServiceCenter | None:
        return self.session.get(ServiceCenter, center_id) if center_id else None

    # ---- requests (booking, member, loan, 代账) -----------------------------------------------------------
    def create_request(self, kind: str, values: dict[str, Any]) -> Any:
        """The request of `kind` (REQUEST_KINDS) written under `values["idempotency_key"]`; the one an earlier
        attempt of the same confirmation wrote, when there is one."""
        model = REQUEST_KINDS[kind]
        record = self.insert_once(model, values)
        if record is None:
            record = self.session.scalar(select(model).where(model.idempotency_key == values["idempotency_key"]))
        return record

    def request_by_key(self, key: str) -> tuple[str, Any] | None:
        """(kind, request) written under the idempotency key `key`, None when none was."""
        found = self.session.execute(RECORD_BY_KEY, {"key": key}).first()
        if found is None:
            return None
        return found.kind, self.session.get(REQUEST_KINDS[found.kind], found.id)

    def latest_open_request(self, kinds: list[str], last: tuple[str, int] | None = None) -> tuple[str, Any] | None:
        """(kind, request) of the user's latest request still open (received, confirmed, scheduled) among
        `kinds`: `last` (kind, id: the one submitted last in this conversation) when it is still open."""
        if last is not None:
            kind, id_ = last
            record = self.session.get(REQUEST_KINDS[kind], id_)
            if record is not None and record.status in OPEN_RECORD_STATES:
                return kind, record
        best = None
        for kind in kinds:
            model = REQUEST_KINDS[kind]
            record = self.session.scalar(select(model).where(model.openid == self.openid,
                                                             model.status.in_(OPEN_RECORD_STATES))
                                         .order_by(model.id.desc()).limit(1))
            if record is not None and (best is None or record.created_at > best[1].created_at):
                best = (kind, record)
        return best

    def withdraw(self, kind: str, record: Any, reason: str, status_reason: str) -> None:
        """The farmer withdrew the request: its status, and an event for the center to see why."""
        self._event(kind, record, "withdrawn", reason)
        record.status, record.status_reason = "withdrawn", status_reason

    def amend(self, kind: str, record: Any, columns: dict[str, Any], slots: dict[str, Any], reason: str) -> None:
        """The farmer changed a submitted request: its columns and slots, and an event saying what changed."""
        for column, value in columns.items():
            setattr(record, column, value)
        record.slots = slots
        self._event(kind, record, record.status, reason)

    def _event(self, kind: str, record: Any, to_status: str, reason: str) -> None:
        self.session.add(RequestEvent(kind=kind, request_id=record.id, from_status=record.status,
                                      to_status=to_status, reason=reason, staff_id=None, created_at=utcnow()))
        record.updated_at = utcnow()

    def statuses(self) -> list[StatusLine]:
        """The user's latest requests of each kind (five each), then their tickets', at most eight: kind (a
        REQUEST_KINDS key or TICKETS), id, status, reason, schedule, price, the center's name and phone."""
        rows = self.read(STATUS_QUERY, {"openid": self.openid})
        return [StatusLine(STATUS_SOURCES[rank][0], *rest) for rank, *rest in rows]

    # ---- tickets -----------------------------------------------------------------------------------------
    def open_ticket(self) -> Any:
        """The user's latest ticket still open (its id), None when there is none; read once per turn (the dialog
        asks whether there is one before handing the message to human_agent, which adds to it). Its id is all
        either needs: no ORM object (~130 µs less)."""
        if self._ticket is False:
            found = self.read(_OPEN_TICKET, {"openid": self.openid})
            self._ticket = OpenTicket(found[0].id) if found else None
        return self._ticket

    def latest_ticket(self) -> Ticket | None:
        """The user's latest ticket, open or not."""
        return self.session.scalar(_LATEST_TICKET, {"openid": self.openid})

    def create_ticket(self, values: dict[str, Any], messages: list[tuple[str, str]]) -> tuple[Ticket, bool]:
        """(the ticket, whether it is new): written under `values["idempotency_key"]` with `messages` (author,
        text: the conversation so far) on it; the one an earlier attempt of the same message wrote, unchanged,
        when there is one. A new ticket is the open ticket from now on."""
        ticket = self.insert_once(Ticket, values)
        if ticket is None:
            key = values["idempotency_key"]
            return self.session.scalar(select(Ticket).where(Ticket.idempotency_key == key)), False
        self._ticket = OpenTicket(ticket.id)
        now = values.get("created_at") or utcnow()
        self.session.execute(_messages_insert, [{"ticket_id": ticket.id, "author": who, "text": said,
                                                 "created_at": now} for who, said in messages])
        return ticket, True

    def add_to_ticket(self, ticket_id: int, author: str, text: str, township: str | None = None,
                      phone: str | None = None) -> None:
        """A line on the ticket (from the farmer, or the bot's note), the ticket marked as the staff's turn, and
        the farmer's township and phone kept on it when said. Two Core statements, not the ORM's unit of work
        over a loaded ticket (~0.5 ms of CPU, not ~1.3 ms)."""
        now = utcnow()
        self.session.execute(_messages_insert, {"ticket_id": ticket_id, "author": author, "text": text,
                                                "created_at": now})
        self.session.execute(_ticket_touched, {"ticket_id": ticket_id, "now": now})
        if township or phone:
            self.session.execute(_ticket_known, {"ticket_id": ticket_id, "township": township, "phone": phone})


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
    """A row already written or read (`values`: its key and the columns known; the others load when touched) as
    a persistent object of `session`, without a SELECT: its changes flush as an UPDATE."""
    row = model(**values)
    make_transient_to_detached(row)
    session.add(row)
    return row
