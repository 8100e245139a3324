"""Staff edits over a shipped pack: which entities may be edited, the overlaid Pack, and its validation.

The YAML folder stays the shipped baseline; an edit is one entity's full new data (or None: removed) under
its kind and key. `overlay` builds the Pack the bot serves; `problems` runs `knowledge check` on the
overlaid pack (written to a temporary folder, so every check of the command applies) and says in Chinese
what an edit would break.
"""
from __future__ import annotations

import dataclasses
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Mapping, get_args, get_origin

import yaml
from pydantic import ValidationError

from knowledge.loader import PACK_FILES, Pack
from knowledge.schema import PLACEHOLDER, BookkeepingPackage, FaqEntry, LoanProduct, Service, ServiceCenter


@dataclass(frozen=True)
class Editable:
    """One kind of entity the county office edits in the console."""

    kind: str          # URL and database name: centers, services, bookkeeping, loans, faq
    attr: str          # Pack attribute and the file's top-level key
    file: str
    model: type
    key: str           # the field that names an entity (stable across edits)
    label: str         # shown to staff
    fields: tuple[str, ...]   # shown in the form and the spreadsheet, in this order
    title: str = "name"        # the field shown in lists


EDITABLE: dict[str, Editable] = {e.kind: e for e in (
    Editable("centers", "centers", "centers.yaml", ServiceCenter, "code", "服务中心",
             ("code", "name", "kind", "township", "address", "phone", "hours", "lat", "lon", "services", "roles",
              "status", "planned_count", "note", "source")),
    Editable("services", "services", "services.yaml", Service, "name", "托管服务与价格",
             ("name", "aliases", "category", "scope", "crops", "unit", "price_yuan", "role", "source")),
    Editable("bookkeeping", "bookkeeping_packages", "bookkeeping.yaml", BookkeepingPackage, "name", "代账套餐",
             ("name", "includes", "max_monthly_vouchers", "price_yuan_per_year", "source")),
    Editable("loans", "loan_products", "loans.yaml", LoanProduct, "name", "金融产品",
             ("name", "kind", "aliases", "bank", "who", "purposes", "amount_min_yuan", "amount_max_yuan", "term",
              "guarantee", "collateral", "documents", "subsidy", "description", "source")),
    Editable("faq", "faq", "faq.yaml", FaqEntry, "id", "政策问答",
             ("id", "questions", "keywords", "answer", "source"), title="id"),
)}

FIELD_LABELS = {
    "code": "编号", "name": "名称", "kind": "类型", "township": "乡镇（空=全县）", "address": "地址", "phone": "电话",
    "hours": "办公时间", "lat": "纬度", "lon": "经度", "services": "服务项目", "roles": "承担的业务",
    "status": "状态", "planned_count": "计划数量", "note": "说明", "source": "出处",
    "aliases": "别名", "category": "类别", "scope": "环节", "crops": "作物（空=不限）", "unit": "计价单位",
    "price_yuan": "参考价（元/单位）", "role": "业务", "includes": "包含", "max_monthly_vouchers": "每月凭证上限",
    "price_yuan_per_year": "年费（元）", "bank": "银行", "who": "适用对象", "purposes": "用途",
    "amount_min_yuan": "最低额度（元）", "amount_max_yuan": "最高额度（元）", "term": "期限", "guarantee": "担保方式",
    "collateral": "抵质押物", "documents": "所需材料", "subsidy": "贴息/补贴", "description": "介绍",
    "id": "编号", "questions": "问法（每行一个）", "keywords": "关键词", "answer": "答案",
    "source.doc": "出处文件编号", "source.section": "出处条款",
}
# Fixed choices shown by their meaning (the stored value stays the schema's).
CHOICE_LABELS = {
    "membership": "入会", "tuoguan": "托管", "finance": "金融服务", "bookkeeping": "财务代账", "supplies": "农资供应",
    "marketing": "农产品销售", "recycling": "回收", "auction": "资产拍卖", "consult": "咨询",
    "existing": "已建成", "planned": "规划中（文件计划、未定点）",
    "loan": "贷款", "insurance": "保险", "guarantee": "担保", "fund": "资金/基金", "subsidy": "补贴", "credit": "授信",
}
# Lists written one item a line (their items may hold 、 or ，); other lists are separated by 、 or , or ；.
LINE_LISTS = {"questions", "documents"}
LONG_TEXT = {"answer", "note", "description"}
_LIST_SPLIT = re.compile(r"[、,，;；|\n]")
_PHONE = re.compile(r"[0-9０-９+\-－—()（） /、,，转]{5,}")


