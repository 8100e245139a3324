"""Dialect by region (the pack's province chooses intents/data/regions/<province>.yaml), a multi-county
pack's county names, the pack's own vocabulary, voice homophones by sound and tone, weak evidence."""
from __future__ import annotations

import random
import string
from pathlib import Path

import pytest

from intents import ACT_THRESHOLD, Understanding
from intents.normalize import language_normalizer
from knowledge.loader import Pack
from knowledge.schema import Crop, LoanProduct, PackInfo, Service, Township
from tests.intents.conftest import TODAY


@pytest.fixture(scope="module")
def shandong() -> Understanding:
    """A small two-county pack in 山东省, built here: nothing of it is in the code."""
    pack = Pack(
        info=PackInfo(name="t", county="测试市", province="山东省"), path=Path("."),
        townships=[Township(name="甲子镇", aliases=["甲子"], county="乙丙县"),
                   Township(name="丁戊街道", aliases=["丁戊"], county="己庚区")],
        crops=[Crop(name="玉米", aliases=["苞米"]), Crop(name="小麦", aliases=["麦子"])],
        services=[Service(name="深耕深松", aliases=["深松", "深耕"]), Service(name="秸秆利用", aliases=["秸秆打捆"])],
        loan_products=[LoanProduct(name="鲁农担贷", aliases=["农担贷"])],
        intents={})
    return Understanding.from_pack(pack)


def test_region_words_are_read_from_the_packs_province(shandong, nlu):
    assert shandong.region == "山东省" and nlu.region == "重庆市"
    assert shandong.normalize("俺想问问恁").text == "我想问问你们"
    assert language_normalizer("山东省")("中不中").text == "可不可以"
    # 好多 is "how much" in 重庆话 and "a lot" in 山东
    assert "多少" in nlu.normalize("好多钱").text
    assert "多少" not in shandong.normalize("好多人").text


@pytest.mark.parametrize("text, want, slot, value", [
    ("俺家种了二十亩棒子，想托管，中不中", "book_tuoguan", "crop", "玉米"),
    ("俺是乙丙县的，想入农合联咋弄", "join_nonghelian", "county", "乙丙县"),
    ("俺在己庚丁戊，附近有为农服务中心不", "find_service_center", "county", "己庚区"),
    ("深松一亩地多少钱", "book_tuoguan", "service", "深耕深松"),
    ("棒子秸秆打捆恁接不接", "book_tuoguan", "service", "秸秆利用"),
    ("农担贷能贷多少", "loan_products", "product", "鲁农担贷"),
    ("俺想找恁们领导说道说道", "human_agent", None, None),
    ("明儿个能来收麦子不", "book_tuoguan", "date", "2026-11-24"),
])
def test_shandong_pack(shandong, text, want, slot, value):
    p = shandong.parse(text, today=TODAY)
    assert p.intent == want
    if slot:
        assert p.slots.get(slot) == value


def test_county_stem_needs_no_list(shandong):
    assert shandong.parse("我是乙丙的", today=TODAY).slots.get("county") == "乙丙县"


@pytest.mark.parametrize("text, want", [
    ("拖馆一亩好多钱", "book_tuoguan"),       # tuō guǎn, tone for tone: no lexicon line
    ("带丈一年好多钱", "bookkeeping"),          # dài zhàng
    ("菲房一亩好多钱", "book_tuoguan"),         # fēi fáng
])
def test_two_syllable_homophones_that_agree_in_tone(nlu, text, want):
    assert nlu.parse(text, today=TODAY).intent == want


def test_real_words_that_only_sound_alike_are_not_taken():
    from intents.pinyin import same_tones
    for written, word in [("花费", "化肥"), ("神情", "申请"), ("一包", "医保"), ("带宽", "贷款")]:
        assert not same_tones(written, word)


def test_weak_evidence_is_not_actionable(nlu):
    rng = random.Random(3)
    texts = ["".join(rng.choice(string.ascii_lowercase + " ") for _ in range(rng.randint(3, 12))) for _ in range(200)]
    assert not any(nlu.parse(t, today=TODAY).actionable for t in texts)
    faint = nlu.parse("人工智能大模型", today=TODAY)
    assert not faint.actionable
    clear = nlu.parse("我要托管五十亩水稻", today=TODAY)
    assert clear.actionable and clear.confidence >= ACT_THRESHOLD and clear.evidence


def test_dialog_acts_in_the_shandong_dialect(shandong):
    from intents import classify_act
    assert classify_act(shandong.normalize("中")) == "affirm"
    assert classify_act(shandong.normalize("不中")) == "deny"
    assert classify_act(shandong.normalize("中不中")) is None     # a question back


def test_chongqing_diandian_is_a_place_of_yours():
    from intents.normalize import language_normalizer
    norm = language_normalizer("重庆市")
    assert "网点" in norm("镇上有没得你们的点点").text
    assert "网点" not in norm("再便宜一点点").text
