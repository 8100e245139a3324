"""Dates farmers write, resolved against a given today: 明天, 下周三, 这个月底, 11月25号, 25号."""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from intents.numbers import cn_to_number

_N = r"[0-9零〇一二两三四五六七八九十]+"
_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6,
            "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}
_RELATIVE = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2, "大后天": 3,
             "昨天": -1, "昨日": -1, "前天": -2, "大前天": -3}
_ABOUT = r"(?<![0-9零〇一二两三四五六七八九十百几])"   # 十来年 = about ten years, not 来年 (next year)
_SEASON = (rf"(?:(?:明年|今年|{_ABOUT}来年|年后)?(?:开春|春天|夏天|秋天|冬天|立春|春耕|春播|秋收|秋播|麦收|夏收|三夏|三秋|入冬|立冬|冬至)"
           rf"|腊月|正月|冬月|年前|年后|年底|年初|明年|{_ABOUT}来年|下半年|上半年)")
_FESTIVAL = r"(?:国庆|中秋|端午|春节|清明|元旦|五一|过年|元宵)(?:节)?"
_PATTERNS = [
    # said as farmers say them, kept as the text (CONTRACT: else the text): no single day is meant
    ("vague", re.compile(r"(?:明年|今年|来年)?[0-9一二三四五六七八九十]{1,2}月(?:份)?(?:[上中下]旬|初|中|底)(?![0-9一二三四五六七八九十])"
                         r"|(?:明年|今年|来年)[0-9一二三四五六七八九十]{1,2}月(?:份)?(?![0-9一二三四五六七八九十])"
                         r"|(?:下下|下个|下)(?:周|星期|礼拜)(?![一二三四五六日天1-7末])|过(?:两|几|一两|三五|两三)天|这(?:两|几)天"
                         rf"|{_SEASON}(?:以后|之后|后|前|以前|之前|里|的时候)?"
                         rf"|{_FESTIVAL}(?:以后|之后|后|前|以前|之前|期间|的时候)"
                         r"|(?:收|割|打|挖|卖|栽|插|摘|采|剪|掰|砍|种|播)(?:了|完)[^|，,。]{1,3}?(?:以后|之后|再说|后)"
                         r"|^(?:收|割|打|挖|摘|采|掰|砍)(?:了|完)[\u4e00-\u9fff]{1,3}$"
                         r"|下(?:个)?月(?![底初中0-9一二两三四五六七八九十])")),
    ("weekend", re.compile(r"(下下|下个|下|这个|这|本)?周末")),
    ("mid_month", re.compile(r"(这个|这|本|下个|下)?月(中|初)(?:旬)?")),
    # 今天都星期二了 / 今天还没来: by today, no date named
    ("relative", re.compile(r"大后天|后天|明天|明日|(?:今天|今日)(?!都|已经|还|也)|大前天|(?<![提之以])前天|昨天|昨日")),
    # 都星期二了 / 已经礼拜三了: the day it is now, told of a wait, not a date asked for
    ("week", re.compile(r"(?<![都经])(下下|下个|下|上上|上个|上|这个|这|本)?(?:周|星期|礼拜)([一二三四五六日1-7]|天(?!气))(?!了)")),
    ("month_end", re.compile(r"(这个|这|本|下个|下)?月底")),
    ("month_day", re.compile(rf"(下个月|下月|上个月|上月|({_N})月)({_N})[号日]")),
    ("day", re.compile(rf"(?<![0-9月])({_N})[号]")),
]

# all of them in one: most messages name no date, and one search says so (no pattern has a backreference)
_ANY = re.compile("|".join(f"(?:{pattern.pattern})" for _, pattern in _PATTERNS))


@dataclass(frozen=True)
class DateMatch:
    value: str          # ISO date, or the text when it cannot be resolved
    start: int
    end: int


def _int(token: str) -> int | None:
    v = cn_to_number(token)
    return int(v) if v is not None and float(v).is_integer() else None


