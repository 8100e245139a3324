"""Form declarations (Rasa-style): the slots a request needs, how each is asked, read and checked.

A form is data: `Form(slots=[Slot(...), ...], plan=...)`. The one engine that runs every form
is `bot.dialog.engine`; nothing here keeps state or talks to the store.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable

from knowledge.routing import township_at, township_of

PLACEHOLDER = "待补充"
# Vague but useful answers to "when": kept as the farmer said them, staff arrange the day.
VAGUE_DATES = ("越快越好", "尽快", "随时", "都可以", "都行", "这几天", "最近", "过几天", "下个月", "月底", "月初",
               "月中", "下个礼拜", "下礼拜", "下个星期", "下星期", "下周", "过两天", "过段时间", "开春", "春节", "过年",
               "腊月", "正月", "收了", "以后", "之前", "前后", "左右", "再说", "上旬", "中旬", "下旬", "月份", "季",
               "农闲", "忙完", "赶早", "早点", "尽早", "马上", "立刻", "明后天", "周末", "礼拜")
NAME_PREFIXES = ("我叫", "俺叫", "联系人是", "联系人叫", "联系人", "我是", "名字叫", "名字是", "叫", "是")
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
    label: str = ""                             # what the farmer reads ("面积"); summary, status, console
    required: bool = False                      # the center cannot act without it (who, where, what, call back)
    asked: bool = True                          # False: filled only when the farmer says it (never asked)
    example: str = ""                           # shown when the question is asked again ("比如“30”")
    number: bool = False                        # a bare number ("二十", "四十来") answers it
    column: str | None = ""                     # record column it goes to ("" = its name; None = slots only)
    implied: Callable[[dict[str, Any], Any], Any] | None = None  # (values, pack) -> value implied by others
    shown: Callable[[Any], str] | None = None   # how a value reads (default: str)
    scan: Callable[[str, Any], Any] | None = None  # finds the value anywhere in any message of the form
    export: Callable[[Any], Any] | None = None  # the value as exported (default: as stored)
    scan_first: bool = False                    # `scan` reads the form's first message only
    fallback: Callable[[dict[str, Any], Any], Any] | None = None  # value when still empty once all was asked

    @property
    def ask(self) -> str:
        return f"forms/ask_{self.name}"

    @property
    def record_column(self) -> str | None:
        return self.name if self.column == "" else self.column

    def show(self, value: Any) -> str:
        if self.shown is not None:
            return self.shown(value)
        if isinstance(value, float) and value == int(value):
            value = int(value)
        return str(value)


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

    def missing(self, values: dict[str, Any], settled: Any = ()) -> Slot | None:
        """The next slot to ask: not filled, asked at all, and (when optional) not asked before."""
        return next((s for s in self.slots if s.name not in values and s.asked and s.name not in settled), None)

    def missing_required(self, values: dict[str, Any]) -> list[Slot]:
        return [s for s in self.slots if s.required and s.name not in values]

    def lines(self, values: dict[str, Any]) -> list[tuple[str, str]]:
        """(label, value as read) of every slot filled, in declaration order: summaries and status lines."""
        return [(s.label or s.name, s.show(values[s.name])) for s in self.slots
                if values.get(s.name) not in (None, "", []) and s.show(values[s.name]) != ""]

    def record_fields(self, values: dict[str, Any]) -> dict[str, Any]:
        """The record columns the declaration maps its slots to (None for a slot not filled)."""
        return {s.record_column: values.get(s.name) for s in self.slots if s.record_column}


# ---- readers and validators shared by several forms ----------------------------------------

def fixed(*labels: str) -> Callable[[dict[str, Any], Any], list[tuple[str, Any]]]:
    return lambda values, pack: [(label, label) for label in labels]


def read_choice(labels: tuple[str, ...]) -> Callable[[str, Any], Any]:
    """A bare answer naming one of the labels ("合作社" for 农民合作社)."""

    def read(text: str, pack: Any) -> Any:
        found = [label for label in labels if label in text or (len(text) >= 2 and text in label)]
        return found[0] if len(found) == 1 else None

    return read


# How farmers who apply for themselves say so ("个人", "就我自己", "种地的", "种植大户"): a 农户.
SELF_FARMER = ("个人", "自己", "本人", "种地", "种田", "务农", "农民", "老百姓", "养猪的", "养殖的", "种植的", "一家人", "果农",
               "菜农", "茶农", "椒农", "村民", "散户", "大户", "种植户", "养殖户", "种粮户", "专业户")
# An organisation's kind in its own words ("我是合作社的理事长", "我开了个家庭农场", "我们是村委会").
_KIND_WORDS = (("家庭农场", "家庭农场"), ("农场", "家庭农场"), ("合作社", "农民合作社"), ("联合社", "农民合作社"),
               ("村集体", "村集体"), ("村委", "村集体"), ("集体经济", "村集体"), ("公司", "企业"), ("企业", "企业"))


def read_member_type(labels: tuple[str, ...]) -> Callable[[str, Any], Any]:
    """Who the applicant is, as a label or in the farmer's own words (one kind named, or a person: 农户)."""
    choice = read_choice(labels)

    def read(text: str, pack: Any) -> Any:
        found = choice(text, pack)
        if found:
            return found
        kinds = {kind for word, kind in _KIND_WORDS if word in text and kind in labels}
        if len(kinds) == 1:
            return kinds.pop()
        if not kinds and "农户" in labels and any(word in text for word in SELF_FARMER):
            return "农户"
        return None

    return read


