"""A seeded farmer simulator: personas × quirks talking to the dialog engine over any knowledge pack.

Each simulated farmer has a task (a booking, joining, a loan, 代账, or a person) and a table of facts drawn
from the pack's own townships, crops, services and loan products. The farmer reads every bot reply,
answers what it recognises from the table (the way a farmer would: by the question's words, sometimes by
the number of an option), and has quirks: facts in any order or several at once, corrections, vague dates,
silence on optional questions, side questions (also about the request itself: "入会要交会费不"), asking for a
person, cancelling, voice noise, a location instead of a township, facts said in a message of their own
before the request, a name given to whatever is asked first, who they are in their own words ("个人",
"种植大户"). Joining is asked for in the county's own words for what its document offers (忠县's 农合联, a
农民专业合作社 elsewhere, 聊城's 基层供销合作社, an organisation signing with the 合作社服务中心); 代账 by
合作社 and 家庭农场, opening with or without the work named; tasks only where the pack offers them. Harsher
farmers (session 14) may carry a second quirk: remarks on the weather or prices, a township misspelt by a
sound-alike character, phones with spaces or dashes, the county's dialect (要得/得行, 俺/中/管), the pack's own
alias words for the work and the crop, a correction mid-form or at the summary, a vague date from the crop's
activities (摘了花椒以后), "随便/不晓得" to an optional question, voice Recognition, quitting mid-form. A conversation succeeds when the expected record exists with the facts the farmer
gave; it is stuck when the bot sends the same reply three times in a row or it runs past MAX_TURNS.

    python -m tests.farmer_sim --n 500 [--pack zhongxian] [--seed 7] [--show-failures 3]
"""
from __future__ import annotations

import argparse
import itertools
import random
import re
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select

from bot.wechat.inbound import Inbound

PACKS = ("zhongxian", "fengdu", "jiangjin", "liaocheng", "nanchuan")
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)  # Monday 10:00 in China
TODAY = date(2026, 11, 23)
MAX_TURNS = 24
QUIRKS = ("plain", "front", "several", "order", "correction", "vague_date", "silence", "side", "person", "cancel",
          "voice_noise", "location", "digits", "before", "other_slot", "own_words", "weather", "misspelt",
          "phone_format", "dialect", "alias_words", "mid_correction", "voice_text", "quit")
# Quirks a farmer may have on top of the first (a real farmer has several): none of them changes the record.
EXTRA_QUIRKS = ("order", "several", "vague_date", "side", "voice_noise", "weather", "misspelt", "phone_format",
                "dialect", "alias_words", "own_words", "silence", "voice_text")
SURNAMES = "王李张刘陈杨黄赵周吴徐孙马朱胡郭何罗高林"
GIVEN = ("大明", "建国", "秀英", "桂兰", "国华", "志强", "春花", "德福", "小红", "永福")
WEEKDAYS = "一二三四五六日"
SIDE_QUESTIONS = ("农合联是啥子", "你们这个收费不", "服务中心几点上班", "服务中心在哪里", "有啥子补贴政策没得",
                  "现在化肥好多钱一包")
LUXI_SIDE_QUESTIONS = ("恁这收钱不", "服务中心在哪啊", "有啥补贴不", "这个咋收费")
# Remarks that answer nothing: acknowledged, never stored.
REMARKS = {"chongqing": ("今天好大的雾哦", "这两天雨落得好大", "今年橘子价钱太孬了", "哎，天气好冷哦"),
           "luxi": ("今儿个真冷啊", "今年麦子价太孬了", "这两天雨下得可大了")}
# Answers to an optional question the farmer cannot or will not answer.
SKIPS = {"chongqing": ("不晓得", "随便", "你们看着办", "莫得", "跳过"), "luxi": ("俺不知道", "随便", "恁看着办", "跳过")}
CONFIRMS = {"chongqing": ("确认", "1", "要得", "得行", "对头", "对的"), "luxi": ("确认", "1", "中", "管", "行", "对")}
PERSON_ASKS = {"chongqing": ("太麻烦了，叫个人打给我，{phone}", "找你们负责人，电话{phone}", "你们喊个人给我打电话嘛，{phone}"),
               "luxi": ("俺要找个人说说，电话{phone}", "恁叫个人给俺打电话，{phone}")}
