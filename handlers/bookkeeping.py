"""bookkeeping: the 财务代账 form — name, 统一社会信用代码 (checksum), vouchers, needs → request to the 合作社服务中心."""
from __future__ import annotations

import re
from typing import Any

from bot.dialog.cues import find_credit_code, read_number
from handlers.forms import (Form, Invalid, Plan, Slot, center_offering, member_type_of_name, price_text, read_org_name,
                            scan_org_name,
                            read_township, validate_phone, validate_positive, validate_township)

# GB 32100-2015: 18 characters over this alphabet; the last is a check character (mod 31).
CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
NEEDS = ("记账", "报税", "年报公示")
ALL_NEEDS = "都要"


def credit_code_check_char(first17: str) -> str:
    total = sum(CREDIT_CODE_CHARS.index(ch) * w for ch, w in zip(first17, CREDIT_CODE_WEIGHTS))
    return CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def is_valid_credit_code(code: str) -> bool:
    return (len(code) == 18 and all(ch in CREDIT_CODE_CHARS for ch in code)
            and credit_code_check_char(code[:17]) == code[17])


def _read_credit_code(text: str, pack: Any) -> str | None:
    found = find_credit_code(text)
    return found[0] if found else None


def _validate_credit_code(value: Any, turn: Any) -> str:
    code = str(value).upper()
    if not is_valid_credit_code(code):
        raise Invalid("forms/invalid_credit_code", value=value)
    return code


def _read_vouchers(text: str, pack: Any) -> int | None:
    for lead in ("每月", "每个月", "一个月", "一月", "月均"):
        text = text.replace(lead, "")
    value = read_number(text)
    return int(value) if value is not None else None


def _needs(values: dict[str, Any], pack: Any) -> list[tuple[str, Any]]:
    return [*((n, [n]) for n in NEEDS), ("记账+报税", ["记账", "报税"]), (ALL_NEEDS, list(NEEDS))]


# The 代账 work in the farmer's words (CONTRACT `service`: 记账, 报税, 年报公示, 财务规范 …).
NEED_WORDS = {"记账": ("记账", "做账", "账务", "建账", "代账"), "报税": ("报税", "纳税申报", "申报纳税", "交税", "税务申报", "报个税"),
              "年报公示": ("年报", "年检", "公示"), "财务规范": ("财务规范", "规范财务", "财务制度", "规范")}


def _named_needs(text: str, generic: bool) -> list[str]:
    """Needs named in `text`, canonical order; 代账 alone counts as 记账 only when `generic` (a bare answer)."""
    found = []
    for need, words in NEED_WORDS.items():
        words = words if generic or need != "记账" else tuple(w for w in words if w != "代账")
        if any(w in text for w in words):
            found.append(need)
    return found


def _read_needs(text: str, pack: Any) -> list[str] | None:
    if any(word in text for word in (ALL_NEEDS, "全部", "都", "全套")):
        return list(NEEDS)
    return _named_needs(text, generic=True) or None


def _scan_vouchers(text: str, pack: Any) -> int | None:
    """"30张", "每月五十来张" anywhere in a message."""
    found = re.search(r"([0-9]+|[一二两三四五六七八九十百]+)[来多]?张", text)
    value = read_number(found.group(1)) if found else None
    return int(value) if value else None


def _scan_needs(text: str, pack: Any) -> list[str] | None:
    """The 代账 work named anywhere in a message ("要记账和报税"): named words only, never "都"."""
    return _named_needs(text, generic=False) or None


def package_for(pack: Any, values: dict[str, Any]) -> Any:
    """The smallest package that covers the needs and the monthly vouchers."""
    needs, vouchers = set(values.get("needs") or []), values.get("monthly_vouchers") or 0
    fitting = [p for p in pack.bookkeeping_packages
               if needs <= set(p.includes) and (p.max_monthly_vouchers is None or vouchers <= p.max_monthly_vouchers)]
    fitting.sort(key=lambda p: p.max_monthly_vouchers or 10**9)
    return fitting[0] if fitting else (pack.bookkeeping_packages[0] if pack.bookkeeping_packages else None)


def plan(turn: Any, values: dict[str, Any]) -> Plan:
    """The package and its price (or 以服务中心报价为准); the center that offers 财务代账 takes it."""
    package = package_for(turn.ctx.pack, values)
    price = package.price_yuan_per_year if package and price_text(package.price_yuan_per_year) else None
    code = center_offering(turn, "bookkeeping", township=values.get("township"))
    fields = FORM.record_fields(values)
    needs = values.get("needs") or []
    fields.update(name=values.get("org_name"), needs=needs, service="、".join(needs) or None,
                  package=package.name if package else None, price_yuan=price)
    return Plan(fields=fields, center_code=code, view={"package": package, "price": price_text(price)})


FORM = Form(
    intent="bookkeeping", kind="bookkeeping_requests", title="代账申请", plan=plan,
    slots=(
        Slot("org_name", read=read_org_name, free=True, profile="org_name", label="主体名称", required=True,
             example="@org_name", scan=scan_org_name),
        Slot("credit_code", read=_read_credit_code, validate=_validate_credit_code, profile="credit_code",
             label="统一社会信用代码", example="营业执照上的18位代码"),
        Slot("member_type", hint="member_type", asked=False, profile="member_type", label="身份",
             implied=member_type_of_name),
        Slot("monthly_vouchers", read=_read_vouchers, validate=validate_positive(100000, "forms/invalid_vouchers"),
             label="每月凭证", number=True, scan=_scan_vouchers, example="30", shown=lambda v: f"约{v}张"),
        Slot("needs", options=_needs, read=_read_needs, scan=_scan_needs, label="代账内容", column=None, shown="、".join),
        Slot("township", hint="township", read=read_township, validate=validate_township, profile="township",
             location=True, label="地点", example="@township"),
        Slot("phone", hint="phone", validate=validate_phone, profile="phone", label="电话", required=True,
             example="13800138000"),
    ),
)
