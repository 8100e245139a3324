"""Every pack serves each form it offers, and `knowledge check` fails a copy with that form's data removed,
naming pack.yaml's `offers` line (file:line) and the file the county would fill in."""
from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from knowledge import load_pack
from knowledge.check import check_pack
from knowledge.cli import knowledge
from knowledge.needs import NEEDS
from tests.knowledge.pack_truth import PACKS, offered_needs, remove_need

CASES = [case for name in PACKS for case in offered_needs(name)]


@pytest.mark.parametrize("name", PACKS)
def test_the_shipped_pack_serves_what_it_offers(name):
    assert check_pack(name).ok, [str(e) for e in check_pack(name).errors]


@pytest.mark.parametrize("name,intent,index", CASES, ids=[f"{n}-{i}-{k}" for n, i, k in CASES])
def test_a_copy_without_a_forms_data_fails_at_the_offers_line(tmp_path, name, intent, index):
    need = NEEDS[intent][index]
    copy = tmp_path / name
    shutil.copytree(load_pack(name).path, copy)
    remove_need(copy, need)
    line = next(i for i, text in enumerate((copy / "pack.yaml").read_text(encoding="utf-8").splitlines(), 1)
                if text.startswith("offers:"))
    expected = f"pack.yaml:{line}: offers {intent}, but {need.file}: {need.what}"
    errors = [str(e) for e in check_pack(copy).errors]
    assert expected in errors, errors
    result = CliRunner().invoke(knowledge, ["check", str(copy), "--quiet"])
    assert result.exit_code == 1 and expected in result.output


def test_every_pack_offers_at_least_the_forms_its_document_sets_up():
    for name in PACKS:
        intents = {intent for _, intent, _ in offered_needs(name)}
        assert {"join_nonghelian", "loan_products", "find_service_center", "policy_faq"} <= intents, name
