"""What the gateway writes for every message, on the unit of work's connection: the user's row (seen now,
(un)subscribed, the 客服 window it opened), with the farmer's stored conversation read by the same
statement, and the message log. Statements are built once per kind and run on the fast path where it is on
(bot.fastpath)."""
from __future__ import annotations

import time
from collections import namedtuple
from datetime import datetime
from typing import Any, Callable

from sqlalchemy import bindparam, exists, insert, select
from sqlalchemy.engine import Connection

from bot import fastpath
from bot.records.models import DialogSession, MessageLog, UTCDateTime, WechatUser
from bot.store.db import dialect_insert

_users = WechatUser.__table__
_sessions = DialogSession.__table__
_log = MessageLog.__table__
_log_insert = insert(_log)
# What a turn reads of the user (its routing and profile); the upsert returns the same columns.
USER_COLUMNS = tuple(_users.c[name] for name in ("id", "openid", "center_id", "township", "phone", "profile"))
_UserRow = namedtuple("_UserRow", [column.name for column in USER_COLUMNS])  # the upsert's row without the state


class MessageRecords:
    """The per-message statements of one engine. `window_columns(table, opener, now, keep_after)` gives the
    upsert's 客服 window columns (bot.wechat.kf_window: the transport's rule, handed in)."""

    def __init__(self, engine: Any, window_columns: Callable[..., dict[str, Any]]) -> None:
        self.engine = engine
        self._window_columns = window_columns
        self._user_insert = dialect_insert(engine)(_users)
        self._user_upserts: dict[tuple[str | None, bool | None, bool], Any] = {}
        self._on_driver = fastpath.on_psycopg(engine)
        self._log_inserts: dict[tuple[int, tuple[str, ...]], Any] = {}

    def touch_user(self, conn: Connection, openid: str, opener: str | None, subscribed: bool | None,
                   now: datetime, keep_after: datetime, with_state: bool = False) -> Any:
        """One upsert: the user exists, was seen now, (un)subscribed, and the 客服 window it opened.
        Returns the user's row as it now is (the columns a turn reads, USER_COLUMNS: all twelve
        cost ~50 µs more per message to return and convert); `with_state`: (that row, the user's stored
        conversation as JSON text or None), read by the same statement (one round trip less)."""
        values = {"openid": openid, "now": now, "keep_after": keep_after}
        upsert = self._user_upsert(opener, subscribed, with_state)
        if not with_state:
            if isinstance(upsert, fastpath.DriverStatement):
                return upsert.execute(conn, values).fetchone()
            return conn.execute(upsert, values).one()
        values["epoch"] = time.time()
        row = upsert.execute(conn, values).fetchone() if isinstance(upsert, fastpath.DriverStatement) \
            else conn.execute(upsert, values).one()
        return _UserRow(*row[:-1]), row[-1]

    def log(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        """The message log's rows (every row with the same columns) in one INSERT."""
        if self._on_driver:
            self._log_statement(len(rows), tuple(rows[0])).execute(
                conn, {f"{name}_{i}": row[name] for i, row in enumerate(rows) for name in rows[0]})
        else:
            conn.execute(_log_insert, rows)

    @staticmethod
    def logged(conn: Connection, openid: str, msg_id: str | None) -> bool:
        """A taken-over message whose first owner got as far as the log (it is written once)."""
        if not msg_id:
            return False
        return bool(conn.scalar(select(exists().where(_log.c.openid == openid, _log.c.direction == "in",
                                                      _log.c.msg_id == msg_id))))

    def _log_statement(self, count: int, names: tuple[str, ...]) -> Any:
        """The message log's INSERT of `count` rows of the columns `names`, bound as name_index; built once."""
        statement = self._log_inserts.get((count, names))
        if statement is None:
            statement = self._log_inserts[(count, names)] = fastpath.DriverStatement(
                insert(_log).values([{name: bindparam(f"{name}_{i}", type_=_log.c[name].type) for name in names}
                                     for i in range(count)]), self.engine.dialect)
        return statement

    def _user_upsert(self, opener: str | None, subscribed: bool | None, with_state: bool = False) -> Any:
        """The upsert for one kind of inbound, built once (statements built per call cost more CPU
        than the database spends running them)."""
        stmt = self._user_upserts.get((opener, subscribed, with_state))
        if stmt is None:
            now = bindparam("now", type_=UTCDateTime())
            changes: dict[str, Any] = {"last_seen": now}
            if subscribed is not None:
                changes["subscribed"] = subscribed
            window = self._window_columns(_users, opener, now, bindparam("keep_after", type_=UTCDateTime())) \
                if opener else {}
            created = {"window_opened_at": now, "window_opened_by": opener} if window else {}
            # The model's defaults named here (subscribed, profile): the statement writes every value itself.
            stmt = self._user_insert.values(openid=bindparam("openid"), first_seen=now,
                                            **{"subscribed": True, "profile": {}, **changes, **created})
            stmt = stmt.on_conflict_do_update(index_elements=[_users.c.openid], set_={**changes, **window})
            returned: list[Any] = list(USER_COLUMNS)
            if with_state:
                returned.append(select(_sessions.c.state).where(
                    _sessions.c.openid == bindparam("openid"), _sessions.c.expires_at > bindparam("epoch"))
                    .scalar_subquery().label("dialog_state"))
            stmt = stmt.returning(*returned)
            if self._on_driver:
                stmt = fastpath.DriverStatement(stmt, self.engine.dialect)
            self._user_upserts[(opener, subscribed, with_state)] = stmt
        return stmt
