"""Parse answers: contract shape, intents, negation, multi-intent, slots, dialog acts."""
import json
from datetime import date
from pathlib import Path

import pytest

from intents import Understanding, classify_act

TODAY = date(2026, 11, 23)


def test_contract_shape(nlu):
    answer = nlu.parse("托管五十亩水稻").to_dict()
    assert set(answer) == {"text", "intent", "intent_ranking", "entities", "slots", "secondary_intents"}
    assert answer["intent"]["name"] == "book_tuoguan"
    assert answer["slots"] == {"area_mu": 50, "crop": "水稻"}
    assert {"entity": "area_mu", "value": 50, "start": 2, "end": 5} in answer["entities"]
    assert {"entity": "crop", "value": "水稻", "start": 5, "end": 7} in answer["entities"]
    assert answer["intent_ranking"][0]["name"] == "book_tuoguan"
    assert abs(sum(r["confidence"] for r in answer["intent_ranking"]) - 1) < 0.01
    json.dumps(answer, ensure_ascii=False)


def test_explain_lists_the_evidence(nlu):
    answer = nlu.parse("托官咋个收费", explain=True).to_dict()
    assert any("托管" in line for line in answer["explanation"])


@pytest.mark.parametrize("text, intent", [
    ("托官咋个收费", "book_tuoguan"), ("我想dai kuan 五万", "loan_products"), ("代帐多少钱一年", "bookkeeping"),
    ("石宝那边有莫得服务站", "find_service_center"), ("zhuan rengong", "human_agent"),
    ("石宝哪里买化肥", "supplies"), ("代账在哪里办", "bookkeeping"),
    ("我上周约的飞防好久来", "check_status"), ("贷款批了没", "check_status"),
    ("农合联是干什么的", "policy_faq"), ("在吗", "greeting"), ("谢谢", "thanks_bye"),
    ("明天天气怎么样", "out_of_scope"), ("加微信领取免息贷款", "out_of_scope"),
])
def test_intents(nlu, text, intent):
    assert nlu.parse(text).intent == intent


def test_contrast_labels_what_the_user_wants(nlu):
    assert nlu.parse("不是要贷款，是问托管").intent == "book_tuoguan"


def test_negated_values_are_never_slots(nlu):
    parse = nlu.parse("不要复合肥，要有机肥")
    assert parse.intent == "supplies"
    assert "service" not in nlu.parse("不是要你们来施肥").slots
    assert nlu.parse("不要机收，只要烘干").slots.get("service") == "烘干"


def test_courtesy_and_side_asks_are_secondary(nlu):
    parse = nlu.parse("你好，托管三十亩水稻，顺便问下贷款怎么申请")
    assert parse.intent == "book_tuoguan"
    assert "loan_products" in parse.secondary_intents and "greeting" in parse.secondary_intents


def test_two_equal_requests_first_is_primary(nlu):
    parse = nlu.parse("买两吨化肥，再帮我约个飞防")
    assert parse.intent == "supplies" and "book_tuoguan" in parse.secondary_intents


def test_gibberish_is_out_of_scope_with_low_confidence(nlu):
    parse = nlu.parse("阿巴阿巴")
    assert parse.intent == "out_of_scope"


def test_slots_with_relative_date_and_phone(nlu):
    slots = nlu.parse("下周三来打药，三十亩柑橘，电话13812345678", today=TODAY).slots
    assert slots == {"date": "2026-12-02", "service": "统防统治", "area_mu": 30, "crop": "柑橘",
                     "phone": "13812345678"}


def test_township_slot_uses_the_official_name(nlu):
    parse = nlu.parse("石宝有没有服务站")
    assert parse.slots["township"] == "石宝镇"
    ent = next(e for e in parse.entities if e.entity == "township")
    assert parse.text[ent.start:ent.end] == "石宝"


def test_amounts(nlu):
    assert nlu.parse("想贷1.5万").slots["amount_yuan"] == 15000
    assert nlu.parse("我想带款三万五").slots["amount_yuan"] == 35000
    assert nlu.parse("借两千块").slots["amount_yuan"] == 2000
    assert "amount_yuan" not in nlu.parse("我有两万斤玉米要卖").slots


def test_member_types(nlu):
    assert nlu.parse("我们合作社想贷款").slots["member_type"] == "农民合作社"
    assert nlu.parse("家庭农场能贷多少").slots["member_type"] == "家庭农场"


