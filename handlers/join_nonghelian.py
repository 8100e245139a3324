"""join_nonghelian: the membership form — who, name, phone, township, industry → application to the township 农合联."""
from __future__ import annotations

from typing import Any

from handlers.forms import (Form, Plan, Slot, center_offering, fixed, read_choice, read_name, read_township,
                            validate_phone, validate_township)
from knowledge.routing import industry_nonghelian, nonghelian_for

MEMBER_TYPES = ("农户", "家庭农场", "农民合作社", "村集体", "企业")
NO_INDUSTRY = "不加入"


def _industries(values: dict[str, Any], pack: Any) -> list[tuple[str, Any]]:
    named = [(f"{n.industry}产业分会", n.industry) for n in pack.nonghelian if n.level == "industry" and n.industry]
    return [*named, ("不用，只加入乡镇农合联", NO_INDUSTRY)]


def _read_industry(text: str, pack: Any) -> str | None:
    return next((n.industry for n in pack.nonghelian if n.level == "industry" and n.industry and n.industry in text),
                None)


def plan(turn: Any, values: dict[str, Any]) -> Plan:
    """The township 农合联 covering the township takes the application (and the industry 分会 when chosen)."""
    pack = turn.ctx.pack
    covering = nonghelian_for(pack, values["township"])
    industry = values.get("industry")
    branch = industry_nonghelian(pack, industry) if industry and industry != NO_INDUSTRY else None
    where = (values["lat"], values["lon"]) if "lat" in values else None
    code = center_offering(turn, "membership", township=values["township"], where=where)
    fields = {"member_type": values["member_type"], "name": values["name"], "phone": values["phone"],
              "township": values["township"], "nonghelian": covering.name if covering else None,
              "industry_nonghelian": branch.name if branch else None}
    return Plan(fields=fields, center_code=code,
                view={"nonghelian": fields["nonghelian"], "industry_nonghelian": fields["industry_nonghelian"]})


FORM = Form(
    intent="join_nonghelian", kind="members", title="入会申请", plan=plan,
    slots=(
        Slot("member_type", hint="member_type", options=fixed(*MEMBER_TYPES), read=read_choice(MEMBER_TYPES)),
        Slot("name", read=read_name, free=True),
        Slot("phone", hint="phone", validate=validate_phone, profile="phone"),
        Slot("township", hint="township", read=read_township, validate=validate_township, profile="township",
             location=True),
        Slot("industry", options=_industries, read=_read_industry, skip=NO_INDUSTRY),
    ),
)
