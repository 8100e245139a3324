"""The word index behind keywords and slot names: every word, overlapping or at the very end, once."""
from intents.normalize import language_normalizer
from intents.prefix_tree import PrefixTree, syllable_index, text_index


def test_every_word_is_found_overlapping_and_at_the_end():
    tree = PrefixTree()
    for word in ("农合联", "合联", "联", "入会"):
        tree.add(word, word)
    assert tree.find_all("想入会农合联") == [(1, "入会", 3), (3, "农合联", 6), (4, "合联", 6), (5, "联", 6)]
    assert tree.find_all("想问一下") == []


def test_syllable_words_and_shared_words_keep_every_value():
    tree = PrefixTree()
    tree.add(("ru", "hui"), "入会")
    tree.add(("ru", "hui"), "如会")
    assert tree.find_all(("wo", "xian", "ru", "hui")) == [(2, "入会", 4), (2, "如会", 4)]
    assert tree.find_all(("ru",)) == []


def test_owners_of_a_shared_index_each_find_their_own_words_as_their_own_tree_would():
    index, sounds = text_index(), syllable_index()
    keywords, crops, stops = index.part(), index.part(), index.part()
    for word in ("农合联", "合联", "入会"):
        keywords.add(word, word)
    crops.add("合联", "crop")
    stops.add("入会农", None)
    heard = sounds.part()
    heard.add(("nong", "he"), "农合")
    norm = language_normalizer()("想入会农合联")
    assert keywords.find_all(norm) == [(1, "入会", 3), (3, "农合联", 6), (4, "合联", 6)]
    assert crops.find_all(norm) == [(4, "crop", 6)]
    assert stops.find_all(norm) == [(1, None, 4)]
    assert heard.find_all(norm) == [(3, "农合", 5)]
    assert crops.find_all(language_normalizer()("想问一下")) == []


def test_keywords_written_and_by_sound_count_at_the_end_of_the_message(nlu):
    explained = "\n".join(nlu.parse("我要投述", explain=True).explanation)
    assert "投诉(pinyin" in explained and nlu.parse("我要投述").intent == "human_agent"
    assert nlu.parse("怎么申请如会").intent == "join_nonghelian"
    assert nlu.parse("我想ruhui").intent == "join_nonghelian"
    assert nlu.parse("请问怎么申请贷款").intent == "loan_products"
