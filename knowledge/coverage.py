"""Which clauses of a county's document its FAQ cites: the document's numbered headings against `source.section`."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.loader import Pack

NUMERALS = "一二三四五六七八九十"
_L1 = re.compile(rf"^#*\s*([{NUMERALS}]+)、\s*(.*)")
_L2 = re.compile(rf"^#*\s*（([{NUMERALS}]+)）\s*(.*)")
_L3 = re.compile(r"^#*\s*(\d{1,2})\s*[.．]\s*(\D.*)")
_ANNEX = re.compile(r"^#*\s*附件\s*(\d+(?:\.\d+)?)\s*$")
# In a citation: 二（一）, 三（一）（二）, 三（一）1, 附件1.1, 一、总体要求
_CITE_ANNEX = re.compile(r"附件\s*(\d+(?:\.\d+)?)")
_CITE = re.compile(rf"(?<![（{NUMERALS}])([{NUMERALS}]+)(?:、[^（；;，,、]*)?((?:（[{NUMERALS}]+）)*)((?:\d{{1,2}}(?:[、，,]\d{{1,2}})*)?)")


@dataclass
class Clause:
    id: str            # 二（一）, 三（一）1, 附件1.1, 一
    title: str
    line: int
    children: list[str] = field(default_factory=list)


def _norm(text: str) -> str:
    return text.replace("(", "（").replace(")", "）").strip()


def _title(rest: str) -> str:
    return re.split(r"[。.；;]", rest, maxsplit=1)[0][:30]


def parse_clauses(text: str) -> dict[str, Clause]:
    """The document's numbered headings (一、 / （一） / 1. / 附件1.1), in order, keyed by id."""
    clauses: dict[str, Clause] = {}
    l1 = l2 = None
    in_annex = False
    for number, raw in enumerate(text.splitlines(), 1):
        line = _norm(raw)
        if not line:
            continue
        if m := _ANNEX.match(line):
            in_annex, l1, l2 = True, None, None
            clauses[f"附件{m.group(1)}"] = Clause(f"附件{m.group(1)}", "", number)
            continue
        if in_annex:
            continue   # tables: their rows are not clauses
        if (m := _L1.match(line)) and len(m.group(1)) <= 3:
            l1, l2 = m.group(1), None
            clauses[l1] = Clause(l1, _title(m.group(2)), number)
        elif (m := _L2.match(line)) and l1:
            l2 = f"{l1}（{m.group(1)}）"
            clauses[l2] = Clause(l2, _title(m.group(2)), number)
            clauses[l1].children.append(l2)
        elif (m := _L3.match(line)) and l2:
            cid = f"{l2}{m.group(1)}"
            if cid not in clauses:
                clauses[cid] = Clause(cid, _title(m.group(2)), number)
                clauses[l2].children.append(cid)
    return clauses


def cited(section: str) -> set[str]:
    """Clause ids a `source.section` names: "三（一）（二）" is 三（一） and 三（二）; "三（一）1、2" two items."""
    text = _norm(section)
    out = {f"附件{m.group(1)}" for m in _CITE_ANNEX.finditer(text)}
    text = _CITE_ANNEX.sub(" ", text)
    # A bare "（五）" (江津 numbers its sub-headings across sections): any clause ending so.
    out.update(f"*（{m.group(1)}）" for m in re.finditer(rf"(?:^|[；;，,、\s])（([{NUMERALS}]+)）", text))
    for m in _CITE.finditer(text):
        top, subs, items = m.group(1), re.findall(rf"（([{NUMERALS}]+)）", m.group(2)), m.group(3)
        if not subs:
            out.add(top)
            continue
        for sub in subs:
            out.add(f"{top}（{sub}）")
        if items and len(subs) == 1:
            out.update(f"{top}（{subs[0]}）{n}" for n in re.split(r"[、，,]", items))
    return out


@dataclass
class DocumentCoverage:
    doc: str
    title: str
    clauses: dict[str, Clause]
    leaves: list[str]          # the clauses counted (headings without sub-headings)
    covered: list[str]
    missing: list[str]

    @property
    def percent(self) -> float:
        return round(100.0 * len(self.covered) / len(self.leaves), 1) if self.leaves else 0.0


def seeds_dir() -> Path:
    """Where the county documents are: NONGBOT_SEEDS, else the project's ../shared/seeds."""
    env = os.environ.get("NONGBOT_SEEDS")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent.parent / "shared" / "seeds"


def coverage(pack: Pack, seeds: Path | None = None) -> list[DocumentCoverage]:
    """Per document of the pack: its clauses and which of them some FAQ entry cites. A cited heading covers
    the sub-headings under it only below the top level ("三（一）" covers 三（一）1…; "三" does not cover 三（一）)."""
    seeds = seeds or seeds_dir()
    out = []
    for doc in pack.info.documents:
        path = seeds / doc.file
        if path.exists():
            text = path.read_text(encoding="utf-8")
        else:   # the pack's own copy of the document (clauses.yaml), headings at the start of their lines
            held = [c for c in pack.clauses if c.doc == doc.id]
            if not held:
                continue
            text = "\n".join(f"{c.section}\n{c.text}" if c.section.startswith("附件") else c.text for c in held)
        clauses = parse_clauses(text)
        hits: set[str] = set()
        for entry in pack.faq:
            if entry.source.doc != doc.id:
                continue
            for cid in cited(entry.source.section):
                if cid.startswith("*"):
                    cid = next((c for c in clauses if c.endswith(cid[1:]) and "（" in c
                                and c.index("（") == c.rindex("（")), cid)
                if cid not in clauses:
                    continue
                hits.add(cid)
                if "（" in cid:
                    stack = list(clauses[cid].children)
                    while stack:
                        child = stack.pop()
                        hits.add(child)
                        stack.extend(clauses[child].children)
        leaves = [cid for cid, c in clauses.items() if not c.children]
        out.append(DocumentCoverage(doc.id, doc.title, clauses, leaves,
                                    [c for c in leaves if c in hits], [c for c in leaves if c not in hits]))
    return out
