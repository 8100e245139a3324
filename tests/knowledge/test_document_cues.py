"""A question put in everyday words, or asking who/when, reaches the clause's sentence that answers it."""
from knowledge.document import best_quote
from knowledge.faq import in_document_words
from knowledge.loader import load_pack


def test_everyday_words_gain_the_documents_words_only_when_the_document_has_them():
    liaocheng = load_pack("liaocheng")
    assert "电商" in in_document_words(liaocheng, "俺想把特产上网卖")
    assert in_document_words(liaocheng, "今天天气咋样") == "今天天气咋样"
    # a word the pack's text does not hold is never added
    assert "宅基地" not in in_document_words(liaocheng, "上网卖")


def test_who_question_quotes_the_clauses_lead_body():
    quote = best_quote(load_pack("liaocheng"), "农产品批发市场改造谁牵头负责")
    assert quote is not None and quote.clause.section.startswith("三（二）")
    assert "牵头单位" in quote.text


def test_same_topic_without_who_does_not_add_the_lead_body():
    quote = best_quote(load_pack("liaocheng"), "农产品批发市场要改造哪些基础设施")
    assert quote is not None and "牵头单位" not in quote.text
