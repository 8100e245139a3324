"""check_status: the user's own applications, bookings, requests and tickets with their status."""
from __future__ import annotations

from bot.schedule import spoken_price, spoken_schedule
from handlers.base import Turn

STATUS_NAMES = {"received": "已受理", "confirmed": "已确认", "scheduled": "已排期", "done": "已完成",
                "rejected": "未通过", "withdrawn": "已取消", "open": "待处理", "pending": "处理中", "resolved": "已解决"}


def check_status(turn: Turn) -> list[str]:
    from handlers import FORMS

    titles = {form.kind: form.title for form in FORMS.values()}  # a status line names the request as its form does
    items = [{"kind": titles.get(kind, kind), "id": id_,
              "status": STATUS_NAMES.get(status, status), "reason": reason, "when": spoken_schedule(when), "price": spoken_price(price), "center": center, "center_phone": phone}
             for kind, id_, status, reason, when, price, center, phone in turn.records.statuses()]
    return [turn.render("dialog/status", items=items)]
