"""Shared checks that a county pack is true to its seed document (used by test_pack_<county>.py).

The seed documents live outside the repository (../shared/seeds, or NONGBOT_SEEDS); tests that need the
text skip when it is absent.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from knowledge.loader import Pack

REPO = Path(__file__).resolve().parents[2]
FORM_ROLES = ("membership", "tuoguan", "finance", "bookkeeping", "supplies", "marketing")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def seed_text(pack: Pack) -> str:
    roots = [Path(os.environ["NONGBOT_SEEDS"])] if os.environ.get("NONGBOT_SEEDS") else []
    roots += [REPO.parent / "shared" / "seeds", Path("/work/shared/seeds")]
    texts = []
    for doc in pack.info.documents:
        path = next((r / doc.file for r in roots if (r / doc.file).exists()), None)
        if path is None:
            pytest.skip(f"seed document {doc.file} not available")
        texts.append(path.read_text(encoding="utf-8"))
    return "\n".join(texts)


def numbers_of(text: str) -> set[str]:
    """Every figure in a text (amounts, counts, years, percentages)."""
    return set(_NUMBER.findall(text))


def _figure(value: float | str) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def invented_figures(pack: Pack, doc_text: str) -> list[str]:
    """Figures in FAQ answers, products, institutions, centers, programmes and targets that the document lacks."""
    doc_numbers = set(_NUMBER.findall(doc_text))
    out = []
    texts = [(f"faq {e.id}", e.answer) for e in pack.faq]
    texts += [(f"loan {p.name}", f"{p.description} {p.subsidy or ''}") for p in pack.loan_products]
    texts += [(f"institution {i.name}", f"{i.target or ''} {i.note} {i.count or ''}") for i in pack.institutions]
    texts += [(f"center {c.code}", f"{c.note} {c.planned_count or ''}") for c in pack.centers]
    texts += [(f"programme {p.name}", p.description) for p in pack.programmes]
    texts += [(f"target {t.indicator}", " ".join(f"{k} {_figure(v)}" for k, v in t.values.items()))
              for t in pack.targets]
    for where, text in texts:
        for n in numbers_of(text):
            if n not in doc_numbers:
                out.append(f"{where}: {n}")
    return out


_SECTION = re.compile(r"^(?P<chapter>[一二三四五六七八九十]+)?(?:（(?P<clause>[一二三四五六七八九十]+)）)?(?P<item>\d+)?$")


def unknown_sections(pack: Pack, doc_text: str) -> list[str]:
    """FAQ sections that do not name a part of the document (chapter 二、, clause （三）, item 7．)."""
    out = []
    for e in pack.faq:
        for part in e.source.section.split("、"):
            if part in {"通知", "前言"}:
                continue
            m = _SECTION.match(part)
            if not m or not any(m.groupdict().values()):
                out.append(f"{e.id}: {part}")
                continue
            chapter, clause, item = m["chapter"], m["clause"], m["item"]
            start = doc_text.find(f"{chapter}、") if chapter else 0
            rest = doc_text[start:]
            if start < 0 or (clause and f"（{clause}）" not in rest) or (item and f"{item}．" not in rest):
                out.append(f"{e.id}: {part}")
    return out


def misrouted_variants(pack: Pack) -> list[str]:
    """Question variants that retrieve another entry than their own."""
    from knowledge.faq import answer
    return [f"{q} -> {answer(pack, q).entry.id} (not {e.id})"
            for e in pack.faq for q in e.questions if answer(pack, q).entry.id != e.id]


def foreign_applicant_types(pack: Pack) -> list[str]:
    """Loan `who` values the loan form cannot match (it asks for one of its member types)."""
    from handlers.join_nonghelian import MEMBER_TYPES
    return [f"{p.name}: {w}" for p in pack.loan_products for w in p.who if w not in MEMBER_TYPES]


STAGES = ("产前服务", "产中服务", "产后服务")
GROUP_WORDS = {"粮油", "粮食", "粮食作物", "水果", "经济作物", "特色产业"}


def ambiguous_service_words(pack: Pack) -> list[str]:
    """Words (names and aliases) that name two bookable services, and stage umbrellas that carry farmers' words."""
    seen: dict[str, str] = {}
    out = []
    for s in pack.services:
        for w in [s.name, *s.aliases]:
            if w in seen and seen[w] != s.name:
                out.append(f"{w}: {seen[w]} / {s.name}")
            seen.setdefault(w, s.name)
        if s.name in STAGES and s.aliases:
            out.append(f"{s.name} carries farmers' words {s.aliases}")
    return out


def unmarked_services(pack: Pack, doc: str, clause: str) -> list[str]:
    """Services whose source is not the document's clause with the stage (产前/产中/产后/全程) it puts them in."""
    return [s.name for s in pack.services
            if s.source is None or s.source.doc != doc or not s.source.section.startswith(clause)
            or not any(stage in s.source.section for stage in ("产前", "产中", "产后", "全程"))]


def crop_of(pack: Pack, word: str) -> str | None:
    """The canonical crop a farmer's word (name, alias or work word) names."""
    return next((c.name for c in pack.crops if word == c.name or word in c.aliases or word in c.activities), None)


# ---- a pack with one form's data removed -------------------------------------------------------------------
PACKS = ("zhongxian", "fengdu", "jiangjin", "liaocheng", "nanchuan")


def offered_needs(name: str) -> list[tuple[str, str, int]]:
    """(pack, intent, need index) for every need of every intent the pack offers."""
    from knowledge.needs import NEEDS, offered
    pack = _load(name)
    return [(name, intent, i) for intent in offered(pack) for i, _ in enumerate(NEEDS.get(intent, ()))]


def _load(name_or_path):
    from knowledge.loader import load_pack, read_pack
    return read_pack(name_or_path) if isinstance(name_or_path, Path) else load_pack(name_or_path)


def _write(path: Path, data) -> None:
    import yaml
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _read(path: Path):
    import yaml
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}


def remove_need(folder: Path, need) -> None:
    """Take out of the pack copy in `folder` the data `need` asks for (generic over the needs' files)."""
    from knowledge.loader import PACK_FILES
    from knowledge.routing import center_roles
    role = re.search(r"role `(\w+)`", need.what)
    if role or need.file == "centers.yaml":
        pack = _load(folder)
        wanted = role[1] if role else None
        gone = {c.code for c in pack.centers if wanted is None or wanted in center_roles(pack, c)}
        data = _read(folder / "centers.yaml")
        data["centers"] = [c for c in data.get("centers") or [] if c["code"] not in gone]
        _write(folder / "centers.yaml", data)
        programmes = _read(folder / "programmes.yaml")
        if programmes.get("programmes") and wanted:
            programmes["programmes"] = [g for g in programmes["programmes"] if g.get("role") != wanted]
            _write(folder / "programmes.yaml", programmes)
        if not role:   # no center at all: nothing to take tickets either
            info = _read(folder / "pack.yaml")
            info.pop("default_center", None)
            _write(folder / "pack.yaml", info)
    elif need.file == "pack.yaml":   # the join offer (and any 农合联 to join)
        info = _read(folder / "pack.yaml")
        info.pop("join", None)
        _write(folder / "pack.yaml", info)
        _write(folder / "organizations.yaml", {"nonghelian": []})
    else:
        _write(folder / need.file, {PACK_FILES[need.file][0]: []})
