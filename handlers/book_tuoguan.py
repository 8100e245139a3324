"""book_tuoguan: the 托管 booking form — crop, service, 亩, place, date, phone → booking at the nearest center."""
from __future__ import annotations

from typing import Any

from handlers.forms import (Form, Invalid, Plan, Slot, center_offering, price_text, read_date, read_township,
                            validate_date, validate_phone, validate_positive, validate_township)


def _crops(values: dict[str, Any], pack: Any) -> list[tuple[str, Any]]:
    return [(c.name, c.name) for c in pack.crops]


def _services(values: dict[str, Any], pack: Any) -> list[tuple[str, Any]]:
    """Services that fit the crop already named, catalogue order, at most eight (one phone screen)."""
    crop = values.get("crop")
    fitting = [s for s in pack.services if s.category == "托管" and (not crop or not s.crops or crop in s.crops)]
    return [(s.name, s.name) for s in fitting[:8]]


def _read_crop(text: str, pack: Any) -> str | None:
    return next((c.name for c in pack.crops if c.name in text or any(a in text for a in c.aliases)), None)


def _read_service(text: str, pack: Any) -> str | None:
    found = pack.service(text.strip())
    return found.name if found is not None and found in pack.services else None


def _validate_crop(value: Any, turn: Any) -> str:
    known = _read_crop(str(value), turn.ctx.pack)
    if known is None:
        raise Invalid("forms/invalid_crop", value=value)
    return known


def _validate_service(value: Any, turn: Any) -> str:
    pack = turn.ctx.pack
    known = pack.service(str(value))
    if known is None or known not in pack.services:
        raise Invalid("forms/invalid_service", value=value)
    return known.name


def plan(turn: Any, values: dict[str, Any]) -> Plan:
    """Indicative price from the catalogue (or 以服务中心报价为准) and the nearest center offering the service."""
    service = turn.ctx.pack.service(values["service"])
    unit_price = service.price_yuan if price_text(service.price_yuan) else None
    quote = round(unit_price * float(values["area_mu"]), 2) if unit_price is not None and service.unit == "亩" else None
    where = (values["lat"], values["lon"]) if "lat" in values else None
    code = center_offering(turn, "tuoguan", township=values["township"], where=where)
    fields = {name: values[name] for name in ("crop", "service", "area_mu", "township", "date", "phone")}
    fields.update(unit_price_yuan=unit_price, price_quote_yuan=quote)
    return Plan(fields=fields, center_code=code,
                view={"unit_price": price_text(unit_price), "quote": price_text(quote), "unit": service.unit})


FORM = Form(
    intent="book_tuoguan", kind="bookings", title="托管预约", plan=plan,
    slots=(
        Slot("crop", hint="crop", options=_crops, read=_read_crop, validate=_validate_crop),
        Slot("service", hint="service", options=_services, read=_read_service, validate=_validate_service),
        Slot("area_mu", hint="area_mu", validate=validate_positive(100000, "forms/invalid_area_mu")),
        Slot("township", hint="township", read=read_township, validate=validate_township, profile="township",
             location=True),
        Slot("date", hint="date", read=read_date, validate=validate_date),
        Slot("phone", hint="phone", validate=validate_phone, profile="phone"),
    ),
)
