"""Crop and service names found by writing and by sound, wherever they stand; stoplists still hold."""
import pytest

from intents.normalize import language_normalizer
from intents.slots import Lexicon


def _find(lexicon: Lexicon, text: str, negated=(), taken=()):
    return lexicon.find(language_normalizer()(text), list(negated), tuple(taken))


@pytest.mark.parametrize("text, crop, span", [
    ("化椒", "花椒", (0, 2)),                      # the whole message, by sound
    ("我家的化椒", "花椒", (3, 5)),                # at the very end
    ("想问问我家那几亩油采", "油菜", (8, 10)),
    ("种的榨采", "榨菜", (2, 4)),
])
def test_a_crop_heard_by_sound_is_found_anywhere_in_the_message(nlu, text, crop, span):
    entity = next(e for e in nlu.parse(text).entities if e.entity == "crop")
    assert (entity.value, entity.start, entity.end) == (crop, *span)


def test_a_same_sound_name_is_found_by_its_first_syllable_among_many_names():
    names = {"花椒": ["麻椒"], "花生": [], "油菜": ["菜籽"], "榨菜": [], "茶叶": ["茶"]}
    lexicon = Lexicon(names, language_normalizer())
    assert _find(lexicon, "今年的化椒价钱") == ("花椒", 3, 5)
    assert _find(lexicon, "才籽和化生") == ("油菜", 0, 2)       # earliest mention wins
    assert _find(lexicon, "我想问一下") is None


def test_a_written_name_near_the_end_beats_no_sound_match_and_the_longer_name_wins():
    lexicon = Lexicon({"柑橘": ["橘子", "橘"], "生猪": ["猪"]}, language_normalizer())
    assert _find(lexicon, "今年想卖点橘子") == ("柑橘", 5, 7)
    assert _find(lexicon, "今年想卖点猪") == ("生猪", 5, 6)


def test_a_name_covered_by_the_stoplist_stays_blocked_written_and_by_sound():
    lexicon = Lexicon({"笋竹": ["笋子", "竹竿子"]}, language_normalizer(), stoplist=["孙子", "竹竿"])
    assert _find(lexicon, "我孙子考大学") is None                # 孙子 sounds like 笋子
    assert _find(lexicon, "拿根竹竿子来") is None
    assert _find(lexicon, "孙子要吃笋子") == ("笋竹", 4, 6)      # the stop blocks its own span only


def test_a_negated_or_taken_span_gives_no_sound_match():
    lexicon = Lexicon({"花椒": []}, language_normalizer())
    assert _find(lexicon, "不要化椒", negated=[(0, 4)]) is None
    assert _find(lexicon, "化椒", taken=[(1, 2)]) is None
    assert _find(lexicon, "化椒", taken=[(2, 3)]) == ("花椒", 0, 2)


def test_written_only_lexicon_does_not_match_by_sound():
    lexicon = Lexicon({"家庭农场": []}, language_normalizer(), by_sound=False)
    assert _find(lexicon, "加庭农场") is None
    assert _find(lexicon, "我是家庭农场") == ("家庭农场", 2, 6)
