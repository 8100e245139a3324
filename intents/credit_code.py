"""统一社会信用代码 (GB 32100-2015): 18 characters, the last a check character over the first 17.

Farmers paste them with a label (信用代码…, 统一社会信用代码：…), with spaces or dashes inside, in lower
case or full width, next to the organisation's name. Only a code whose check character agrees is taken.
"""
from __future__ import annotations

import re
import unicodedata

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"          # 31 characters: no I, O, Z, S, V
_VALUE = {c: i for i, c in enumerate(CHARSET)}
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CANDIDATE = re.compile(r"[0-9A-Z](?:[ \-\u3000]?[0-9A-Z]){17}")
_ALNUM = "0-9A-Za-z０-９Ａ-Ｚａ-ｚ"
# a run long enough to hold a code (with the spaces and dashes farmers put inside): most messages have none
_TEXT_HAS_CODE = re.compile(rf"[{_ALNUM}][{_ALNUM} \-\u3000]{{16,}}[{_ALNUM}]")


def check_character(first17: str) -> str | None:
    """The check character of the first 17 characters, None if one is outside the charset."""
    try:
        total = sum(_VALUE[c] * w for c, w in zip(first17, _WEIGHTS))
    except KeyError:
        return None
    return CHARSET[(31 - total % 31) % 31]


def is_valid(code: str) -> bool:
    code = code.upper()
    return (len(code) == 18 and all(c in _VALUE for c in code)
            and check_character(code[:17]) == code[17])


def find_credit_code(original: str) -> tuple[str, int, int] | None:
    """(code upper-cased, start, end in the original) of the first valid code, or None."""
    if len(original) < 18 or not _TEXT_HAS_CODE.search(original):
        return None
    # NFKC folds full width one character for one (ＭＡ → MA), so offsets stay those of the original
    folded = "".join(unicodedata.normalize("NFKC", c).upper() if len(unicodedata.normalize("NFKC", c)) == 1
                     else c for c in original)
    if sum(1 for c in folded if c in _VALUE) < 18:
        return None
    for start in range(len(folded) - 17):
        if folded[start] not in _VALUE or (start and folded[start - 1] in _VALUE):
            continue    # a code starts a run of letters and digits
        m = _CANDIDATE.match(folded, start)
        if m is None:
            continue
        code = "".join(c for c in m.group() if c not in " -\u3000")
        after = folded[m.end()] if m.end() < len(folded) else ""
        if is_valid(code) and not (after.isascii() and after.isalnum()):
            return code, start, m.end()
    return None