# Words a farmer puts around a name: labels ("名字是", "联系人"), roles ("理事长", "村支书") and endings
# ("就是了"). A role or a kind of farmer alone is no name ("村主任", "普通农户").
_NAME_LEAD = re.compile(r"^(?:(?:我|俺)们?(?:合作社|社|农场|单位)的?|(?:我|俺)(?:的)?|(?:合作社|社|农场|公司|单位)(?=的|名|全称|姓名|大名|联系人|理事长|社长|村主任|村支书|支书|书记|会计|负责人|主任|场长|老板|就|叫|是|为|$)(?:的)?)?"
                        r"(?:名字|名称|全称|姓名|大名|联系人|理事长|社长|村主任|村支书|支书|书记|会计|负责人|主任|场长|老板)?"
                        r"(?:就)?(?:叫做|叫|是|为)?[:：\s]*")
_NAME_TAIL = re.compile(r"(?:就是了|就是|嘛|哈|呢|哦|啊|噻|哈)$")
_NOT_A_NAME = ("村主任", "村支书", "支书", "书记", "理事长", "社长", "会计", "负责人", "主任", "场长", "老板", "农户",
               "普通农户", "散户", "合作社", "家庭农场", "村集体", "企业", "本人", "我自己", "自己", "农民合作社", "专业合作社",
               "农民专业合作社", "种植大户", "大户", "个人")
_SURNAME_THEN_NAME = re.compile(r"(?:我|俺)?姓([\u4e00-\u9fa5])[，,。\s]*(?:叫|名字叫|全名)?([\u4e00-\u9fa5]{1,3})?$")


def clean_name(text: str) -> str | None:
    """The name inside what the farmer wrote: labels, roles and endings dropped; None when none is left."""
    name = _NAME_TAIL.sub("", text.strip().strip("。.!！,，~～"))
    # "我罗兴" after the label: 我/俺 directly before a name
    surname = _SURNAME_THEN_NAME.search(name)
    if surname:
        first, rest = surname.group(1), surname.group(2) or ""
        if not rest:
            return None  # a surname alone ("我姓杨") is not the name; the form asks again
        return rest if rest.startswith(first) else first + rest
    for clause in reversed(re.split(r"[，,。；;\s]+", name)):
        cleaned = _NAME_TAIL.sub("", _NAME_LEAD.sub("", clause, count=1))
        if cleaned.startswith(("我", "俺")) and len(cleaned) >= 3:
            cleaned = cleaned[1:]
        if cleaned and cleaned not in _NOT_A_NAME and not cleaned.endswith(("农户", "主任", "支书", "书记")):
            return cleaned
    return None


# Words that make a clause a sentence, not a person's name ("能的话我就入", "不晓得填啥"): pronouns, modal
# verbs, particles. An organisation's name (ends with 合作社/农场/公司 …) may carry them.
_SENTENCE_WORDS = ("我", "你", "他们", "的话", "就", "想", "要", "能", "会", "吗", "不", "了", "吧", "啥", "咋", "么", "这", "呢",
                   "嘛", "没", "可以", "还", "也", "都", "在", "有", "给", "帮", "的", "哦", "啊", "呀", "哈", "噻", "咯",
                   "麻烦", "本地", "人家", "屋头", "那个")
# The commonest surnames (a bare answer that fits no question is taken as a name only when it starts with one).
SURNAMES = ("王李张刘陈杨黄赵周吴徐孙马朱胡郭何罗高林郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
            "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱覃武戴孔汤庞樊兰殷施"
            "陶洪翟安颜倪严牛温芦季俞章鲁葛伍申尤毕聂柴焦向柳邢岳齐梅莫庄辛管祝左涂谷祁时舒耿牟卜路詹关苗凌费纪靳盛童"
            "欧甘项蒙冉")


def read_name(text: str, pack: Any) -> str | None:
    name = clean_name(text) or ""
    if not is_org_name(name) and any(word in name for word in (*_SENTENCE_WORDS, *SELF_FARMER)):
        return None  # a sentence, or who the farmer is ("就我自己种点地"), not a name
    return name if 2 <= len(name) <= 30 and not any(ch.isdigit() for ch in name) else None


