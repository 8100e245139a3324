"""Negation scopes (不是要贷款 / 不要复合肥) in normalized text, so negated words give no intent or slot."""
from __future__ import annotations

import re

from intents.normalize import BOUNDARY

# 是不是 / 要不要 / 用不用 are questions, not negations
_QUESTION_BEFORE = {"不是": "是", "不要": "要", "不用": "用", "不想": "想", "不需要": "需"}
# 不要利息的那种 / 不用抵押的贷款: "without X" describing what is wanted, not a refusal
# (不要复合肥的，要有机肥 ends the clause after 的 and stays a refusal)
# (不要你们的化肥 names whose, not what kind: still a refusal)
_MODIFIER = re.compile(r"(?!你们|你家|你|他们|他家|他|她|别人|人家|那家)[^|的]{1,4}的(?![|是话])[\u4e00-\u9fff]")
# the refusal after its object, at the end of the clause: 贷款就不用了 / 托管我不需要 / 跟贷款没关系 / 化肥算了
_POSTPOSED = re.compile(r"(不用|不要|不需要|不必|不买|不贷|不卖|不做|不弄|不搞|不办|不约|不托管|不考虑|免了|算了|没有关系|没关系"
                        # set aside for now: 贷款先不说 / 托管先放一放 / 农资先不管
                        r"|先不说|不说了|先放一放|放一放|先放着|放一边|先不管|先不提|不提了|先不急)"
                        r"(了|啦|的)?(?=\||$)")
POSTPOSED_TOPIC = 10
# 不是说(好)…吗 / 嘛 / 么: a rhetorical question to the end of its clause
_RHETORICAL = re.compile(r"说[^|]*(吗|嘛|么)(\||$)")
_NOT_AN_OBJECT = set("了的吧啊嘛哦呀好行")    # characters before the refusal that can be its object


class NegationScopes:
    def __init__(self, cues: list[str], skip: list[str], contrast: list[str]):
        self._cue = re.compile("|".join(re.escape(c) for c in sorted(cues, key=len, reverse=True)))
        self._skip = sorted(skip, key=len, reverse=True)
        self._contrast = sorted(contrast, key=len, reverse=True)

    def __call__(self, text: str) -> list[tuple[int, int]]:
        """(start, end) ranges of normalized text that are negated, cue included."""
        scopes = []
        for m in self._cue.finditer(text):
            cue, start = m.group(), m.start()
            if start > 0 and text[start - 1] == _QUESTION_BEFORE.get(cue, "\0"):
                continue
            if cue[0] == "不" and start > 0 and text[start - 1] == text[m.start() + 1:m.start() + 2]:
                continue   # 买不买 / 入不入: an A-not-A question
            if cue == "别" and text[m.end():m.end() + 1] in ("的", "人", "处"):
                continue
            if cue == "不是" and text.startswith("说", m.end()) and _RHETORICAL.match(text, m.end()):
                continue   # 不是说入会不要钱吗: "wasn't it said…?" asks about what was said, refuses nothing
            if cue in ("不要", "不用", "不需要") and _MODIFIER.match(text, m.end()):
                continue
            i = m.end()
            skipped = True
            while skipped:   # 不是要… / 不想找… : the verb after the cue is still the negated part
                skipped = False
                for s in self._skip:
                    if text.startswith(s, i):
                        i += len(s)
                        skipped = True
                        break
            body = i
            # 不是问农合联是啥子，是我想入: when the next clause makes the contrast, this clause is negated whole
            # (its own 是 is the copula of what was not asked)
            b = text.find(BOUNDARY, body)
            if b > body and any(text.startswith(c, b + 1) for c in self._contrast):
                scopes.append((start, b))
                continue
            while i < len(text) and text[i] != BOUNDARY:
                if i - body >= 2 and any(text.startswith(c, i) for c in self._contrast):
                    break
                i += 1
            if i > body:
                scopes.append((start, i))
        scopes.extend(self._postposed(text))
        return scopes

    @staticmethod
    def _postposed(text: str) -> list[tuple[int, int]]:
        """The clause before a clause-final refusal is its object: "贷款就不用了，帮我约个机收" asks for the harvest."""
        out = []
        for m in _POSTPOSED.finditer(text):
            cue = m.group(1)
            if m.start() > 0 and cue[0] == "不" and text[m.start() - 1] == cue[1]:
                continue   # 要不要 / 买不买: a question
            clause_start = text.rfind(BOUNDARY, 0, m.start()) + 1
            if cue.endswith("关系") and text[clause_start:clause_start + 1] not in ("跟", "和", "与", "同"):
                continue   # 算了没关系 is courtesy; 跟贷款没关系 sets a topic aside
            if text[m.start() - 1:m.start()] in _NOT_AN_OBJECT:
                continue   # 算了不办了 / 好的不用了: a closing word before the refusal, no object refused
            if 0 < m.start() - clause_start <= POSTPOSED_TOPIC:
                out.append((clause_start, m.end()))
        return out


def inside(scopes: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(s <= start and end <= e for s, e in scopes)
