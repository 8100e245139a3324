"""`knowledge check` holds a pack to what it offers, lists unsourced facts and reports FAQ coverage."""
from __future__ import annotations

import shutil

import pytest
import yaml
from click.testing import CliRunner

from knowledge import load_pack
from knowledge.check import check_pack
from knowledge.cli import knowledge
from knowledge.coverage import cited, parse_clauses, seeds_dir
from knowledge.needs import offered


@pytest.fixture
def copy(tmp_path):
    dst = tmp_path / "zx"
    shutil.copytree(load_pack("zhongxian").path, dst)
    return dst


def _errors(path) -> list[str]:
    return [str(p) for p in check_pack(path).errors]


def test_the_zhongxian_pack_serves_everything_it_offers():
    assert check_pack("zhongxian").ok
    assert set(offered(load_pack("zhongxian"))) >= {"book_tuoguan", "join_nonghelian", "loan_products", "bookkeeping"}


@pytest.mark.parametrize("remove,expected", [
    ("crops.yaml", "offers book_tuoguan, but crops.yaml: no crop"),
    ("loans.yaml", "offers loan_products, but loans.yaml"),
    ("faq.yaml", "offers policy_faq, but faq.yaml"),
])
def test_a_pack_without_a_forms_data_fails_with_file_and_line(copy, remove, expected):
    (copy / remove).unlink()
    errors = _errors(copy)
    line = next(i for i, text in enumerate((copy / "pack.yaml").read_text(encoding="utf-8").splitlines(), 1)
                if text.startswith("offers:"))
    assert any(e.startswith(f"pack.yaml:{line}: ") and expected in e for e in errors), errors
    result = CliRunner().invoke(knowledge, ["check", str(copy), "--quiet"])
    assert result.exit_code == 1