def person_name(text: str, pack: Any) -> str | None:
    """A bare message that is a person's name and nothing else ("周志强", "我叫王秀英"): 2-4 Chinese characters
    after the labels, starting with a common surname, naming no place."""
    name = read_name(text, pack)
    if not name or not re.fullmatch(r"[\u4e00-\u9fff]{2,4}", name) or name[0] not in SURNAMES:
        return None
    return None if township_of(pack, name) is not None else name


# Inside an organisation's name these say it is a sentence about one ("我们是东溪镇的合作社", "想办的合作社").
_NOT_IN_ORG_NAMES = ("我", "俺", "你", "们", "想", "要", "的合作社", "的农场", "的家庭农场", "的公司", "一个", "一家", "帮", "能不能")


# A place and nothing else ("东昌府区", "石宝镇", "临清市"): where the organisation is, not its name.
_PLACE_ONLY = re.compile(r"^[\u4e00-\u9fff]{1,8}?(?:省|市|区|县|镇|乡|街道|社区|村)$")


def read_org_name(text: str, pack: Any) -> str | None:
    name = read_name(text, pack)
    if not name or len(name) < 4 or any(w in name for w in _NOT_IN_ORG_NAMES):
        return None
    if not is_org_name(name) and (_PLACE_ONLY.match(name) or township_of(pack, name) is not None and
                                  read_township(name, pack) == name):
        return None
    return name


def member_type_of_name(values: dict[str, Any], pack: Any) -> str | None:
    """An organisation's name says what it is: 某某家庭农场 → 家庭农场, 某某专业合作社 → 农民合作社."""
    name = str(values.get("name") or values.get("org_name") or "")
    if name.endswith("家庭农场"):
        return "家庭农场"
    if name.endswith(("村委会", "集体经济组织", "股份经济合作社", "经济合作社")):
        return "村集体"  # before 合作社: a village's 股份经济合作社 is its collective
    if name.endswith(("合作社", "联合社")):
        return "农民合作社"
    if name.endswith(("公司", "厂")):
        return "企业"
    return None


_ORG = re.compile(r"([\u4e00-\u9fffA-Za-z0-9（）()]{2,30}?(?:专业合作社|股份经济合作社|联合社|合作社|家庭农场|农场|有限公司|公司|协会|基地))")
_ORG_LEADS = ("我们是", "我是", "我们", "这里是", "俺们是", "俺是", "俺们", "是", "我在", "在")
_GENERIC_ORGS = {"合作社", "家庭农场", "农场", "公司", "协会", "基地", "专业合作社", "联合社", "我们合作社", "社里"}


def scan_org_name(text: str, pack: Any) -> str | None:
    """An organisation named anywhere in a message ("我是石宝柑橘专业合作社的，要代账")."""
    for found in _ORG.finditer(text):
        name = found.group(1)
        for lead in _ORG_LEADS:
            if name.startswith(lead):
                name = name[len(lead):]
                break
        if len(name) >= 5 and name not in _GENERIC_ORGS and not any(w in name for w in _NOT_IN_ORG_NAMES):
            return name
    return None


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
    """A date the NLU could not place, kept as the farmer said it (下个礼拜, 月中, 收了谷子再说)."""
    cleaned = text.strip().strip("。.!！，,")
    if re.search(r"[，,。；;\s]", cleaned):
        return scan_date(cleaned, pack)  # "施肥，收了谷子再说": the clause that is a date
    for lead in ("大概", "估计", "可能", "应该", "就", "要"):
        cleaned = cleaned.removeprefix(lead)
    if not cleaned or len(cleaned) > 14 or any(mark in cleaned for mark in ("?", "？", "吗")):
        return None
    return cleaned if any(word in cleaned for word in VAGUE_DATES) or re.search(r"[0-9一二三四五六七八九十]+月", cleaned) \
        else None


def scan_date(text: str, pack: Any) -> str | None:
    """A vague date said beside other answers ("石宝，下个礼拜，138…"): the clause that reads as one."""
    for clause in re.split(r"[，,。；;\s]+", text):
        if clause and any(word in clause for word in VAGUE_DATES) and not re.search(r"\d{5,}", clause):
            found = read_date(clause, pack)
            if found:
                return found
    return None


def show_date(value: Any) -> str:
    text = str(value)
    if len(text) == 10 and text[4] == "-" and text[:4].isdigit():
        return f"{int(text[5:7])}月{int(text[8:10])}日"
    return text


def show_yuan(value: Any) -> str:
    number = float(value)
    return f"{number / 10000:g}万元" if number >= 10000 else f"{number:g}元"


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
