"""Short replies inside a form: affirm / deny / cancel / back / restart."""
from __future__ import annotations

from functools import lru_cache

from intents.normalize import BOUNDARY, Normalized, language_normalizer as _normalizer

_EXACT = {
    "affirm": ["确认", "确定", "对", "对的", "对头", "是", "是的", "是滴", "可以", "好", "好的", "行", "嗯", "嗯嗯",
               "1", "ok", "okay", "yes", "y", "没问题", "没错", "提交", "就这样", "中", "要", "要的", "需要", "同意", "正确"],
    "deny": ["不对", "不是", "不要", "不行", "不用", "错了", "不", "否", "2", "no", "n", "不正确", "不需要", "没有", "不同意",
             "不可以"],
    "cancel": ["取消", "算了", "不办了", "不弄了", "不搞了", "不要了", "不做了", "退出", "不约了", "不贷了", "不用了"],
    "back": ["上一步", "返回", "回去", "退回", "改一下", "重新填"],
    "restart": ["重新开始", "重来", "从头来", "从头开始", "重新来"],
}
# longer replies: a cue anywhere decides (checked in this order)
_CONTAINS = [("cancel", ["算了", "取消", "不办了", "不弄了", "不搞了", "不要了", "不约了"]),
             ("restart", ["重新开始", "从头开始", "重来"]),
             ("back", ["上一步", "返回上"]),
             ("deny", ["不对", "不是", "错了", "不可以"]),
             ("affirm", ["确认", "没问题", "对的", "是的", "可以", "好的"])]


@lru_cache(maxsize=1)
def _exact() -> dict[str, str]:
    norm = _normalizer()
    return {norm(w).text: act for act, words in _EXACT.items() for w in words}


def classify_act(text: str | Normalized) -> str | None:
    """'affirm', 'deny', 'cancel', 'back', 'restart', or None when the reply is something else. `text` may
    come normalized already (language_normalizer()'s form): a message's act and parse then share it."""
    norm = text if isinstance(text, Normalized) else _normalizer()(text)
    t = norm.text.replace(BOUNDARY, "")
    if not t:
        return None
    exact = _exact()
    if t in exact:
        return exact[t]
    collapsed = "".join(c for i, c in enumerate(t) if i == 0 or c != t[i - 1])   # 好好好, 嗯嗯嗯
    if collapsed in exact:
        return exact[collapsed]
    if len(t) > 12:
        return None
    t = t.replace("可不可以", "")   # a question back (中不中 → 可不可以), neither yes nor no
    for act, cues in _CONTAINS:
        if any(c in t for c in cues):
            return act
    return None