QUITS = ("算了，不弄了", "不办了，取消", "算了算了，不要了")
# Sound-alike characters a farmer types (洋度 for 洋渡): a township misspelt by one of them.
SOUND_ALIKE = {"渡": "度", "溪": "西", "石": "十", "山": "珊", "河": "和", "桥": "乔", "坪": "平", "坝": "霸",
               "鹤": "贺", "桂": "贵", "峰": "风", "兴": "星", "福": "付", "湖": "胡", "江": "将", "宝": "保",
               "花": "华", "汇": "会", "黄": "皇", "杨": "阳", "场": "厂", "云": "允", "堂": "唐", "营": "迎"}
VAGUE_DATES = ("下个礼拜", "月中", "开春以后", "过两天", "越快越好", "收了这季再说", "腊月里")
# Side questions about the request itself, asked mid-form ("入会要交会费不"): answered, never stored.
TASK_SIDE_QUESTIONS = {"members": ("入会要交会费不", "入社要交钱不", "加入有啥子好处"),
                       "bookkeeping_requests": ("代账要好多钱", "代账收费不", "要准备啥子材料"),
                       "loan_requests": ("利息高不高", "要抵押不"), "bookings": ("一亩好多钱", "你们有机子没得")}
# How a farmer joining for themselves says who they are (the record says 农户).
SELF_FARMER = ("个人", "散户", "种地的", "普通农户", "种植大户", "就我自己", "就我自己种点地", "我是种地的")
# How a family farm or a cooperative says what it is.
SELF_KIND = {"家庭农场": ("我们是家庭农场", "我开了个家庭农场", "家庭农场主"),
             "农民合作社": ("我们是合作社", "我是合作社的理事长", "专业合作社")}
TASK_INTENTS = {"bookings": "book_tuoguan", "members": "join_nonghelian", "loan_requests": "loan_products",
                "bookkeeping_requests": "bookkeeping"}
FILLERS = ("嗯，", "那个，", "喂，", "就是说，")
CN_NUM = {20: "二十", 30: "三十", 40: "四十", 50: "五十", 60: "六十", 80: "八十", 100: "一百", 120: "一百二"}


