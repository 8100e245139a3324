"""loan_products: a few profile questions → the pack's fitting loan products, and a request to the bank desk."""
from __future__ import annotations

import re
from typing import Any

from handlers.forms import (Form, Plan, Slot, center_offering, fixed, read_member_type, read_township, show_yuan,
                            validate_phone, validate_positive, validate_township)
from bot.dialog.cues import read_amount
from handlers.join_nonghelian import MEMBER_TYPES

PURPOSES = ("买农资", "买农机", "扩大种养", "建圈舍大棚", "流动资金")
NO_COLLATERAL = "没有抵押物"
MAX_PRODUCTS = 3


def _collaterals(values: dict[str, Any], pack: Any) -> list[tuple[str, Any]]:
    offered = dict.fromkeys(item for p in pack.loan_products for item in p.collateral)
    return [(NO_COLLATERAL, NO_COLLATERAL), *((item, item) for item in list(offered)[:6])]


def _read_collateral(text: str, pack: Any) -> str | None:
    if any(word in text for word in ("没有", "没得", "莫得", "无", "不抵押")):
        return NO_COLLATERAL
    return next((item for p in pack.loan_products for item in p.collateral if item in text or text in item), None)


# A deferral, a remark or a particle of talk: "等我问下屋头的", "好麻烦哦", "就是那个嘛" say no use of the money.
_NOT_A_PURPOSE = ("等我", "问下", "问一下", "再说", "再跟", "屋头", "麻烦", "那个", "这个", "哦", "嘛", "啊", "呀", "哈", "噻",
                  "你", "不晓得", "不知道", "算了", "随便")


def _read_purpose(text: str, pack: Any) -> str | None:
    cleaned = text.strip().strip("。.!！")
    for lead in ("主要是", "主要", "用来", "拿来", "用于", "想", "是"):
        cleaned = cleaned.removeprefix(lead)
    if not 2 <= len(cleaned) <= 20:
        return None
    if _PURPOSE.search(cleaned):
        return cleaned  # 买农机, 扩大养殖, 建大棚: a use of the money
    return None if any(word in cleaned for word in _NOT_A_PURPOSE) or cleaned.endswith("的") else cleaned


def scan_amount(text: str, pack: Any) -> float | None:
    """An amount written the short way anywhere in a message: 5w, 10W, 三万五, 十来万."""
    found = re.search(r"[0-9.]+\s*[wW万](?:[0-9一二两三四五六七八九](?![0-9亩]))?|[一二两三四五六七八九十百]+来?万[一二两三四五六七八九]?",
                      text)
    return read_amount(found.group(0)) if found else None


_PURPOSE = re.compile(r"(?:用来|用于|拿来|想|要)?((?:买|购买|建|修|扩大|扩建|周转|发展|种|养|盖|搞|租|流转)[\u4e00-\u9fff]{1,8})")


_WHO = read_member_type(MEMBER_TYPES)


def scan_purpose(text: str, pack: Any) -> str | None:
    """What the loan is for, said with the request ("贷款5万买农机"): read in the form's first message only."""
    if "贷" not in text:
        return None
    tail = text[text.index("贷"):]
    for clause in re.split(r"[，,。；;\s]+", tail):
        if _WHO(clause, pack):
            continue  # "种植大户", "就我自己种点地": who the farmer is, not what the money is for
        found = _PURPOSE.search(clause)
        if found and "贷" not in found.group(1):
            return found.group(1)
    return None


def read_product(text: str, pack: Any) -> str | None:
    """A loan product the farmer named, as the pack names it (its name or an alias): the longest name said
    wins ("三社融合贷风险补偿金" over "三社融合贷", a full name over an alias inside it)."""
    best: tuple[int, str] | None = None
    for product in pack.loan_products:
        for said in (product.name, *product.aliases):
            if said and said in text and (best is None or len(said) > best[0]):
                best = (len(said), product.name)
    return best[1] if best else None


def _validate_product(value: Any, turn: Any) -> str:
    # The farmer's own words name the product more surely than a reading of them.
    said = read_product(getattr(turn.inbound, "text", None) or "", turn.ctx.pack)
    return said or read_product(str(value), turn.ctx.pack) or str(value)


def fitting_products(pack: Any, values: dict[str, Any]) -> list[tuple[Any, list[str]]]:
    """Products whose applicants, guarantee and amount range fit, each with why (best fits first)."""
    member_type, collateral, amount = values.get("member_type"), values.get("collateral"), values.get("amount_yuan")
    scored = []
    for product in pack.loan_products:
        if product.who and member_type not in product.who:
            continue
        if collateral == NO_COLLATERAL and product.guarantee not in ("信用", "待补充"):
            continue
        if collateral not in (None, NO_COLLATERAL) and product.collateral and collateral not in product.collateral:
            continue
        if amount and product.amount_max_yuan and float(amount) > product.amount_max_yuan:
            continue
        why = []
        if product.who:
            why.append(f"面向{member_type}")
        if product.guarantee == "信用":
            why.append("信用贷款，不要抵押")
        if collateral in product.collateral:
            why.append(f"可用{collateral}")
        scored.append((-len(why), product.name, product, why))
    scored.sort(key=lambda row: row[:2])
    return [(product, why) for _, _, product, why in scored[:MAX_PRODUCTS]]


def plan(turn: Any, values: dict[str, Any]) -> Plan:
    """Fitting products and the bank desk (金融服务) at the nearest center."""
    pack = turn.ctx.pack
    products = fitting_products(pack, values)
    where = (values["lat"], values["lon"]) if "lat" in values else None
    code = center_offering(turn, "finance", township=values.get("township"), where=where)
    fields = FORM.record_fields(values)
    fields["products"] = [p.name for p, _ in products]
    return Plan(fields=fields, center_code=code, view={"products": products})


FORM = Form(
    intent="loan_products", kind="loan_requests", title="贷款咨询", plan=plan,
    slots=(
        Slot("product", hint="product", read=read_product, scan=read_product, validate=_validate_product, asked=False, label="产品"),
        Slot("member_type", hint="member_type", options=fixed(*MEMBER_TYPES[:3], "企业"),
             read=read_member_type(MEMBER_TYPES), profile="member_type", label="身份"),
        Slot("purpose", options=fixed(*PURPOSES), read=_read_purpose, free=True, label="用途", example="买农机",
             scan=scan_purpose, scan_first=True),
        Slot("amount_yuan", hint="amount_yuan", validate=validate_positive(100_000_000, "forms/invalid_amount_yuan"),
             label="金额", number=True, example="5万", shown=show_yuan, scan=scan_amount),
        Slot("collateral", options=_collaterals, read=_read_collateral, label="抵押物"),
        Slot("township", hint="township", read=read_township, validate=validate_township, profile="township",
             location=True, label="地点", required=True, example="@township"),
        Slot("phone", hint="phone", validate=validate_phone, profile="phone", label="电话", required=True,
             example="13800138000"),
    ),
)
