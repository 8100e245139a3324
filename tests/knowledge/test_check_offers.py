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
