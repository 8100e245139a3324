"""Every reply template, rendered for each county, speaks that county's words and no other county's."""
from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import ChainableUndefined, Environment

from handlers.replies import SHARED_TEMPLATES, ReplyTemplates
from knowledge import load_pack
from knowledge.words import pack_words

PACKS = ["zhongxian", "fengdu", "jiangjin", "liaocheng", "nanchuan"]
TEMPLATES = sorted(str(p.relative_to(SHARED_TEMPLATES)) for p in SHARED_TEMPLATES.rglob("*.j2"))


def _own_words(name: str) -> set[str]:
    pack = load_pack(name)
    words = pack_words(pack)
    county = pack.info.county
    out = {county, county.rstrip("县区市") if len(county) > 2 else county, words.bot_name, words.township,
           words.org_name, *pack.info.examples.requests}
    out |= {t.name for t in pack.townships} | {a for t in pack.townships for a in t.aliases if len(a) >= 2}
    return {w for w in out if w}


def _render_all(name: str) -> str:
    pack = load_pack(name)
    shipped = ReplyTemplates(pack.path)
    # Same loader and globals, but any variable a handler would pass renders empty: only the templates' own
    # words and the pack's words are left.
    env = Environment(loader=shipped.env.loader, undefined=ChainableUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals.update(shipped.env.globals)
    context = dict(county=pack.info.county, pack=pack, slots={}, values={}, items=[], centers=[], choices=[],
                   products=[], programmes=[], options=[], fields={})
    texts = []
    for template in TEMPLATES:
        texts.append((SHARED_TEMPLATES / template).read_text(encoding="utf-8"))   # the words written in it
        try:
            texts.append(env.get_template(template).render(**context))
        except Exception:   # a template that needs a handler's data: its own text was read above
            pass
    return "\n".join(texts)


@pytest.mark.parametrize("name", PACKS)
def test_templates_carry_no_other_countys_words(name):
    text = _render_all(name)
    own = _own_words(name)
    foreign = set().union(*(_own_words(other) for other in PACKS if other != name)) - own
    leaked = sorted(w for w in foreign if w in text and not any(w in o for o in own))
    assert not leaked, leaked


@pytest.mark.parametrize("name", PACKS)
def test_menu_speaks_the_countys_name_and_offers_only_what_it_serves(name):
    pack = load_pack(name)
    words = pack_words(pack)
    menu = ReplyTemplates(pack.path).render("gateway/menu")
    assert words.bot_name in menu
    for number, intent in [("1", "join_nonghelian"), ("2", "book_tuoguan"), ("3", "loan_products"), ("4", "bookkeeping")]:
        assert (f"\n{number} " in f"\n{menu}") == (intent in words.offers), (number, intent)


def test_zhongxian_menu_and_examples_are_its_own():
    templates = ReplyTemplates(load_pack("zhongxian").path)
    assert "1 加入农合联" in templates.render("gateway/menu")
    assert "石宝" in templates.render("dialog/ask_township")
    assert "忠县某某柑橘专业合作社" in templates.render("forms/ask_org_name")


def test_a_pack_without_tuoguan_data_does_not_offer_it(tmp_path):
    import shutil

    from knowledge.loader import read_pack
    dst = tmp_path / "p"
    shutil.copytree(load_pack("zhongxian").path, dst)
    text = (dst / "pack.yaml").read_text(encoding="utf-8")
    (dst / "pack.yaml").write_text(text.split("offers:")[0] + "examples:\n  township: 石宝\n", encoding="utf-8")
    (dst / "crops.yaml").unlink()
    assert "book_tuoguan" not in pack_words(read_pack(dst)).offers


def test_a_recycling_question_hears_of_recycling_not_of_selling_produce():
    from types import SimpleNamespace

    from handlers.referrals import sell_produce
    pack = load_pack("zhongxian")
    templates = ReplyTemplates(pack.path)
    turn = SimpleNamespace(ctx=SimpleNamespace(pack=pack), inbound=SimpleNamespace(text="石宝的废旧农膜哪个回收"),
                           slots={"township": "石宝镇"}, user=lambda: None, location=lambda: None,
                           render=lambda name, **data: templates.render(name, county=pack.info.county, **data))
    reply = sell_produce(turn)[0]
    assert "再生资源回收" in reply and "村村旺" not in reply and "石宝镇" in reply


@pytest.mark.parametrize("name", PACKS)
def test_forms_examples_asked_again_are_the_countys_own(name):
    """A form declares the kind of example (@township, @org_name …); asked again, the farmer sees his county's."""
    from handlers import FORMS
    pack = load_pack(name)
    templates = ReplyTemplates(pack.path)
    own = _own_words(name)
    foreign = set().union(*(_own_words(other) for other in PACKS if other != name)) - own
    shown = []
    for form in FORMS.values():
        for slot in form.slots:
            if not slot.example:
                continue
            again = templates.render("forms/ask_again", question="请再说一次。", example=slot.example,
                                     has_options=False)
            stuck = templates.render("forms/ask_stuck", label=slot.label, example=slot.example)
            assert "@" not in again + stuck, (form.intent, slot.name)
            shown.append(again + stuck)
    text = "\n".join(shown)
    assert pack_words(pack).township in text
    leaked = sorted(w for w in foreign if w in text and not any(w in o for o in own))
    assert not leaked, leaked


def test_an_example_already_in_the_question_is_not_repeated():
    templates = ReplyTemplates(load_pack("fengdu").path)
    words = pack_words(load_pack("fengdu"))
    text = templates.render("forms/ask_again", question=f"请回复全称，比如“{words.org_name}”。", example="@org_name",
                            has_options=False)
    assert text.count(words.org_name) == 1
