"""join_nonghelian: the membership form — who, name, phone, township, industry → application to the township 农合联."""
from __future__ import annotations

from typing import Any

from handlers.forms import (Form, Plan, Slot, center_offering, fixed, member_type_of_name, person_name, read_member_type,
                            read_name, read_township, validate_phone, validate_township)
from bot.dialog.cues import introduced_applicant
from knowledge.routing import industry_nonghelian, nonghelian_for

MEMBER_TYPES = ("农户", "家庭农场", "农民合作社", "村集体", "企业")
NO_INDUSTRY = "不加入"
NONE_HERE = "无产业分会"  # the county has no industry 分会 (no 农合联): never asked, never shown


_read_member_type = read_member_type(MEMBER_TYPES)


def _member_type_implied(values: dict[str, Any], pack: Any) -> str | None:
    """What the applicant's name says: an organisation's kind, or a person's name (周志强) → 农户."""
    found = member_type_of_name(values, pack)
    if found is None and values.get("name") and person_name(str(values["name"]), pack):
        return "农户"
    return found


def _no_industry_here(values: dict[str, Any], pack: Any) -> str | None:
    return None if any(n.level == "industry" and n.industry for n in pack.nonghelian) else NONE_HERE


def _industries(values: dict[str, Any], pack: Any) -> list[tuple[str, Any]]:
    named = [(f"{n.industry}产业分会", n.industry) for n in pack.nonghelian if n.level == "industry" and n.industry]
    return [*named, ("不用，只加入乡镇农合联", NO_INDUSTRY)]


def _read_industry(text: str, pack: Any) -> str | None:
    return next((n.industry for n in pack.nonghelian if n.level == "industry" and n.industry and n.industry in text),
                None)


def _scan_industry(text: str, pack: Any) -> str | None:
    """"想加入柑橘产业分会": a 分会 named in any message (a crop alone is what they grow, not a 分会 chosen)."""
    return _read_industry(text, pack) if "分会" in text else None


def plan(turn: Any, values: dict[str, Any]) -> Plan:
    """The township 农合联 covering the township takes the application (and the industry 分会 when chosen)."""
    pack = turn.ctx.pack
    covering = nonghelian_for(pack, values["township"]) if values.get("township") else None
    industry = values.get("industry")
    industry = None if industry in (NO_INDUSTRY, NONE_HERE) else industry
    branch = industry_nonghelian(pack, industry) if industry else None
    where = (values["lat"], values["lon"]) if "lat" in values else None
    code = center_offering(turn, "membership", township=values.get("township"), where=where)
    fields = FORM.record_fields(values)
    fields.update(nonghelian=covering.name if covering else None, industry_nonghelian=branch.name if branch else None)
    return Plan(fields=fields, center_code=code,
                view={"nonghelian": fields["nonghelian"], "industry_nonghelian": fields["industry_nonghelian"]})


FORM = Form(
    intent="join_nonghelian", kind="members", title="入会申请", plan=plan,
    slots=(
        Slot("member_type", hint="member_type", options=fixed(*MEMBER_TYPES), read=_read_member_type,
             profile="member_type", label="身份", implied=member_type_of_name,
             fallback=_member_type_implied),
        Slot("name", read=read_name, free=True, profile="name", label="姓名/名称", required=True, example="王大明",
             scan=introduced_applicant),
        Slot("phone", hint="phone", validate=validate_phone, profile="phone", label="电话", required=True,
             example="13800138000"),
        Slot("township", hint="township", read=read_township, validate=validate_township, profile="township",
             location=True, label="地点", required=True, example="@township"),
        Slot("industry", options=_industries, read=_read_industry, skip=NO_INDUSTRY, label="产业分会", column=None,
             implied=_no_industry_here, scan=_scan_industry,
             shown=lambda v: "" if v == NONE_HERE else "不加入" if v == NO_INDUSTRY else f"{v}产业分会",
             export=lambda v: None if v in (NO_INDUSTRY, NONE_HERE) else v),
    ),
)
