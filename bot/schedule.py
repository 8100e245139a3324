"""When a request is scheduled: the day behind staff's `scheduled_for` (ISO or "12月20日上午") and how to say it."""
from __future__ import annotations

from datetime import date, datetime


def scheduled_day(value: str | None, today: date) -> date | None:
    """The calendar day of `value` when it names one (ISO date or date-time, or a date as farmers write it)."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        pass
    from intents.dates import find_date

    found = find_date(text, today)
    if found is None:
        return None
    try:
        return date.fromisoformat(found.value)
    except ValueError:
        return None


def spoken_schedule(value: str | None) -> str | None:
    """`scheduled_for` as a farmer reads it: 2026-12-20 → 12月20日, 2026-12-20T09:00 → 12月20日 09:00;
    a text such as 12月20日上午 stays as staff wrote it."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return text
    day = f"{when.month}月{when.day}日"
    return day if len(text) <= 10 else f"{day} {when:%H:%M}"


def spoken_price(value: float | None) -> str | None:
    """1200.0 → 1200元, 35.5 → 35.5元."""
    if value is None:
        return None
    return f"{int(value) if float(value).is_integer() else round(value, 2)}元"
