"""check_status: the user's own applications, bookings, requests and tickets with their status."""
from __future__ import annotations

from sqlalchemy import Float, String, Text, bindparam, cast, literal_column, null, select, union_all

from bot.records.models import REQUEST_KINDS, ServiceCenter, Ticket
from bot.schedule import spoken_price, spoken_schedule
from handlers.base import Turn

TICKETS = "人工咨询"
STATUS_NAMES = {"received": "已受理", "confirmed": "已确认", "scheduled": "已排期", "done": "已完成",
                "rejected": "未通过", "withdrawn": "已取消", "open": "待处理", "pending": "处理中", "resolved": "已解决"}
SHOWN, PER_KIND = 8, 5


def _latest(rank: int, table, reason, scheduled):  # noqa: ANN001, ANN202
    when, price = scheduled if scheduled else (cast(null(), String), cast(null(), Float))
    return select(select(literal_column(str(rank)).label("rank"), table.c.id, table.c.status,
                         reason.label("status_reason"), when.label("scheduled_for"), price.label("price"),
                         table.c.center_id)
                  .where(table.c.openid == bindparam("openid")).order_by(table.c.id.desc()).limit(PER_KIND)
                  .subquery())


# Each kind's latest five, then the tickets', in one round trip (was one query per table). Core, on the
# tables: nothing of the turn is pending when a status is asked, so the ORM's autoflush has nothing to do.
# A request's schedule (date, agreed price) and its center's name and phone come along: "已排期" alone
# does not tell the farmer when, for how much, or whom to call.
_SOURCES = [(kind, model.__table__, model.__table__.c.status_reason,
             (model.__table__.c.scheduled_for, model.__table__.c.agreed_price_yuan))
            for kind, model in REQUEST_KINDS.items()]
_SOURCES.append((TICKETS, Ticket.__table__, cast(null(), Text), None))
_LATEST = union_all(*(_latest(rank, table, reason, scheduled)
                      for rank, (_, table, reason, scheduled) in enumerate(_SOURCES))).subquery()
_centers = ServiceCenter.__table__
STATUS_QUERY = (select(_LATEST.c.rank, _LATEST.c.id, _LATEST.c.status, _LATEST.c.status_reason,
                       _LATEST.c.scheduled_for, _LATEST.c.price, _centers.c.name, _centers.c.phone)
                .select_from(_LATEST.outerjoin(_centers, _centers.c.id == _LATEST.c.center_id))
                .order_by(_LATEST.c.rank, _LATEST.c.id.desc()).limit(SHOWN))


def check_status(turn: Turn) -> list[str]:
    from handlers import FORMS

    titles = {form.kind: form.title for form in FORMS.values()}  # a status line names the request as its form does
    rows = turn.read(STATUS_QUERY, {"openid": turn.inbound.openid})
    items = [{"kind": titles.get(_SOURCES[rank][0], _SOURCES[rank][0]), "id": id_,
              "status": STATUS_NAMES.get(status, status), "reason": reason, "when": spoken_schedule(when), "price": spoken_price(price), "center": center, "center_phone": phone}
             for rank, id_, status, reason, when, price, center, phone in rows]
    return [turn.render("dialog/status", items=items)]