class DictStore:
    """The store's get/set/delete in a dict: the simulator's sessions need no database round trips."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}

    def get(self, key: str) -> Any:
        return self.data.get(key)

    def set(self, key: str, value: Any, ttl: int | None = None) -> None:
        self.data[key] = value

    def delete(self, key: str) -> None:
        self.data.pop(key, None)

    def incr(self, key: str, ttl: int | None = None) -> int:
        self.data[key] = int(self.data.get(key) or 0) + 1
        return self.data[key]


def credit_code(rng: random.Random) -> str:
    from handlers.bookkeeping import CREDIT_CODE_CHARS, credit_code_check_char

    body = "93" + "".join(rng.choice("0123456789") for _ in range(6)) + "".join(
        rng.choice(CREDIT_CODE_CHARS) for _ in range(9))
    return body + credit_code_check_char(body)


@dataclass
class Farmer:
    """One simulated farmer: a task, the facts it knows (CONTRACT names), how it says each, its quirk."""

    pack: str
    task: str                     # bookings | members | loan_requests | bookkeeping_requests | tickets
    quirk: str
    facts: dict[str, Any]         # what the record should carry
    said: dict[str, str]          # how the farmer says each fact
    opening: str
    rng: random.Random
    expect_status: str = "received"
    given: set[str] = field(default_factory=set)
    corrected: bool = False
    side_done: bool = False
    person_done: bool = False
    turns: int = 0
    wrong_phone_given: bool = False
    quirks: set[str] = field(default_factory=set)   # the first quirk and any extra ones
    dialect: str = "chongqing"
    remark_done: bool = False
    unheard: bool = False
    quit_done: bool = False
    mid_corrected: bool = False
    new_values: dict[str, tuple[Any, str]] = field(default_factory=dict)  # a fact changed mid-form

    def has(self, quirk: str) -> bool:
        return quirk == self.quirk or quirk in self.quirks

    def answer(self, reply: str) -> Any:
        """The next message after reading the bot's reply: text, ("location", lat, lon) or ("voice", None)."""
        rng = self.rng
        self.turns += 1
        reply = reply or ""  # no passive reply (answered later through 客服 on a slow machine)
        done = "已提交" in reply or "工单号" in reply
        if "已取消" in reply and self.expect_status in ("withdrawn", "none"):
            return None
        if self.has("voice_noise") and rng.random() < 0.15 and not done and not self.unheard:
            self.unheard = True  # a voice WeChat could not read; the farmer types after it
            return ("voice", None)
        self.unheard = False
        if self.has("side") and not self.side_done and "请核对" not in reply and not done:
            self.side_done = True
            asks = LUXI_SIDE_QUESTIONS if self.dialect == "luxi" else SIDE_QUESTIONS
            return rng.choice(asks + TASK_SIDE_QUESTIONS.get(self.task, ()))
        if self.has("weather") and not self.remark_done and self.turns >= 2 and not done:
            self.remark_done = True
            return rng.choice(REMARKS[self.dialect])
        if self.before and self.turns == 1:
            return self._decorate(self.opening_after)  # the facts came first, the request now
        if self.quirk == "person" and not self.person_done and self.turns >= 3:
            self.person_done = True
            phone = self.facts.get("phone")
            return rng.choice(PERSON_ASKS[self.dialect]).format(phone=phone) if phone else "转人工"
        if self.quirk == "quit" and not self.quit_done and self.turns >= 2 and not done:
            self.quit_done = True
            return rng.choice(QUITS)
        if self.quirk == "quit" and self.quit_done:
            return None
        if "继续" in reply and ("吗" in reply or "？" in reply) and not done and "请核对" not in reply \
                and rng.random() < 0.5:  # "继续刚才的…吗？" — said yes to, or the question in it answered
            return rng.choice(("继续", "是", "中")) if self.dialect == "luxi" else rng.choice(("继续", "是", "要得"))
        if "工单号" in reply or "补充到您的工单" in reply:
            return None
        if "已提交" in reply:
            if self.quirk == "cancel" and self.expect_status == "withdrawn" and not self.corrected:
                self.corrected = True
                return "把刚才的申请取消掉"
            return None
        if "已取消" in reply and self.expect_status == "withdrawn":
            return None
        if "请核对" in reply:
            wrong = self._summary_mismatch(reply)
            if wrong:
                return f"不对，{self.said[wrong]}"
            if self.quirk == "correction" and not self.corrected:
                self.corrected = True
                fix = self._correction()
                if fix:
                    return fix
            return rng.choice(CONFIRMS[self.dialect]) if self.has("dialect") else ("确认" if rng.random() < 0.7 else "1")
        if "还是" in reply and "吗" in reply:
            return "是" if not self.has("dialect") else ("中" if self.dialect == "luxi" else "是的")
        slot = self._asked(reply)
        if slot is None:
            if "跳过" in reply:
                return "1"
            if "您是想" in reply:  # a clarifying question: the option that is the farmer's request
                for number, label in re.findall(r"(\d+) (\S+)", reply):
                    if any(word in label for word in CLARIFY_WORDS.get(self.task, ())):
                        return number
            return self._decorate(self.opening_after or self.opening)
        if slot not in self.facts or self.facts[slot] is None:
            if slot == "collateral":
                return "没有" if self.dialect != "luxi" else rng.choice(("没有", "俺没有"))
            return rng.choice(SKIPS[self.dialect])
        if self.quirk == "mid_correction" and not self.mid_corrected and self.new_values and slot not in self.new_values:
            changed = next(iter(self.new_values))
            if changed in self.given:  # "刚才说错了，改成80亩" while another question is asked
                self.mid_corrected = True
                value, words = self.new_values[changed]
                self.facts[changed], self.said[changed] = value, words
                return rng.choice(("刚才说错了，改成", "不对，改成", "说错了，是")) + words
        self.given.add(slot)
        if slot == "phone" and self.quirk == "correction" and not self.wrong_phone_given:
            self.wrong_phone_given = True
            return "13" + str(self.facts["phone"])[2:][::-1]  # a slip, put right at the summary
        if slot == "township" and self.quirk == "location" and self.pack_township_point:
            return ("location",) + self.pack_township_point
        if self.quirk == "other_slot" and not self.corrected and slot != "name" and "name" in self.said \
                and "name" not in self.given:
            self.corrected = True  # answers with the name whatever was asked first
            self.given.add("name")
            self.given.discard(slot)
            return self.said["name"]
        if self.quirk == "digits":
            number = _option_number(reply, self.facts[slot])
            if number:
                return number
        if self.has("order") and rng.random() < 0.5:
            others = [k for k in self.said if k not in self.given and k != slot]
            if others:
                other = rng.choice(others)
                self.given.add(other)
                return self._decorate(f"{self.said[other]}，{self.said[slot]}")
        return self._decorate(self.said[slot])

    pack_township_point: tuple[float, float] | None = None
    before: bool = False           # facts said in a message of their own before the request
    opening_after: str = ""

    def _decorate(self, text: str) -> Any:
        if self.has("voice_noise") and self.rng.random() < 0.5:
            text = self.rng.choice(FILLERS) + text
        if self.has("voice_text") and self.rng.random() < 0.5:
            return ("voice", text + "。")  # WeChat's Recognition: the words with a full stop
        return text

    def _correction(self) -> str | None:
        """At the summary: a fact changed ("不对，改成50亩"), the record then carries the new value."""
        for name in ("area_mu", "amount_yuan", "monthly_vouchers"):
            if name in self.facts and self.facts[name] and name in self.new_values:
                value, words = self.new_values.pop(name)
                self.facts[name], self.said[name] = value, words
                return self.rng.choice(("不对，", "不对，改成", "错了，是")) + words
        return None

    def _summary_mismatch(self, reply: str) -> str | None:
        for name in ("township", "phone"):
            value = self.facts.get(name)
            if value and str(value) not in reply and name in self.said:
                return name
        return None

    def _asked(self, reply: str) -> str | None:
        for line in reversed(reply.strip().splitlines()):
            for words, slot in ASKS:
                if any(w in line for w in words):
                    return slot
        return None


