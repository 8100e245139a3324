"""`knowledge check` catches broken packs by file and line; import dry-run; FAQ retrieval."""
import shutil

import pytest
from click.testing import CliRunner

from knowledge import load_pack
from knowledge.check import check_pack
from knowledge.cli import knowledge
from knowledge.faq import answer
from knowledge.loader import PACKS_DIR

PACKS = ["zhongxian", "fengdu", "jiangjin", "liaocheng", "nanchuan"]


@pytest.mark.parametrize("name", PACKS)
def test_every_pack_loads_and_passes_check(name):
    pack = load_pack(name)
    assert pack.townships and pack.centers and pack.faq
    result = CliRunner().invoke(knowledge, ["check", name, "--quiet"])
    assert result.exit_code == 0, result.output


@pytest.fixture
def pack_copy(tmp_path):
    target = tmp_path / "zx"
    shutil.copytree(PACKS_DIR / "zhongxian", target)
    return target


def _line_of(path, needle):
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def test_check_names_file_and_line_of_a_township_covered_twice(pack_copy):
    orgs = pack_copy / "organizations.yaml"
    text = orgs.read_text(encoding="utf-8")
    orgs.write_text(text.replace("  - 三汇镇\n", "  - 三汇镇\n  - 涂井乡\n", 1), encoding="utf-8")
    report = check_pack(pack_copy)
    assert not report.ok
    (problem,) = [p for p in report.errors if "涂井乡" in p.message]
    assert problem.file == "organizations.yaml" and "covered twice" in problem.message
    assert problem.line == _line_of(orgs, "三汇镇农村合作经济组织联合会") + 2   # the `townships:` key line


def test_check_names_a_center_in_an_unknown_township(pack_copy):
    centers = pack_copy / "centers.yaml"
    text = centers.read_text(encoding="utf-8")
    centers.write_text(text.replace("township: 石宝镇", "township: 石包镇", 1), encoding="utf-8")
    result = CliRunner().invoke(knowledge, ["check", str(pack_copy), "--quiet"])
    assert result.exit_code != 0
    assert f"centers.yaml:{_line_of(centers, 'township: 石包镇')}:" in result.output
    assert "石包镇" in result.output


def test_check_reports_a_schema_error_and_lists_placeholders(pack_copy):
    loans = pack_copy / "loans.yaml"
    loans.write_text(loans.read_text(encoding="utf-8").replace("guarantee: 信用,", "guarantee: 信用, rate: 3,", 1),
                     encoding="utf-8")
    report = check_pack(pack_copy)
    assert any(p.file == "loans.yaml" and p.line == _line_of(loans, "rate: 3") for p in report.errors)
    assert report.placeholders and all("待补充" in p.message for p in report.placeholders)


def test_import_dry_run_shows_the_diff_and_changes_nothing(pack_copy, tmp_path):
    sheet = tmp_path / "centers.csv"
    sheet.write_text("code,phone,address\nzx-107-center,023-00000000,石宝镇某路1号\n"
                     "zx-new,,\n", encoding="utf-8")
    before = (pack_copy / "centers.yaml").read_bytes()
    result = CliRunner().invoke(knowledge, ["import", str(sheet), "--pack", str(pack_copy), "--dry-run"])
    assert "zx-107-center" in result.output and "'待补充' -> '023-00000000'" in result.output
    assert "row 3" in result.output          # a new center without name/kind is rejected by the schema
    assert (pack_copy / "centers.yaml").read_bytes() == before


def test_import_writes_loans_from_xlsx_and_the_pack_still_checks(pack_copy, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.title = "loans"
    ws.append(["name", "bank", "amount_max_yuan", "documents"])
    ws.append(["助农贷", "某农商行", 300000, "身份证、营业执照"])
    path = tmp_path / "loans.xlsx"
    book.save(path)
    result = CliRunner().invoke(knowledge, ["import", str(path), "--pack", str(pack_copy), "--yes"])
    assert result.exit_code == 0, result.output
    product = next(p for p in load_pack(pack_copy).loan_products if p.name == "助农贷")
    assert product.bank == "某农商行" and product.amount_max_yuan == 300000
    assert product.documents == ["身份证", "营业执照"]
    assert product.source is not None          # untouched fields survive


@pytest.mark.parametrize("question,entry", [
    ("农合联到底是搞啥子的", "what_is_nonghelian"),
    ("哪些人能入农合联", "who_can_join"),
    ("合作社代帐找哪个", "bookkeeping"),          # homophone typo
    ("土地能抵押贷款不", "mortgage"),
    ("有啥子贷款产品", "loan_products"),
    ("托管怎么收费", "tuoguan"),
])
def test_faq_finds_the_entry_for_paraphrases(question, entry):
    found = answer(load_pack("zhongxian"), question)
    assert found.entry.id == entry and found.confident
    assert found.entry.source.doc == "000"


@pytest.mark.parametrize("question", ["今天天气怎么样", "asdfgh", "我要吃火锅", "股票明天涨不涨"])
def test_faq_is_not_confident_on_nonsense(question):
    found = answer(load_pack("zhongxian"), question)
    assert found is None or not found.confident


def test_liaocheng_is_a_city_of_eight_counties():
    pack = load_pack("liaocheng")
    assert {t.county for t in pack.townships} == {"东昌府区", "莘县", "阳谷县", "冠县", "临清市", "茌平区", "高唐县", "东阿县"}
    ten = {"种肥供应", "深耕深松", "机种机收", "划片管理", "统防统治", "节水灌溉", "秸秆利用", "粮食烘干", "产销对接", "技术培训"}
    assert all(pack.service(item) in pack.services for item in ten)   # 土地托管 “十服务”, by name or alias


def test_default_pack_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("NONGBOT_KNOWLEDGE", "nanchuan")
    result = CliRunner().invoke(knowledge, ["show"])
    assert result.exit_code == 0 and "南川区" in result.output