def test_a_role_no_center_plays_fails_the_check(copy):
    data = yaml.safe_load((copy / "centers.yaml").read_text(encoding="utf-8"))
    for c in data["centers"]:
        c["roles"] = [r for r in c["roles"] if r != "bookkeeping"]
    (copy / "centers.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert any("offers bookkeeping, but centers.yaml: no center with role `bookkeeping`" in e for e in _errors(copy))


def test_a_pack_that_declares_no_offers_offers_only_what_it_can_serve(copy):
    text = (copy / "pack.yaml").read_text(encoding="utf-8")
    (copy / "pack.yaml").write_text(text.replace("offers:", "old_offers:").split("old_offers:")[0], encoding="utf-8")
    (copy / "crops.yaml").unlink()
    from knowledge.loader import read_pack
    pack = read_pack(copy)
    assert check_pack(copy).ok and "book_tuoguan" not in offered(pack) and "loan_products" in offered(pack)


def test_sources_lists_facts_without_a_source(copy):
    data = yaml.safe_load((copy / "programmes.yaml").read_text(encoding="utf-8"))
    del data["programmes"][0]["source"]
    (copy / "programmes.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(knowledge, ["check", str(copy), "--sources"])
    assert result.exit_code == 1 and "1 fact(s) without a source" in result.output
    assert "programmes.yaml:" in result.output and "村村旺农村电商" in result.output


@pytest.mark.skipif(not seeds_dir().exists(), reason="the county documents (../shared/seeds) are not here")
def test_coverage_reports_clauses_no_faq_entry_cites(copy):
    data = yaml.safe_load((copy / "faq.yaml").read_text(encoding="utf-8"))
    data["faq"] = [f for f in data["faq"] if "五（三）" not in f["source"]["section"]]
    (copy / "faq.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(knowledge, ["check", str(copy), "--coverage"])
    assert result.exit_code == 0, result.output
    assert "-- 五（三） 扩大农村普惠金融覆盖面" in result.output and "ok 五（二）" in result.output
    assert "26/27 clauses" in result.output and "96.3%" in result.output


def test_clauses_and_citations_parse_the_documents_numbering():
    clauses = parse_clauses("一、总体要求\n（一）指导思想。坚持\n1. 加快建设。内容\n二、任务\n附件1.1\n表格")
    assert list(clauses) == ["一", "一（一）", "一（一）1", "二", "附件1.1"]
    assert cited("三（一）（二）；附件1.2") == {"三（一）", "三（二）", "附件1.2"}
    assert cited("一、总体要求") == {"一"} and cited("（五）") == {"*（五）"}


def _database_with_edits(tmp_path, monkeypatch, edits):
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from bot.records.models import Base, KnowledgeEdit

    url = f"sqlite:///{tmp_path / 'served.db'}"
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    with Session(engine) as s, s.begin():
        for n, (kind, key, data) in enumerate(edits, 1):
            s.add(KnowledgeEdit(pack="nanchuan", kind=kind, key=key, version=n, data=data))
    engine.dispose()
    monkeypatch.setenv("NONGBOT_DATABASE_URL", url)


def test_served_checks_the_pack_with_the_staffs_edits(tmp_path, monkeypatch):
    pack = load_pack("nanchuan")
    # staff removed every loan product in the console (the shipped files still have them)
    _database_with_edits(tmp_path, monkeypatch, [("loans", p.name, None) for p in pack.loan_products])
    shipped = CliRunner().invoke(knowledge, ["check", "nanchuan", "--quiet"])
    assert shipped.exit_code == 0, shipped.output
    served = CliRunner().invoke(knowledge, ["check", "nanchuan", "--quiet", "--served"])
    assert served.exit_code == 1
    assert f"{len(pack.loan_products)} staff edit(s)" in served.output
    assert "offers loan_products, but loans.yaml: no loan, insurance or guarantee product" in served.output


def test_served_counts_a_placeholder_staff_filled_in(tmp_path, monkeypatch):
    pack = load_pack("nanchuan")
    center = pack.center(pack.info.default_center)
    assert center.phone == "待补充"
    _database_with_edits(tmp_path, monkeypatch, [("centers", center.code,
                                                  {**center.model_dump(mode="json"), "phone": "023-71234567"})])
    count = lambda out: int(next(l for l in out.splitlines() if "placeholder(s)" in l).split()[0])  # noqa: E731
    shipped = CliRunner().invoke(knowledge, ["check", "nanchuan", "--quiet"])
    served = CliRunner().invoke(knowledge, ["check", "nanchuan", "--quiet", "--served"])
    assert served.exit_code == 0, served.output
    assert count(served.output) == count(shipped.output) - 1


def test_served_says_when_the_database_has_no_edits_table(tmp_path, monkeypatch):
    monkeypatch.setenv("NONGBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    result = CliRunner().invoke(knowledge, ["check", "nanchuan", "--served"])
    assert result.exit_code == 1 and "unreadable" in result.output


def test_a_planned_count_shown_as_an_existing_place_fails_the_check(tmp_path):
    copy = tmp_path / "fd"
    shutil.copytree(load_pack("fengdu").path, copy)
    text = (copy / "centers.yaml").read_text(encoding="utf-8")
    (copy / "centers.yaml").write_text(text.replace("  status: planned\n", "", 1), encoding="utf-8")
    errors = _errors(copy)
    assert any(e.startswith("centers.yaml:") and "is a plan, not places" in e for e in errors), errors


def test_a_county_wide_plan_is_told_as_a_plan_in_the_center_finder():
    from handlers.replies import ReplyTemplates
    from knowledge.routing import routes

    pack = load_pack("fengdu")
    text = ReplyTemplates(pack.path).render(
        "dialog/centers", township="龙河镇", by_location=False, nonghelian=None, placeholder="待补充",
        centers=[r for r in routes(pack, "tuoguan", township="龙河镇", limit=3) if r.center is not None])
    planned = next(c for c in pack.centers if c.planned_count and "tuoguan" in c.roles)
    assert planned.name in text and f"全县{planned.planned_count}个），不是已建成的地点" in text, text
    assert "在本乡镇发展" not in text