ASKS = [
    (("还是",), None),
    (("种的是什么",), "crop"), (("哪项服务",), "service"), (("多少亩",), "area_mu"),
    (("哪个乡镇",), "township"), (("哪天",), "date"), (("手机号",), "phone"),
    (("什么身份",), "member_type"), (("贵姓", "姓名", "的名称"), "name"), (("全称",), "org_name"),
    (("信用代码",), "credit_code"), (("凭证",), "monthly_vouchers"), (("代办哪些",), "service"),
    (("做什么用",), "purpose"), (("贷多少",), "amount_yuan"), (("抵押",), "collateral"),
    (("产业分会",), "industry"),
]


def _option_number(reply: str, value: Any) -> str | None:
    for line in reply.splitlines():
        for number, label in re.findall(r"(\d+) (\S+)", line):
            if label == str(value):
                return number
    return None


# (opening, the 代账 work it names: the farmer's needs then are these)
BOOKKEEPING_OPENINGS = {
    "农民合作社": (("我们合作社要代账", None), ("合作社的账没得人做，你们能帮忙不", None), ("想找服务中心代理记账", ["记账"]),
                ("合作社想请你们代办财务", None), ("我们社里要找人做账报税", ["记账", "报税"]),
                ("合作社年报不会弄，你们能代办不", ["年报公示"])),
    "家庭农场": (("家庭农场想代账", None), ("我的家庭农场要找人记账", ["记账"]), ("农场的账想请你们代记", None)),
}
CLARIFY_WORDS = {"bookings": ("托管",), "members": ("加入", "入会", "入社", "登记"), "loan_requests": ("贷",),
                 "bookkeeping_requests": ("代账",)}


def join_openings(pack: Any, kind: str) -> tuple[str, ...]:
    """How a farmer asks to join what the county's document offers (its `join`): 忠县's 农合联, elsewhere a
    农民专业合作社, 聊城's 基层供销合作社; an organisation signs with the 合作社服务中心 where there is one."""
    join = getattr(pack.info, "join", None)
    name = (join.name + join.description) if join is not None else "农合联"
    if "农合联" in (join.name if join is not None else "农合联"):
        lead = ("我想加入农合联", "想入会", "农合联咋个加入", "我要入农合联")
    elif "供销" in (join.name if join is not None else ""):
        lead = ("俺想入社", "想加入供销社", "俺想入个社", "想入社中不中")
    else:
        lead = ("我想加入合作社", "想入社", "我想入个合作社", "想参加合作社")
    if kind == "农民合作社" and "服务中心" in name and "农合联" not in name:
        return (*lead[:1], "我们合作社想和合作社服务中心签约")
    if kind == "农民合作社":
        return ("我们合作社想加入农合联",) if "农合联" in name else ("我们合作社想入社",)
    if kind == "家庭农场":
        return ("我们家庭农场想" + lead[0].removeprefix("我想").removeprefix("俺想").removeprefix("想"),)
    return lead


