"""check_status: the user's own applications, bookings, requests and tickets with their status."""
from __future__ import annotations

from sqlalchemy import Text, bindparam, cast, literal_column, null, select, union_all

from bot.models import REQUEST_KINDS, Ticket
from handlers.base import Turn

TICKETS = "人工咨询"
STATUS_NAMES = {"received": "已受理", "confirmed": "已确认", "scheduled": "已排期", "done": "已完成",
                "rejected": "未通过", "withdrawn": "已取消", "open": "待处理", "pending": "处理中", "resolved": "已解决"}
SHOWN, PER_KIND = 8, 5


def _latest(rank: int, table, reason):  # noqa: ANN001, ANN202
    return select(select(literal_column(str(rank)).label("rank"), table.c.id, table.c.status,
                         reason.label("status_reason"))
                  .where(table.c.openid == bindparam("openid")).order_by(table.c.id.desc()).limit(PER_KIND)
                  .subquery())


# Each kind's latest five, then the tickets', in one round trip (was one query per table). Core, on the
# tables: nothing of the turn is pending when a status is asked, so the ORM's autoflush has nothing to do.
_SOURCES = [(kind, model.__table__, model.__table__.c.status_reason) for kind, model in REQUEST_KINDS.items()]
_SOURCES.append((TICKETS, Ticket.__table__, cast(null(), Text)))
_LATEST = union_all(*(_latest(rank, table, reason) for rank, (_, table, reason) in enumerate(_SOURCES)))
STATUS_QUERY = _LATEST.order_by(_LATEST.selected_columns.rank, _LATEST.selected_columns.id.desc()).limit(SHOWN)


def check_status(turn: Turn) -> list[str]:
    from handlers import FORMS

    titles = {form.kind: form.title for form in FORMS.values()}  # a status line names the request as its form does
    rows = turn.read(STATUS_QUERY, {"openid": turn.inbound.openid})
    items = [(titles.get(_SOURCES[rank][0], _SOURCES[rank][0]), id_, STATUS_NAMES.get(status, status), reason) for rank, id_, status, reason in rows]
    return [turn.render("dialog/status", items=items)]