# ---- reading a value typed by staff (form field or spreadsheet cell) ----------------------------
def annotation(model: type, name: str) -> str:
    return str(model.model_fields[name].annotation)


def choices(model: type, name: str) -> tuple[str, ...]:
    """The allowed values of a Literal field (or of a list of them); empty when the field is free text."""
    def literal(tp: Any) -> tuple[str, ...]:
        if get_origin(tp) is Literal:
            return tuple(str(a) for a in get_args(tp))
        return next((found for arg in get_args(tp) if (found := literal(arg))), ())
    return literal(model.model_fields[name].annotation)


def is_list(model: type, name: str) -> bool:
    return annotation(model, name).startswith("list")


def default_of(model: type, name: str) -> Any:
    return model.model_fields[name].get_default(call_default_factory=True)


def parse_value(model: type, name: str, raw: Any) -> Any:
    """A typed value from what staff wrote: lists split, numbers read, blank = the schema's default (待补充)."""
    if isinstance(raw, str):
        raw = raw.strip()
    if raw is None or raw == "":
        return default_of(model, name)
    text = annotation(model, name)
    if text.startswith("list"):
        if isinstance(raw, list):
            return [str(v).strip() for v in raw if str(v).strip()]
        parts = str(raw).splitlines() if name in LINE_LISTS else _LIST_SPLIT.split(str(raw))
        return [p.strip() for p in parts if p.strip()]
    if ("float" in text or "int" in text) and isinstance(raw, str):
        number = raw.replace(",", "").replace("，", "")
        try:
            value = float(number)
            return int(value) if "float" not in text and value.is_integer() else value
        except ValueError:
            return raw     # 待补充 for a price; anything else fails validation with the field named
    if "int" in text and "float" not in text and isinstance(raw, float) and raw.is_integer():
        return int(raw)
    return raw


def shown_value(value: Any, name: str) -> str:
    """The inverse of parse_value, for a form field or a spreadsheet cell."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ("\n" if name in LINE_LISTS else "、").join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def from_fields(editable: Editable, current: Mapping[str, Any] | None, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The entity's new data: `current` with the fields staff sent (source as source.doc / source.section)."""
    data = dict(current or {})
    for name in editable.fields:
        if name == "source":
            if "source.doc" in fields or "source.section" in fields:
                doc = str(fields.get("source.doc") or "").strip()
                section = str(fields.get("source.section") or "").strip()
                data["source"] = {"doc": doc, "section": section} if doc or section else None
        elif name in fields:
            value = parse_value(editable.model, name, fields[name])
            if isinstance(value, list) and choices(editable.model, name) and set(value) == set(data.get(name) or []):
                value = data[name]   # ticked boxes come in the form's order: the same set is no change
            data[name] = value
    return data


# ---- validation --------------------------------------------------------------------------------
_PYDANTIC = {"missing": "必填", "float_parsing": "须是数字", "int_parsing": "须是整数", "float_type": "须是数字",
             "int_type": "须是整数", "string_type": "须是文字", "list_type": "须是列表", "extra_forbidden": "不是这一类的字段",
             "int_from_float": "须是整数"}


def entity_problems(editable: Editable, data: Mapping[str, Any]) -> tuple[Any, list[str]]:
    """The validated entity (None when invalid) and what is wrong with it, in Chinese, field by field."""
    problems: list[str] = []
    try:
        entity = editable.model.model_validate(dict(data))
    except ValidationError as exc:
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"] if not isinstance(p, int))
            label = FIELD_LABELS.get(loc) or FIELD_LABELS.get(loc.split(".")[0], loc)
            if err["type"] == "literal_error":
                problems.append(f"“{label}”只能是：{err.get('ctx', {}).get('expected', '')}")
            else:
                problems.append(f"“{label}”{_PYDANTIC.get(err['type'], '填写有误：' + err['msg'])}")
        return None, problems
    key = str(getattr(entity, editable.key) or "").strip()
    if not key:
        problems.append(f"“{FIELD_LABELS[editable.key]}”必填")
    if isinstance(entity, ServiceCenter):
        if entity.phone != PLACEHOLDER and not _PHONE.fullmatch(entity.phone):
            problems.append(f"电话“{entity.phone}”不像电话号码（不知道就写 {PLACEHOLDER}）")
        if entity.lat is not None and not -90 <= entity.lat <= 90 or entity.lon is not None and not -180 <= entity.lon <= 180:
            problems.append("坐标超出范围：纬度在 -90 到 90 之间，经度在 -180 到 180 之间")
        if (entity.lat is None) != (entity.lon is None):
            problems.append("纬度和经度要一起填")
    return entity, problems