def _misspelt(name: str, names: set[str]) -> str | None:
    """The township with one sound-alike character (洋渡镇 → 洋度), when that names no other township."""
    stem = name[:-2] if name.endswith(("街道", "家族乡")) else name[:-1]
    for i, ch in enumerate(stem):
        if ch in SOUND_ALIKE:
            wrong = stem[:i] + SOUND_ALIKE[ch] + stem[i + 1:]
            if not any(wrong in other for other in names):
                return wrong
    return None


def _weekday_date(rng: random.Random) -> tuple[str, str]:
    wd = rng.randrange(7)
    monday_next = TODAY + timedelta(days=7 - TODAY.weekday())
    return f"下周{WEEKDAYS[wd]}", (monday_next + timedelta(days=wd)).isoformat()


def make_farmer(pack: Any, pack_name: str, rng: random.Random, task: str | None = None,
                quirk: str | None = None) -> Farmer | None:
    """A farmer for `pack` (None when the pack lacks what the task needs)."""
    townships = [t for t in pack.townships if t.name]
    if not townships:
        return None
    offers = set(getattr(pack.info, "offers", None) or TASK_INTENTS.values())
    tasks = [t for t, intent in TASK_INTENTS.items() if intent in offers]
    if not any(s.category == "托管" for s in pack.services):
        tasks = [t for t in tasks if t != "bookings"]
    task = task or rng.choice(tasks)
    drawn = quirk is None  # a quirk the caller names comes alone; a drawn one may bring a second
    quirk = quirk or rng.choice(QUIRKS)
    extra = {rng.choice(EXTRA_QUIRKS)} if drawn and quirk not in ("plain", "digits") and rng.random() < 0.5 else set()
    quirks = {quirk} | extra
    dialect = "luxi" if getattr(pack.info, "dialect", "") == "luxi" else "chongqing"
    town = rng.choice(townships)
    phone = "13" + "".join(rng.choice("0123456789") for _ in range(9))
    facts: dict[str, Any] = {"township": town.name, "phone": phone}
    said: dict[str, str] = {"township": town.name, "phone": phone}
    if "misspelt" in quirks:
        said["township"] = _misspelt(town.name, {t.name for t in townships}) or town.name
    if "phone_format" in quirks:
        said["phone"] = rng.choice((f"{phone[:3]} {phone[3:7]} {phone[7:]}", f"{phone[:3]}-{phone[3:7]}-{phone[7:]}",
                                    f"电话是{phone}", f"{phone[:3]} {phone[3:]}"))
    new_values: dict[str, tuple[Any, str]] = {}
    if task == "bookings":
        services = [s for s in pack.services if s.category == "托管"]
        if services:
            service = rng.choice(services)
            facts["service"], said["service"] = service.name, service.name
            if len(service.crops) == 1:
                facts["crop"] = service.crops[0]
            elif pack.crops:
                crop = rng.choice([c for c in pack.crops if not service.crops or c.name in service.crops] or
                                  list(pack.crops))
                facts["crop"], said["crop"] = crop.name, crop.name
        area = rng.choice((20, 30, 40, 50, 60, 80, 100, 120))
        facts["area_mu"] = area
        said["area_mu"] = CN_NUM[area] + "亩" if rng.random() < 0.3 else f"{area}亩"
        new_area = area + 10
        new_values["area_mu"] = (new_area, f"{new_area}亩")
        if "vague_date" in quirks or rng.random() < 0.2:
            crop = next((c for c in pack.crops if c.name == facts.get("crop")), None)
            after = [f"{a[0]}了{a[1:]}以后" for a in (crop.activities if crop is not None else []) if len(a) >= 2]
            said["date"] = facts["date"] = rng.choice(VAGUE_DATES + tuple(after[:2]))
        else:
            said["date"], facts["date"] = _weekday_date(rng)
        head = facts.get("service") or "托管"
        opening = f"我要预约{head}" if facts.get("service") else "我想托管"
        if "alias_words" in quirks and facts.get("service"):
            # the farmer's words for the work and the crop (给橘子打药), from the pack's own aliases
            service = next(s for s in pack.services if s.name == facts["service"])
            crop = next((c for c in pack.crops if c.name == facts.get("crop")), None)
            work = rng.choice(list(service.aliases) or [service.name])
            said["service"] = work
            if crop is not None and crop.aliases and "crop" in said:
                said["crop"] = rng.choice(crop.aliases)
            opening = f"我想约个{work}" if rng.random() < 0.5 else f"帮我{work}"
        if dialect == "luxi" and "dialect" in quirks:
            opening = "俺想" + opening.removeprefix("我要").removeprefix("我想")
    elif task == "members":
        kind = rng.choice(("农户", "家庭农场", "农民合作社"))
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        if kind != "农户":
            name = f"{town.name[:2]}{rng.choice(GIVEN)}{'家庭农场' if kind == '家庭农场' else '专业合作社'}"
        facts.update(member_type=kind, name=name)
        said.update(member_type=kind, name=name)
        if "own_words" in quirks:
            said["member_type"] = rng.choice(SELF_FARMER if kind == "农户" else SELF_KIND[kind])
        opening = rng.choice(join_openings(pack, kind))
    elif task == "loan_requests":
        amount = rng.choice((30000, 50000, 100000, 35000))
        purpose = rng.choice(("买农机", "买化肥", "扩大种植", "修圈舍", "买种子"))
        facts.update(member_type="农户", amount_yuan=amount, purpose=purpose)
        said.update(member_type="农户", purpose=purpose,
                    amount_yuan=rng.choice({30000: ("3万", "三万", "3w"), 50000: ("5w", "五万", "5万块"),
                                            100000: ("十万", "10w", "十来万"), 35000: ("三万五", "3.5万")}[amount]))
        if "own_words" in quirks:
            said["member_type"] = rng.choice(SELF_FARMER)
        new_values["amount_yuan"] = (amount + 10000, f"{(amount + 10000) // 10000 if amount % 10000 == 0 else (amount + 10000) / 10000:g}万")
        if pack.loan_products and rng.random() < 0.5:
            product = rng.choice(pack.loan_products)
            facts["product"] = product.name
            opening = f"我想办{product.name}"
        else:
            opening = "我想贷款"
    else:
        org = f"{town.name[:2]}{rng.choice(GIVEN)}专业合作社"
        code = credit_code(rng)
        kind = "家庭农场" if rng.random() < 0.25 else "农民合作社"
        if kind == "家庭农场":
            org = f"{town.name[:2]}{rng.choice(GIVEN)}家庭农场"
        opening, named = rng.choice(BOOKKEEPING_OPENINGS[kind])
        needs = named or rng.choice((["记账"], ["记账", "报税"], ["记账", "报税", "年报公示"], ["年报公示"], ["报税"]))
        facts.update(org_name=org, credit_code=code, monthly_vouchers=rng.choice((20, 30, 50)),
                     service="、".join(needs), member_type=kind)
        said.update(org_name=org, credit_code=code if rng.random() < 0.6 else f"信用代码{code.lower()}",
                    monthly_vouchers=f"{facts['monthly_vouchers']}张", service="和".join(needs))
        if "own_words" in quirks:
            said["member_type"] = rng.choice(SELF_KIND[kind])
        vouchers = facts["monthly_vouchers"]
        new_values["monthly_vouchers"] = (vouchers + 10, f"{vouchers + 10}张")
    if "silence" in quirks:  # an optional question the farmer does not answer: never blocks the request
        optional = {"bookings": ("date", "area_mu"), "members": ("member_type",) if facts.get("member_type") == "农户"
                    else (), "loan_requests": ("amount_yuan", "purpose", "member_type"),
                    "bookkeeping_requests": ("monthly_vouchers",)}.get(task, ())
        if optional:
            dropped = rng.choice(optional)
            facts.pop(dropped, None), said.pop(dropped, None), new_values.pop(dropped, None)
    if dialect == "luxi" and "dialect" in quirks and task != "bookings":
        opening = "俺" + opening.removeprefix("我").removeprefix("俺") if opening.startswith("我") else opening
    farmer = Farmer(pack_name, task, quirk, facts, said, opening, rng, quirks=quirks, dialect=dialect)
    farmer.new_values = new_values
    if quirk == "front" or "several" in quirks:
        extra = [k for k in said if k not in ("credit_code",)]
        rng.shuffle(extra)
        picked = extra[: rng.randint(1, 3)]
        farmer.opening = opening + "，" + "，".join(said[k] for k in picked)
        farmer.given.update(picked)
    if quirk == "before":  # "我是石宝镇的，电话138…" first, then the request in a message of its own
        extra = [k for k in ("township", "phone") if k in said]
        farmer.before, farmer.opening_after = True, opening
        farmer.opening = "你好，我是" + "，".join(said[k] for k in extra) if extra else "你好"
        farmer.given.update(extra)
    if quirk == "person":
        farmer.task = "tickets"
        farmer.facts = {"township": town.name, "phone": phone}
        farmer.opening = f"我是{town.name}的，" + opening
    if quirk == "cancel":
        farmer.expect_status = "withdrawn"
    if quirk == "quit":   # gives up mid-form: no record at all
        farmer.expect_status = "none"
    if quirk == "location" and town.lat is not None and town.lon is not None:
        farmer.pack_township_point = (town.lat + 0.001, town.lon)
    return farmer


