"""Form declarations (Rasa-style): the slots a request needs, how each is asked, read and checked.

A form is data: `Form(slots=[Slot(...), ...], plan=...)`. The one engine that runs every form
is `bot.dialog`; nothing here keeps state or talks to the store.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable

from knowledge.routing import township_at, township_of

PLACEHOLDER = "待补充"
# Vague but useful answers to "when": kept as the farmer said them, staff arrange the day.
VAGUE_DATES = ("越快越好", "尽快", "随时", "都可以", "都行", "这几天", "最近", "过几天", "下个月", "月底", "月初")
NAME_PREFIXES = ("我叫", "我是", "名字叫", "名字是", "叫", "是")
ORG_SUFFIXES = ("合作社", "农场", "公司", "协会", "联合社", "家庭农场", "基地", "厂")


class Invalid(Exception):
    """A value the slot cannot take; `template` explains why (rendered with `value`)."""

    def __init__(self, template: str, **data: Any) -> None:
        super().__init__(template)
        self.template = template
        self.data = data


@dataclass(frozen=True)
class Slot:
    """One thing a form needs, and how the engine obtains it."""

    name: str
    hint: str | None = None                     # NLU slot for parse_slot_answer; None: not read by NLU
    options: Callable[[dict[str, Any], Any], list[tuple[str, Any]]] | None = None  # (label, value) per 回复数字
    read: Callable[[str, Any], Any] | None = None        # reads a bare answer the NLU does not know
    validate: Callable[[Any, Any], Any] | None = None    # (value, turn) -> clean value, or raises Invalid
    profile: str | None = None                  # WechatUser attribute that pre-fills it
    skip: Any = None                            # stored when the user says "不用"/"没有" (optional slots)
    free: bool = False                          # `read` takes any short text (names): not for side questions
    location: bool = False                      # a WeChat location message answers it

    @property
    def ask(self) -> str:
        return f"forms/ask_{self.name}"


@dataclass(frozen=True)
class Plan:
    """What a completed form becomes: record columns, the routed center, and what to show."""

    fields: dict[str, Any]
    center_code: str | None
    view: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Form:
    intent: str
    kind: str                                   # REQUEST_KINDS key of the record it creates
    slots: tuple[Slot, ...]
    plan: Callable[[Any, dict[str, Any]], Plan]  # (turn, slots) -> Plan; pure: run for summary and submit
    title: str                                  # short Chinese name used in prompts ("托管预约")

    def slot(self, name: str) -> Slot | None:
        return next((s for s in self.slots if s.name == name), None)

    def missing(self, values: dict[str, Any]) -> Slot | None:
        return next((s for s in self.slots if s.name not in values), None)


# ---- readers and validators shared by several forms ----------------------------------------

def fixed(*labels: str) -> Callable[[dict[str, Any], Any], list[tuple[str, Any]]]:
    return lambda values, pack: [(label, label) for label in labels]


def read_choice(labels: tuple[str, ...]) -> Callable[[str, Any], Any]:
    """A bare answer naming one of the labels ("合作社" for 农民合作社)."""

    def read(text: str, pack: Any) -> Any:
        found = [label for label in labels if label in text or (len(text) >= 2 and text in label)]
        return found[0] if len(found) == 1 else None

    return read


def read_name(text: str, pack: Any) -> str | None:
    name = text.strip().strip("。.!！,，")
    for prefix in NAME_PREFIXES:
        if name.startswith(prefix) and len(name) > len(prefix) + 1:
            name = name[len(prefix):]
            break
    return name if 2 <= len(name) <= 30 and not any(ch.isdigit() for ch in name) else None


def read_org_name(text: str, pack: Any) -> str | None:
    name = read_name(text, pack)
    return name if name and len(name) >= 4 else None


def is_org_name(text: str) -> bool:
    return any(text.strip().endswith(suffix) for suffix in ORG_SUFFIXES)


def read_township(text: str, pack: Any) -> str | None:
    found = township_of(pack, text)
    return found.name if found else None


def township_from_location(pack: Any, lat: float, lon: float) -> str | None:
    found = township_at(pack, lat, lon)
    return found.name if found else None


def validate_township(value: Any, turn: Any) -> str:
    pack = turn.ctx.pack
    known = pack.township(str(value)) or township_of(pack, str(value))
    if known is None:
        raise Invalid("forms/invalid_township", value=value)
    return known.name


def validate_phone(value: Any, turn: Any) -> str:
    digits = re.sub(r"\D", "", str(value))
    if len(digits) != 11 or not digits.startswith("1"):
        raise Invalid("forms/invalid_phone", value=value)
    return digits


def validate_positive(limit: float, template: str) -> Callable[[Any, Any], float]:
    def check(value: Any, turn: Any) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise Invalid(template, value=value) from None
        if not 0 < number <= limit:
            raise Invalid(template, value=value)
        return int(number) if number == int(number) else number

    return check


def read_date(text: str, pack: Any) -> str | None:
    cleaned = text.strip().strip("。.!！")
    return cleaned if any(word in cleaned for word in VAGUE_DATES) and len(cleaned) <= 12 else None


def validate_date(value: Any, turn: Any) -> str:
    text = str(value)
    try:
        when = date.fromisoformat(text)
    except ValueError:
        return text  # "越快越好", "下个月": staff settle the day
    if when < turn.ctx.today():
        raise Invalid("forms/invalid_date", value=text)
    return text


def price_text(price: Any) -> str | None:
    """A catalogue price as shown, None when the pack has none (待补充): never invent a price."""
    if isinstance(price, (int, float)) and not isinstance(price, bool):
        return f"{price:g}"
    return None


def center_offering(turn: Any, service: str, township: str | None = None,
                    where: tuple[float, float] | None = None) -> str | None:
    """Code of the center a request goes to (`service`: a role such as "finance", or a service name), by the
    one routing decision (knowledge.routing.route): the township said wins over a location."""
    from knowledge.routing import route

    pack = turn.ctx.pack
    found = route(pack, service, township=township, location=where)
    return found.center.code if found.center else pack.info.default_center
