"""The dev-set floors and the `nlu` CLI (parse, parse --jsonl, eval)."""
import json
from pathlib import Path

from click.testing import CliRunner

import intents.cli as cli
from intents.evaluate import evaluate
from tests.intents.conftest import TODAY

DATA = Path(__file__).resolve().parents[1] / "data"


def _rows(name: str = "nlu_dev.jsonl"):
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def test_dev_set_covers_every_intent_and_noise_kind():
    rows = _rows()
    assert len(rows) >= 1100
    assert len({r["intent"] for r in rows}) == 13
    assert {r["noise"] for r in rows} == {"clean", "typo", "voice", "dialect", "pinyin"}


def test_dev_set_accuracy_and_slot_f1_stay_above_the_floor(nlu):
    rep = evaluate(nlu, _rows(), today=TODAY)
    assert rep.accuracy >= 0.97
    assert rep.slot_f1 >= 0.94
    clean = rep.per_noise["clean"][0] / rep.per_noise["clean"][1]
    for kind, (ok, n) in rep.per_noise.items():
        assert ok / n >= clean - 0.05, kind


def test_holdout_set_never_tuned_on_stays_above_its_floor(nlu):
    rep = evaluate(nlu, _rows("nlu_holdout.jsonl"), today=TODAY)
    assert rep.accuracy >= 0.95
    assert rep.slot_f1 >= 0.92


def test_blind_test_set_meets_the_goals(nlu):
    """tests/data/nlu_test.jsonl was written by someone who never saw the matcher, its catalogue or the
    dev set; it is measured, never tuned on (see tests/data/README.md). Issue 3's goals, held: intent
    accuracy ≥ 0.95, slot F1 ≥ 0.90, every noisy style within 5 points of clean."""
    rows = _rows("nlu_test.jsonl")
    assert len(rows) >= 400 and {r["today"] for r in rows} == {"2026-12-01"}
    rep = evaluate(nlu, rows)
    assert rep.accuracy >= 0.95
    assert rep.slot_f1 >= 0.90
    clean = rep.per_noise["clean"][0] / rep.per_noise["clean"][1]
    for kind in ("dialect", "voice", "typo", "pinyin"):
        ok, n = rep.per_noise[kind]
        assert ok / n >= clean - 0.05, kind


def _runner(monkeypatch, nlu):
    monkeypatch.setattr(cli, "load_understanding", lambda pack: nlu)
    return CliRunner()


def test_cli_parse_prints_the_contract_json(monkeypatch, nlu):
    result = _runner(monkeypatch, nlu).invoke(cli.nlu, ["parse", "托管五十亩水稻"])
    assert result.exit_code == 0
    answer = json.loads(result.output)
    assert answer["intent"]["name"] == "book_tuoguan" and answer["slots"]["area_mu"] == 50
    assert "水稻" in result.output   # not \\u-escaped


def test_cli_parse_explain_and_today(monkeypatch, nlu):
    result = _runner(monkeypatch, nlu).invoke(cli.nlu, ["parse", "明天来打药", "--explain", "--today", "2026-11-23"])
    answer = json.loads(result.output)
    assert answer["slots"]["date"] == "2026-11-24" and answer["explanation"]


def test_cli_parse_jsonl_answers_in_order(monkeypatch, nlu, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "在吗", "id": 1}\n{"text": "代帐多少钱"}\n', encoding="utf-8")
    result = _runner(monkeypatch, nlu).invoke(cli.nlu, ["parse", "--jsonl", str(src)])
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [a["intent"]["name"] for a in lines] == ["greeting", "bookkeeping"]
    assert lines[0]["text"] == "在吗"


def test_cli_eval_reports_and_fails_under_min_accuracy(monkeypatch, nlu, tmp_path):
    data = tmp_path / "set.jsonl"
    data.write_text('{"text": "托管五十亩", "intent": "book_tuoguan", "slots": {"area_mu": 50}, "noise": "clean"}\n'
                    '{"text": "你好", "intent": "thanks_bye", "slots": {}, "noise": "clean"}\n', encoding="utf-8")
    runner = _runner(monkeypatch, nlu)
    ok = runner.invoke(cli.nlu, ["eval", str(data), "--min-accuracy", "0.5"])
    assert ok.exit_code == 0
    assert "accuracy 0.5000" in ok.output and "macro-F1" in ok.output and "area_mu" in ok.output
    assert "thanks_bye -> greeting" in ok.output
    bad = runner.invoke(cli.nlu, ["eval", str(data), "--min-accuracy", "0.9"])
    assert bad.exit_code != 0


def test_eval_reports_accuracy_and_out_of_scope_precision_per_county(nlu):
    rows = [{"text": "托管五十亩", "intent": "book_tuoguan", "county": "a"},
            {"text": "今天天气怎么样", "intent": "out_of_scope", "county": "a"},
            {"text": "给我讲个笑话", "intent": "greeting", "county": "b"}]
    from intents.evaluate import format_report
    rep = evaluate(nlu, rows, today=TODAY, nlu_for=lambda name: nlu)
    assert rep.per_county == {"a": (2, 2), "b": (0, 1)}
    assert rep.out_of_scope_by_county == {"a": (1, 1), "b": (0, 1)}
    assert "accuracy by county" in format_report(rep)