@dataclass
class Result:
    pack: str
    task: str
    quirk: str
    ok: bool
    turns: int
    stuck: bool
    transcript: list[tuple[str, str]]
    why: str = ""


class Bench:
    """One pack's engine on a throwaway SQLite database with a dict store."""

    def __init__(self, pack_name: str, workdir: str) -> None:
        from bot.app import build_context
        from bot.store.db import make_engine
        from bot.dialog.engine import DialogResponder
        from bot.wechat.gateway import Gateway
        from bot.records.models import Base
        from bot.settings import Settings

        url = f"sqlite:///{workdir}/{pack_name}.db"
        Base.metadata.create_all(make_engine(url))
        settings = Settings(database_url=url, wechat_token="t", wechat_appid="wxsim", secret_key="k",
                            knowledge=pack_name, deliver_in_process=False)
        self.ctx = build_context(settings)
        self.ctx.clock = lambda: NOW
        self.ctx.store = DictStore()
        self.responder = DialogResponder(self.ctx)
        self.gateway = Gateway(self.ctx, self.responder)  # the unit of work production runs, without HTTP
        self.pack = self.ctx.pack
        self.ids = itertools.count(1)

    def read_like_a_farmer(self, farmer: Farmer) -> None:
        """A farmer who books 育秧 or 机插秧 grows what that work is for: the crop the request's own words
        carry (as the engine reads them) is the farmer's crop."""
        if farmer.task != "bookings" or "service" not in farmer.facts:
            return
        # the work as the farmer names it (收谷子 is 水稻's): a farmer who says it grows that crop
        said = farmer.said.get("service", farmer.facts["service"])
        words = self.ctx.nlu.parse(f"我要预约{said}", today=TODAY).slots
        if not words.get("crop"):
            words = self.ctx.nlu.parse(f"我要预约{farmer.facts['service']}", today=TODAY).slots
        if words.get("crop") and farmer.facts.get("crop") != words["crop"]:
            if farmer.said.get("crop"):
                farmer.opening = farmer.opening.replace(farmer.said["crop"], words["crop"])
            farmer.facts["crop"] = farmer.said["crop"] = words["crop"]

    def run(self, farmer: Farmer, openid: str) -> Result:
        transcript: list[tuple[str, str]] = []
        message: Any = farmer.opening
        replies: list[str] = []
        stuck = False
        for _ in range(MAX_TURNS):
            if message is None:
                break
            n = next(self.ids)
            if isinstance(message, tuple) and message[0] == "location":
                inbound = Inbound(openid=openid, kind="location", create_time=n, msg_id=str(n), lat=message[1],
                                  lon=message[2])
                shown = "（位置）"
            elif isinstance(message, tuple):
                inbound = Inbound(openid=openid, kind="voice", create_time=n, msg_id=str(n), media_id="m",
                                  text=message[1])
                shown = f"（语音：{message[1]}）" if message[1] else "（语音）"
            else:
                inbound = Inbound(openid=openid, kind="text", create_time=n, msg_id=str(n), text=message)
                shown = message
            reply = "\n".join(self.gateway.handle(inbound).replies)
            transcript.append((shown, reply))
            replies.append(reply)
            if len(replies) >= 3 and replies[-1] == replies[-2] == replies[-3]:
                stuck = True
                break
            message = farmer.answer(reply)
        else:
            stuck = True
        ok, why = self.check(farmer, openid)
        return Result(farmer.pack, farmer.task, farmer.quirk, ok and not stuck, len(transcript), stuck, transcript,
                      why if not stuck else "stuck")

    def check(self, farmer: Farmer, openid: str) -> tuple[bool, str]:
        from bot.records.export import export_rows
        from bot.records.models import REQUEST_KINDS, Ticket

        model = Ticket if farmer.task == "tickets" else REQUEST_KINDS[farmer.task]
        with self.ctx.sessions() as session:
            ids = set(session.scalars(select(model.id).where(model.openid == openid)))
            rows = [r for r in export_rows(session, farmer.task) if r["id"] in ids]
        if farmer.expect_status == "none":
            return (not rows), f"{len(rows)} {farmer.task} records after quitting"
        if len(rows) != 1:
            return False, f"{len(rows)} {farmer.task} records"
        row = rows[0]
        status = "open" if farmer.task == "tickets" else farmer.expect_status
        if row["status"] != status:
            return False, f"status {row['status']}"
        for name, value in farmer.facts.items():
            got = row.get(name)
            same = (isinstance(value, (int, float)) and isinstance(got, (int, float)) and float(got) == float(value)) \
                or got == value
            if not same:
                return False, f"{name}: {got!r} != {value!r}"
        return True, ""