def _safe(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _next_month(d: date) -> tuple[int, int]:
    return (d.year + 1, 1) if d.month == 12 else (d.year, d.month + 1)


def _resolve(kind: str, m: re.Match, today: date) -> date | None:
    if kind == "vague":
        return None
    if kind == "weekend":   # the coming Saturday (today on a weekend), or next week's
        prefix = m.group(1) or ""
        monday = today - timedelta(days=today.weekday())
        saturday = monday + timedelta(days=5 + (14 if prefix.startswith("下下") else 7 if prefix.startswith("下") else 0))
        return saturday if prefix or saturday >= today else saturday + timedelta(days=7)
    if kind == "mid_month":   # 月中 the 15th, 月初 the 1st: this month's if still ahead, else the next
        day = 15 if m.group(2) == "中" else 1
        if (m.group(1) or "").startswith("下"):
            y, mo = _next_month(today)
        elif day >= today.day:
            y, mo = today.year, today.month
        else:
            y, mo = _next_month(today)
        return date(y, mo, day)
    if kind == "relative":
        return today + timedelta(days=_RELATIVE[m.group()])
    if kind == "week":
        prefix, wd = m.group(1) or "", _WEEKDAY[m.group(2)]
        monday = today - timedelta(days=today.weekday())
        if prefix.startswith("下下"):
            return monday + timedelta(days=14 + wd)
        if prefix.startswith("下"):
            return monday + timedelta(days=7 + wd)
        if prefix.startswith("上上"):
            return monday - timedelta(days=14) + timedelta(days=wd)
        if prefix.startswith("上"):   # 上周五: last week's, a day past (上周五约的施肥)
            return monday - timedelta(days=7) + timedelta(days=wd)
        target = monday + timedelta(days=wd)
        # a bare 周三 already past this week means the coming one
        return target if prefix or target >= today else target + timedelta(days=7)
    if kind == "month_end":
        y, mo = _next_month(today) if (m.group(1) or "").startswith("下") else (today.year, today.month)
        return date(y, mo, calendar.monthrange(y, mo)[1])
    if kind == "month_day":
        day = _int(m.group(3))
        if (m.group(1) or "").startswith("上"):
            y, mo = (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)
            return _safe(y, mo, day) if day else None
        if m.group(2):
            month = _int(m.group(2))
            if not month or not day:
                return None
            year = today.year + (1 if month < today.month else 0)
            return _safe(year, month, day)
        y, mo = _next_month(today)
        return _safe(y, mo, day) if day else None
    if kind == "day":
        day = _int(m.group(1))
        if not day or day > 31:
            return None
        y, mo = (today.year, today.month) if day >= today.day else _next_month(today)
        return _safe(y, mo, day)
    return None


# a date the writer did something on (十一月二十八号约的, 五号交的申请): the past one, not the coming one
_DONE_AFTER = re.compile(r"[^|]{0,6}?(交|报|约|订|申请|提交|报名|叫|喊|请|递|送)(的|了|上去)")


def _past(kind: str, resolved: date, today: date) -> date:
    if resolved <= today:
        return resolved
    if kind == "month_day":
        return _safe(resolved.year - 1, resolved.month, resolved.day) or resolved
    if kind in ("day", "mid_month"):   # 月初交的: this month's 1st when past, else last month's
        this = _safe(today.year, today.month, resolved.day)
        if this and this <= today:
            return this
        y, mo = (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)
        return _safe(y, mo, resolved.day) or resolved
    return resolved


def find_date(text: str, today: date | None) -> DateMatch | None:
    """First date expression in text; ISO when it resolves against today."""
    if _ANY.search(text) is None:
        return None
    found: list[tuple[int, int, str, re.Match]] = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            found.append((m.start(), -(m.end() - m.start()), kind, m))
    if not found:
        return None
    found.sort()
    start, neg_len, kind, m = found[0]
    resolved = _resolve(kind, m, today) if today else None
    if resolved and kind in ("month_day", "day", "mid_month") and _DONE_AFTER.match(text, m.end()):
        resolved = _past(kind, resolved, today)
    return DateMatch(resolved.isoformat() if resolved else m.group(), m.start(), m.end())
