"""Validate a knowledge pack: schema, coverage, references and placeholders, with file:line errors."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from knowledge.loader import PACK_FILES, resolve
from knowledge.schema import PLACEHOLDER, IntentExamples, PackInfo


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class Report:
    errors: list[Problem] = field(default_factory=list)
    placeholders: list[Problem] = field(default_factory=list)
    unsourced: list[Problem] = field(default_factory=list)   # facts without a source (also errors)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Item:
    """One YAML mapping with the line numbers of the item and of each key."""

    file: str
    line: int
    data: Any
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


# libyaml when present: the same documents and marks, ten times faster (the console checks on every edit).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _plain(node: yaml.Node) -> Any:
    return yaml.load(yaml.serialize(node, Dumper=_DUMPER), Loader=_LOADER)


def _compose(path: Path, report: Report) -> yaml.Node | None:
    try:
        return yaml.compose(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        report.errors.append(Problem(path.name, mark.line + 1 if mark else 1, f"YAML: {getattr(exc, 'problem', exc)}"))
        return None


def _items(path: Path, key: str, report: Report) -> list[_Item]:
    if not path.exists():
        return []
    root = _compose(path, report)
    if root is None:
        return []
    seq = root
    if isinstance(root, yaml.MappingNode):
        seq = next((v for k, v in root.value if k.value == key), None)
        if seq is None:
            report.errors.append(Problem(path.name, root.start_mark.line + 1, f"missing top-level key `{key}`"))
            return []
    if not isinstance(seq, yaml.SequenceNode):
        report.errors.append(Problem(path.name, seq.start_mark.line + 1, f"`{key}` must be a list"))
        return []
    out = []
    for node in seq.value:
        key_lines = {k.value: k.start_mark.line + 1 for k, _ in node.value} if isinstance(node, yaml.MappingNode) else {}
        out.append(_Item(path.name, node.start_mark.line + 1, _plain(node), key_lines))
    return out


def _walk_placeholders(item: _Item, value: Any, where: str, report: Report) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _walk_placeholders(item, v, f"{where}.{k}" if where else str(k), report)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _walk_placeholders(item, v, f"{where}[{i}]", report)
    elif isinstance(value, str) and PLACEHOLDER in value:
        top = where.split(".")[0].split("[")[0]
        report.placeholders.append(Problem(item.file, item.line_of(top), f"{where}: {value}"))


def check_pack(name_or_path: str | Path) -> Report:
    """Every problem of the pack at once (so county staff fix them in one round)."""
    path = resolve(name_or_path)
    report = Report()
    if not (path / "pack.yaml").exists():
        report.errors.append(Problem(str(path), 0, "not a knowledge pack (no pack.yaml)"))
        return report
    info_root = _compose(path / "pack.yaml", report)
    info = None
    if info_root is not None:
        try:
            info = PackInfo.model_validate(_plain(info_root))
        except ValidationError as exc:
            report.errors.append(Problem("pack.yaml", 1, _short(exc)))
    models: dict[str, list] = {}
    raw: dict[str, list[_Item]] = {}
    for fname, (key, model) in PACK_FILES.items():
        items = _items(path / fname, key, report)
        raw[key] = items
        models[key] = []
        for it in items:
            try:
                obj = model.model_validate(it.data)
            except ValidationError as exc:
                report.errors.append(Problem(fname, it.line, _short(exc)))
                continue
            models[key].append((it, obj))
            # Placeholders in explicit fields; schema defaults (address/phone/hours) are counted too.
            _walk_placeholders(it, obj.model_dump(mode="json"), "", report)
    intents_file = path / "intents.yaml"
    if intents_file.exists():
        root = _compose(intents_file, report)
        if isinstance(root, yaml.MappingNode):
            for k, v in root.value:
                try:
                    IntentExamples.model_validate(_plain(v) or {})
                except ValidationError as exc:
                    report.errors.append(Problem("intents.yaml", k.start_mark.line + 1, f"{k.value}: {_short(exc)}"))
    _cross_check(models, info, report)
    if info is not None:
        _check_clauses(path, info, [c for _, c in models["clauses"]], report)
    if info is not None and info_root is not None:
        _check_offers(path, info, info_root, report)
    return report


def _check_clauses(path: Path, info: PackInfo, clauses: list, report: Report) -> None:
    """Every document is in clauses.yaml (policy answers quote it), and, where the seed file is at hand, as the
    document says it today."""
    from knowledge.clauses import build
    from knowledge.coverage import seeds_dir

    docs = {d.id for d in info.documents}
    for clause in clauses:
        if clause.doc not in docs:
            report.errors.append(Problem("clauses.yaml", 1, f"{clause.section}: unknown source document `{clause.doc}`"))
    held = {c.doc for c in clauses}
    for doc in info.documents:
        if doc.id not in held:
            report.errors.append(Problem("clauses.yaml", 1, f"document {doc.id} has no clauses: run `nongbot knowledge "
                                                            f"clauses {info.name}`"))
    seeds = seeds_dir()
    if seeds.is_dir() and all((seeds / d.file).exists() for d in info.documents) and clauses:
        fresh = build(type("Docs", (), {"info": info})(), seeds)
        if fresh != [c.model_dump(mode="json") for c in clauses]:
            report.errors.append(Problem("clauses.yaml", 1, "not what the seed document says: run `nongbot knowledge "
                                                            f"clauses {info.name}`"))


def _key_line(root: yaml.Node, key: str) -> int:
    if isinstance(root, yaml.MappingNode):
        for k, _ in root.value:
            if k.value == key:
                return k.start_mark.line + 1
    return 1


def _check_offers(path: Path, info: PackInfo, info_root: yaml.Node, report: Report) -> None:
    """Every intent the pack offers can be served from its data (forms' crops, services, roles, products …)."""
    from knowledge.loader import PackError, read_pack
    from knowledge.needs import INTENTS, unmet

    line = _key_line(info_root, "offers")
    for intent in info.offers:
        if intent not in INTENTS:
            report.errors.append(Problem("pack.yaml", line, f"offers unknown intent `{intent}`"))
    if info.join is not None and info.join.source is None:
        report.unsourced.append(Problem("pack.yaml", _key_line(info_root, "join"), f"join {info.join.name}: fact without `source`"))
        report.errors.append(report.unsourced[-1])
    # Judged also next to other errors (an unknown service, a missing default center): the county learns in one
    # round that the form cannot be served. Only a pack that does not load at all cannot be judged yet.
    had_errors = bool(report.errors)
    try:
        pack = read_pack(path)
    except (PackError, ValidationError, ValueError, TypeError) as exc:
        if not had_errors:
            report.errors.append(Problem("pack.yaml", 1, str(exc)))
        return
    for intent in info.offers:
        for need in unmet(pack, intent):
            report.errors.append(Problem("pack.yaml", line, f"offers {intent}, but {need.file}: {need.what}"))


def _short(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())


def _duplicates(pairs, what: str, fname: str, report: Report) -> None:
    seen: dict[str, int] = {}
    for it, key in pairs:
        if key in seen:
            report.errors.append(Problem(fname, it.line, f"duplicate {what} `{key}` (first at line {seen[key]})"))
        else:
            seen[key] = it.line


def _cross_check(m: dict[str, list], info: PackInfo | None, report: Report) -> None:
    townships = m["townships"]
    # Multi-county packs (聊城) key townships by county + name; single-county packs by name.
    _duplicates([(it, f"{t.county or ''}/{t.name}") for it, t in townships], "township", "townships.yaml", report)
    known_t = {t.name for _, t in townships}
    every = [*m["services"], *m["functions"]]
    services = {s.name for _, s in every} | {a for _, s in every for a in s.aliases}
    _duplicates([(it, s.name) for it, s in every], "service", "services.yaml/functions.yaml", report)
    _duplicates([(it, c.code) for it, c in m["centers"]], "center code", "centers.yaml", report)
    _duplicates([(it, f.id) for it, f in m["faq"]], "faq id", "faq.yaml", report)
    _duplicates([(it, n.name) for it, n in m["nonghelian"]], "农合联", "organizations.yaml", report)
    covered: dict[str, tuple[str, int]] = {}
    township_level = [(it, n) for it, n in m["nonghelian"] if n.level == "township"]
    for it, n in township_level:
        for t in n.townships:
            line = it.line_of("townships")
            if t not in known_t:
                report.errors.append(Problem("organizations.yaml", line, f"{n.name}: unknown township `{t}`"))
            elif t in covered:
                report.errors.append(Problem("organizations.yaml", line,
                                             f"township `{t}` covered twice: {covered[t][0]} (line {covered[t][1]}) and {n.name}"))
            else:
                covered[t] = (n.name, line)
        if n.industry:
            report.errors.append(Problem("organizations.yaml", it.line, f"{n.name}: a township 农合联 has no industry"))
    if township_level:
        for it, t in townships:
            if t.name not in covered:
                report.errors.append(Problem("townships.yaml", it.line, f"township `{t.name}` is covered by no township 农合联"))
    for it, n in m["nonghelian"]:
        if n.level == "industry" and not n.industry:
            report.errors.append(Problem("organizations.yaml", it.line, f"{n.name}: industry 农合联 needs `industry`"))
    for it, c in m["centers"]:
        if c.planned_count is not None and c.status != "planned":
            report.errors.append(Problem("centers.yaml", it.line_of("planned_count"),
                                         f"center {c.code}: planned_count {c.planned_count} is a plan, not places "
                                         f"(status must be `planned`)"))
        if c.township is not None and c.township not in known_t:
            report.errors.append(Problem("centers.yaml", it.line_of("township"), f"center {c.code}: unknown township `{c.township}`"))
        for s in c.services:
            if s not in services:
                report.errors.append(Problem("centers.yaml", it.line_of("services"), f"center {c.code}: unknown service `{s}`"))
    crops = {c.name for _, c in m["crops"]}
    for it, s in m["services"]:
        for crop in s.crops:
            if crops and crop not in crops:
                report.errors.append(Problem("services.yaml", it.line_of("crops"), f"service {s.name}: unknown crop `{crop}`"))
    for fname, key in (("faq.yaml", "faq"), ("services.yaml", "services"), ("functions.yaml", "functions"), ("loans.yaml", "loan_products"),
                       ("organizations.yaml", "nonghelian"), ("centers.yaml", "centers"), ("targets.yaml", "targets"),
                       ("bookkeeping.yaml", "bookkeeping_packages"), ("institutions.yaml", "institutions"),
                       ("programmes.yaml", "programmes")):
        docs = {d.id for d in info.documents} if info else set()
        for it, obj in m[key]:
            src = getattr(obj, "source", None)
            if src is None:
                report.unsourced.append(Problem(fname, it.line, f"{_label(obj)}: fact without `source`"))
                report.errors.append(report.unsourced[-1])
            elif docs and src.doc not in docs:
                report.errors.append(Problem(fname, it.line_of("source"), f"{_label(obj)}: unknown source document `{src.doc}`"))
    if info and info.default_center and info.default_center not in {c.code for _, c in m["centers"]}:
        report.errors.append(Problem("pack.yaml", 1, f"default_center `{info.default_center}` is not a center code"))


def _label(obj: Any) -> str:
    return str(getattr(obj, "name", None) or getattr(obj, "id", None) or getattr(obj, "indicator", None) or obj)