@pytest.mark.parametrize("slot, text, value", [
    ("area_mu", "四十", 40), ("area_mu", "一百二十亩", 120), ("area_mu", "五十亩左右", 50),
    ("amount_yuan", "5万", 50000), ("amount_yuan", "三万五", 35000),
    ("phone", "13812345678", "13812345678"), ("date", "明天", "2026-11-24"),
    ("crop", "橘子", "柑橘"), ("service", "打药", "统防统治"), ("member_type", "家庭农场", "家庭农场"),
    ("township", "石宝", "石宝镇"), ("yes_no", "要得", True), ("yes_no", "不对", False),
])
def test_bare_answers_to_one_slot(nlu, slot, text, value):
    assert nlu.parse_slot_answer(text, slot, today=TODAY) == value
    # The dialog passes the text's parse along so the slots are not extracted twice: same answer.
    assert nlu.parse_slot_answer(text, slot, today=TODAY, parsed=nlu.parse(text, today=TODAY)) == value


@pytest.mark.parametrize("text", ["五十亩水稻和三十亩玉米", "明天或者后天", "石宝和新立都有地", "13812345678 四十亩"])
def test_a_bare_answer_read_from_the_parse_is_the_first_value_as_before(nlu, text):
    parsed = nlu.parse(text, today=TODAY)
    for slot in ("area_mu", "crop", "date", "township", "phone"):
        assert (nlu.parse_slot_answer(text, slot, today=TODAY, parsed=parsed)
                == nlu.parse_slot_answer(text, slot, today=TODAY))


@pytest.mark.parametrize("text", ["确认", "嗯嗯嗯", "不对，是40亩", "托管五十亩水稻", "四十", "臺灣的柑橘", "1.5万"])
def test_a_text_given_normalized_reads_as_the_text_itself(nlu, text):
    # The dialog normalizes a message once for its act, its parse and its bare answer.
    norm = nlu.normalize(text)
    assert classify_act(norm) == classify_act(text)
    parsed = nlu.parse(norm, today=TODAY)
    assert parsed.to_dict() == nlu.parse(text, today=TODAY).to_dict() and parsed.text == text
    for slot in ("area_mu", "amount_yuan", "yes_no", "crop"):
        assert (nlu.parse_slot_answer(text, slot, today=TODAY, parsed=parsed)
                == nlu.parse_slot_answer(text, slot, today=TODAY))


def test_bare_answer_that_is_not_the_slot(nlu):
    assert nlu.parse_slot_answer("不晓得", "area_mu") is None


@pytest.mark.parametrize("text, act", [
    ("确认", "affirm"), ("对", "affirm"), ("是的", "affirm"), ("要得", "affirm"), ("好", "affirm"),
    ("可以", "affirm"), ("行", "affirm"), ("嗯", "affirm"), ("1", "affirm"), ("OK", "affirm"),
    ("不对", "deny"), ("不是", "deny"), ("不要", "deny"), ("2", "deny"),
    ("算了不弄了", "cancel"), ("取消", "cancel"), ("不办了", "cancel"),
    ("上一步", "back"), ("返回", "back"), ("重新开始", "restart"),
    ("托管五十亩", None),
])
def test_dialog_acts(text, act):
    assert classify_act(text) == act


def test_pack_phrases_are_merged():
    nlu = Understanding.from_pack(None, extra_phrases={"sell_produce": ["脆李子哪个要"]})
    assert nlu.parse("脆李子哪个要").intent == "sell_produce"


def test_township_slot_skips_routing_only_for_texts_routing_finds_nothing_in(nlu):
    from knowledge.routing import find_townships   # the knowledge package, as Understanding uses it
    data = Path(__file__).resolve().parents[1] / "data"
    texts = [json.loads(line)["text"] for path in sorted(data.glob("nlu_*.jsonl"))
             for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    forms = [form for t in nlu.pack.townships for form in [t.name, *t.aliases] if form]
    texts += forms + [f"住在{form[0]}边" for form in forms] + ["shibaozhen有没得", "我在石包"]
    finder = nlu.slots._townships
    for text in texts:
        assert finder(text) == [(m.township.name, m.start, m.end) for m in find_townships(nlu.pack, text)], text
    assert finder("我在石包") == [("石宝镇", 2, 4)]       # a homophone sharing one character
    assert finder("shibaozhen有没得")[0][0] == "石宝镇"   # typed pinyin, no township character
