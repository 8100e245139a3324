"""book_tuoguan: the 托管 booking form — crop, service, 亩, place, date, phone → booking at the nearest center."""
from __future__ import annotations

from typing import Any

from bot.dialog.cues import introduced_name
from handlers.forms import (Form, Invalid, Plan, Slot, center_offering, price_text, read_date, read_township,
                            scan_date, show_date, validate_date, validate_phone, validate_positive, validate_township)


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


def _takes_any_crop(pack: Any) -> bool:
    """The county's document names no crop for its 托管/社会化服务 (its `tuoguan` offer is a request handed to
    staff, no service limited to a crop): the crop the farmer grows is taken as said."""
    services = [s for s in pack.services if s.category == "托管"]
    return getattr(pack.info, "tuoguan", None) is not None and bool(services) and not any(s.crops for s in services)


def _validate_crop(value: Any, turn: Any) -> str:
    known = _read_crop(str(value), turn.ctx.pack)
    if known is None and _takes_any_crop(turn.ctx.pack) and str(value).strip():
        return str(value).strip()  # 南川: 玉米 is not among the 特色产业, staff answer the request all the same
    if known is None:
        raise Invalid("forms/invalid_crop", value=value)
    return known


def _validate_service(value: Any, turn: Any) -> str:
    pack = turn.ctx.pack
    known = pack.service(str(value))
    if known is None or known not in pack.services:
        raise Invalid("forms/invalid_service", value=value)
    return _for_crop(pack, known, (getattr(turn, "slots", None) or {}).get("crop")).name


def _operation(service: Any) -> str:
    """A crop's own work without the crop: 柑橘修剪 → 修剪."""
    name = service.name
    for crop in service.crops:
        name = name.replace(crop, "")
    return name


def _for_crop(pack: Any, service: Any, crop: str | None) -> Any:
    """The same operation for the crop named with it (剪枝 of 花椒 is 花椒修剪, not 柑橘修剪), when the pack has it."""
    if not crop or not service.crops or crop in service.crops:
        return service
    return next((s for s in pack.services if crop in s.crops and _operation(s) == _operation(service)), service)


def _implied_crop(values: dict[str, Any], pack: Any) -> str | None:
    """The crop a service implies in the pack's catalogue (机插秧 → 水稻): only when it names exactly one."""
    service = pack.service(values["service"]) if values.get("service") else None
    return service.crops[0] if service is not None and len(service.crops) == 1 else None


def plan(turn: Any, values: dict[str, Any]) -> Plan:
    """Indicative price from the catalogue (or 以服务中心报价为准) and the nearest center offering the service."""
    pack = turn.ctx.pack
    service = pack.service(values["service"]) if values.get("service") else None
    unit_price = service.price_yuan if service is not None and price_text(service.price_yuan) else None
    area = values.get("area_mu")
    quote = (round(unit_price * float(area), 2) if unit_price is not None and area and service.unit == "亩"
             else None)
    where = (values["lat"], values["lon"]) if "lat" in values else None
    code = center_offering(turn, "tuoguan", township=values.get("township"), where=where)
    fields = FORM.record_fields(values)
    fields.update(unit_price_yuan=unit_price, price_quote_yuan=quote)
    return Plan(fields=fields, center_code=code,
                view={"unit_price": price_text(unit_price), "quote": price_text(quote),
                      "unit": service.unit if service else "亩"})


FORM = Form(
    intent="book_tuoguan", kind="bookings", title="托管预约", plan=plan,
    slots=(
        Slot("crop", hint="crop", options=_crops, read=_read_crop, validate=_validate_crop, label="作物",
             implied=_implied_crop, example="@crop"),
        Slot("service", hint="service", options=_services, read=_read_service, validate=_validate_service,
             label="服务", example="@service"),
        Slot("area_mu", hint="area_mu", validate=validate_positive(100000, "forms/invalid_area_mu"), label="面积",
             number=True, example="30", shown=lambda v: f"{v:g}亩"),
        Slot("township", hint="township", read=read_township, validate=validate_township, profile="township",
             location=True, label="地点", required=True, example="@township"),
        Slot("date", hint="date", read=read_date, validate=validate_date, label="时间", example="下周三", scan=scan_date,
             shown=show_date),
        Slot("phone", hint="phone", validate=validate_phone, profile="phone", label="电话", required=True,
             example="13800138000"),
        Slot("member_type", hint="member_type", asked=False, profile="member_type", label="身份"),
        Slot("name", asked=False, profile="name", label="姓名", scan=introduced_name),
    ),
)