Edits = Mapping[tuple[str, str], "dict[str, Any] | None"]


def overlay(base: Pack, edits: Edits) -> Pack:
    """The pack with each edited entity replaced, added (at the end) or removed (None)."""
    if not edits:
        return base
    changes: dict[str, list] = {}
    for editable in EDITABLE.values():
        mine = {key: data for (kind, key), data in edits.items() if kind == editable.kind}
        if not mine:
            continue
        items, seen = [], set()
        for item in getattr(base, editable.attr):
            key = str(getattr(item, editable.key))
            seen.add(key)
            if key not in mine:
                items.append(item)
            elif mine[key] is not None:
                items.append(editable.model.model_validate(mine[key]))
        items += [editable.model.model_validate(data) for key, data in mine.items()
                  if key not in seen and data is not None]
        changes[editable.attr] = items
    return dataclasses.replace(base, **changes)


def entities(pack: Pack, kind: str) -> dict[str, Any]:
    editable = EDITABLE[kind]
    return {str(getattr(item, editable.key)): item for item in getattr(pack, editable.attr)}


def write_folder(pack: Pack, target: Path) -> Path:
    """The pack as a folder of YAML files: the shipped files, the edited kinds rewritten from `pack`."""
    shutil.copytree(pack.path, target, ignore=shutil.ignore_patterns("templates", "*.md", "__pycache__"),
                    dirs_exist_ok=True)
    files = {e.attr: e.file for e in EDITABLE.values()}
    for attr, fname in files.items():
        items = getattr(pack, attr)
        assert PACK_FILES[fname][0] == attr
        (target / fname).write_text(yaml.safe_dump({attr: [i.model_dump(mode="json") for i in items]},
                                                   allow_unicode=True, sort_keys=False, width=200),
                                    encoding="utf-8")
    return target


def check_messages(pack: Pack) -> list[str]:
    """`knowledge check` of the pack as it stands in memory: its error messages (file names, no lines)."""
    from knowledge.check import check_pack

    with tempfile.TemporaryDirectory(prefix="nongbot-pack-") as tmp:
        report = check_pack(write_folder(pack, Path(tmp) / pack.path.name))
    return [f"{p.file}: {p.message}" for p in report.errors]


def problems(before: Pack, after: Pack, before_messages: list[str] | None = None) -> list[str]:
    """What the change from `before` to `after` breaks, in Chinese: the check's errors `after` has and
    `before` had not (a shipped pack's own fault never blocks an unrelated edit)."""
    old = set(before_messages if before_messages is not None else check_messages(before))
    return [in_chinese(m) for m in check_messages(after) if m not in old]


_MESSAGES: tuple[tuple[re.Pattern, str], ...] = tuple((re.compile(p), r) for p, r in (
    (r"center (\S+): unknown service `(.+)`", r"服务中心 \1：没有“\2”这项服务（须是托管服务或中心职能里已有的名称）"),
    (r"center (\S+): unknown township `(.+)`", r"服务中心 \1：本县没有“\2”这个乡镇（写乡镇全称，如 石宝镇）"),
    (r"service (.+): unknown crop `(.+)`", r"服务“\1”：没有“\2”这种作物（须是作物表里的名称）"),
    (r"duplicate center code `(.+)`", r"服务中心编号“\1”重复了"),
    (r"duplicate service `(.+)`", r"服务“\1”重复了"),
    (r"duplicate faq id `(.+)`", r"问答编号“\1”重复了"),
    (r"(.+): fact without `source`", r"“\1”没有出处（出处文件编号和条款）"),
    (r"(.+): unknown source document `(.*)`", r"“\1”的出处文件“\2”不是本县的文件"),
    (r"default_center `(.+)` is not a center code", r"服务中心 \1 是本县默认的服务中心，不能删除"),
    (r"offers (\S+), but .*no center with role `(\w+)`", r"本县提供“\1”，改完后没有一个服务中心承担“\2”业务"),
    (r"offers (\S+), but (\S+): (.+)", r"本县提供“\1”，改完后缺少：\3"),
))


def in_chinese(message: str) -> str:
    fname, _, text = message.partition(": ")
    for pattern, replacement in _MESSAGES:
        found = pattern.search(text)
        if found:
            return found.expand(replacement)
    return f"知识包检查不通过（{fname}）：{text}"


