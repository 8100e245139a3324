"""Each county pack answers what its own document describes, with that document as the source."""
from __future__ import annotations

import pytest

from knowledge import load_pack
from knowledge.faq import answer

CASES = [
    ("liaocheng", "土地入股以后咋个分红", "003", "保底收益+盈余分红"),
    ("liaocheng", "三化五统十服务是啥子", "003", "统防统治"),
    ("fengdu", "三社融合贷的风险补偿金有好多", "001", "600"),
    ("jiangjin", "废旧农膜哪个回收", "002", "农膜"),
    ("nanchuan", "合作社辅导员是干啥的", "004", "辅导员"),
]


@pytest.mark.parametrize("pack_name,question,doc,must_contain", CASES)
def test_pack_answers_its_documents_topics_with_source(pack_name, question, doc, must_contain):
    found = answer(load_pack(pack_name), question)
    assert found is not None and found.confident, question
    assert found.entry.source.doc == doc
    assert must_contain in found.entry.answer
