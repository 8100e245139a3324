"""Numbers in farmers' Chinese: 五十亩, 一百二, 三万五, 5万, 1.5万, 两千块, ranges like 两三亩."""
from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import cn2an

CN_DIGITS = "零〇一二两三四五六七八九幺"
CN_NUM = CN_DIGITS + "十百千万亿点"
_DIGIT_VALUE = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2, "幺": 1}
# 3万5 and 3万5千 are 35000 (a digit after 万 is the next order, as in 三万五); 5万3亩 is not.
# w and k as farmers type them: 5w = 5万, 8k = 8千 (not the w of typed pinyin: 5wan, 5wo)
NUMBER = re.compile(rf"[0-9]+(?:\.[0-9]+)?(?:万|w(?![a-z]))(?:[0-9一二两三四五六七八九]千|[0-9一二两三四五六七八九](?![0-9{CN_NUM}亩斤元块]))?"
                    rf"|[0-9]+(?:\.[0-9]+)?(?:千|k(?![a-z]))(?:[0-9一二两三四五六七八九](?![0-9{CN_NUM}亩斤元块]))?"
                    rf"|[0-9]+(?:\.[0-9]+)?|[{CN_NUM}]+|半")
_THOUSAND_DIGIT = re.compile(r"^([0-9]+(?:\.[0-9]+)?)[千k]([0-9一二两三四五六七八九])?$")
_WAN_DIGIT = re.compile(r"^([0-9]+(?:\.[0-9]+)?)万([0-9一二两三四五六七八九])千?$")
# two adjacent digits a, a+1 before an optional order: 两三 / 五六十 / 三四百 — a range, not 23
_RANGE = re.compile(r"^([一二两三四五六七八九])([二三四五六七八九])([十百千万]?)$")


@dataclass(frozen=True)
class NumberToken:
    value: float | None          # None when the token is a range or unparseable
    start: int                   # in the text searched
    end: int
    is_range: bool = False


def cn_to_number(token: str) -> float | None:
    """One numeral token (Arabic, Chinese, or Arabic+万) to its value; None if not a number."""
    if len(token) == 1 and token in _ONE_CHARACTER:
        return _ONE_CHARACTER[token]
    return _parse(token)


def _parse(token: str) -> float | None:
    if token == "半":
        return 0.5
    token = token.replace("w", "万")
    m = _THOUSAND_DIGIT.match(token)
    if m:
        d = m.group(2)
        return float(m.group(1)) * 1_000 + ((int(d) if d.isdigit() else _DIGIT_VALUE[d]) * 100 if d else 0)
    m = _WAN_DIGIT.match(token)
    if m:
        d = m.group(2)
        return float(m.group(1)) * 10_000 + (int(d) if d.isdigit() else _DIGIT_VALUE[d]) * 1_000
    if token.endswith("万") and token[:-1].replace(".", "", 1).isdigit():
        return float(token[:-1]) * 10_000
    if token.replace(".", "", 1).isdigit():
        return float(token)
    if all(c in _DIGIT_VALUE for c in token) and len(token) >= 3:
        return float("".join(str(_DIGIT_VALUE[c]) for c in token))  # spoken digit string: 幺三八
    if token[0] in "百千":   # 百把亩 / 千把块: a bare order means one of it
        token = "一" + token
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return float(cn2an.cn2an(token.replace("两", "二").replace("幺", "一"), "smart"))
        except Exception:
            return None


# 一, 三, 两, 十 are most numeral tokens and cn2an takes ~40 µs for each: its answers, asked once
_ONE_CHARACTER = {c: _parse(c) for c in CN_NUM + "半"}


def is_range(token: str) -> bool:
    m = _RANGE.match(token)
    if not m:
        return False
    a, b = _DIGIT_VALUE[m.group(1)], _DIGIT_VALUE[m.group(2)]
    return b == a + 1


def find_numbers(text: str) -> list[NumberToken]:
    out = []
    for m in NUMBER.finditer(text):
        tok = m.group()
        if tok in ("点", "万", "亿") or not tok.strip("点"):
            continue    # 点 alone or repeated (你们的点点: a place) is no number
        if is_range(tok):
            out.append(NumberToken(None, m.start(), m.end(), True))
            continue
        if tok[0] in "十百千" and m.start() > 0 and text[m.start() - 1] in "几数好上":
            out.append(NumberToken(None, m.start() - 1, m.end(), True))   # 几十亩, 几百块: no number
            continue
        out.append(NumberToken(cn_to_number(tok.strip("点")), m.start(), m.end()))
    return out


def clean(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 2)


_SPOKEN_DIGITS = re.compile("[零〇一二三四五六七八九幺]{3,}")


def digits_only(text: str) -> str:
    """Spoken digit strings (幺三八…, three digits or more) to Arabic digits, one for one (keeps offsets
    for phone numbers). A lone 三 stays: 下周三13800138000 is a weekday next to a phone number."""
    return _SPOKEN_DIGITS.sub(lambda m: "".join(str(_DIGIT_VALUE[c]) for c in m.group()), text)