def simulate(n: int, packs: tuple[str, ...] = PACKS, seed: int = 7) -> tuple[list[Result], list[str]]:
    """`n` conversations spread over `packs`; returns the results and the packs that could not be tested."""
    rng = random.Random(seed)
    results: list[Result] = []
    untested: list[str] = []
    with tempfile.TemporaryDirectory() as workdir:
        for pack_name in packs:
            try:
                bench = Bench(pack_name, workdir)
            except Exception as exc:  # noqa: BLE001 - a pack that does not load is reported, not fatal
                untested.append(f"{pack_name} ({exc.__class__.__name__})")
                continue
            per_pack = n // len(packs)
            made = 0
            for i in range(per_pack * 3):
                if made >= per_pack:
                    break
                farmer = make_farmer(bench.pack, pack_name, random.Random(rng.random()))
                if farmer is None:
                    break
                bench.read_like_a_farmer(farmer)
                results.append(bench.run(farmer, f"oSim{pack_name[:3]}{i}"))
                made += 1
            if made == 0:
                untested.append(f"{pack_name} (no townships)")
    return results, untested


def report(results: list[Result]) -> dict[str, dict[str, float]]:
    by_pack: dict[str, list[Result]] = defaultdict(list)
    for r in results:
        by_pack[r.pack].append(r)
    table = {}
    for pack, rs in by_pack.items():
        table[pack] = {"n": len(rs), "success": sum(r.ok for r in rs) / len(rs),
                       "turns": sum(r.turns for r in rs) / len(rs), "stuck": sum(r.stuck for r in rs)}
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--pack", action="append")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--show-failures", type=int, default=0)
    args = parser.parse_args(argv)
    import logging

    logging.disable(logging.WARNING)
    started = time.perf_counter()
    results, untested = simulate(args.n, tuple(args.pack or PACKS), args.seed)
    elapsed = time.perf_counter() - started
    for pack, row in report(results).items():
        print(f"{pack:10} n={row['n']:4}  success {row['success']:.1%}  turns {row['turns']:.1f}  stuck {row['stuck']}")
    kinds: dict[str, list[Result]] = defaultdict(list)
    for r in results:
        kinds[r.task].append(r)
    print("by kind:", ", ".join(f"{k} {sum(x.ok for x in rs) / len(rs):.1%} ({len(rs)})" for k, rs in sorted(kinds.items())))
    by: dict[tuple[str, str], list[Result]] = defaultdict(list)
    for r in results:
        by[(r.task, r.quirk)].append(r)
    worst = sorted(((sum(x.ok for x in rs) / len(rs), k, len(rs)) for k, rs in by.items()))[:8]
    print("weakest task×quirk:", ", ".join(f"{t}/{q} {s:.0%} ({n})" for s, (t, q), n in worst))
    if untested:
        print("untested packs:", ", ".join(untested))
    print(f"{len(results)} conversations in {elapsed:.1f} s")
    shown = 0
    for r in results:
        if not r.ok and shown < args.show_failures:
            shown += 1
            print(f"\n--- {r.pack} {r.task} {r.quirk}: {r.why}")
            for said, reply in r.transcript:
                print("  我：", said)
                print("  助手：", reply.replace("\n", "\n        "))
    return 0


if __name__ == "__main__":
    sys.exit(main())
