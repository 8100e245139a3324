"""A staff edit that changes what the pack can serve changes the menu and examples the bot shows, without a restart."""
from __future__ import annotations

import shutil
from types import SimpleNamespace

import yaml

from bot.context import Knowledge
from bot.live_pack import LivePack
from handlers.replies import ReplyTemplates
from knowledge import load_pack
from knowledge.loader import read_pack


def _pack_without_declared_offers(tmp_path):
    """A copy of 忠县 that offers what its data can serve (no `offers`, no example requests)."""
    dst = tmp_path / "zx"
    shutil.copytree(load_pack("zhongxian").path, dst)
    info = yaml.safe_load((dst / "pack.yaml").read_text(encoding="utf-8"))
    info.pop("offers", None)
    info.get("examples", {}).pop("requests", None)
    (dst / "pack.yaml").write_text(yaml.safe_dump(info, allow_unicode=True), encoding="utf-8")
    return read_pack(dst)


def test_removing_every_loan_product_takes_loans_off_the_menu(tmp_path):
    base = _pack_without_declared_offers(tmp_path)
    templates = ReplyTemplates(base.path)
    ctx = SimpleNamespace(templates=templates, nlu=None, knowledge=Knowledge(base, None))
    before = templates.render("gateway/menu_options")
    assert "贷款" in before

    edits = {("loans", p.name): None for p in base.loan_products}
    from knowledge.overlay import overlay
    LivePack(ctx, base, interval=60).install(overlay(base, edits), version=7)

    after = templates.render("gateway/menu_options")
    assert "贷款" not in after and "托管" in after
    assert ctx.knowledge.version == 7


def test_an_edited_first_service_is_the_example_request(tmp_path):
    base = _pack_without_declared_offers(tmp_path)
    templates = ReplyTemplates(base.path)
    ctx = SimpleNamespace(templates=templates, nlu=None, knowledge=Knowledge(base, None))
    first = base.services[0]
    assert first.name in templates.render("gateway/menu_options")

    from knowledge.overlay import overlay
    renamed = {**first.model_dump(mode="json"), "name": "代耕代种"}
    edits = {("services", s.name): None for s in base.services}
    edits[("services", "代耕代种")] = renamed
    LivePack(ctx, base, interval=60).install(overlay(base, edits), version=8)
    shown = templates.render("gateway/menu_options")
    assert "代耕代种" in shown and f"{first.name}”" not in shown
