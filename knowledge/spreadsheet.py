"""Update a pack's centers and loan products from a staff spreadsheet (xlsx or csv), with a diff."""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import yaml

from knowledge.schema import LoanProduct, ServiceCenter

_LIST_SPLIT = re.compile(r"[、,，;；|]")

# kind -> (pack file, top-level key, model, key field)
TABLES: dict[str, tuple[str, str, type, str]] = {
    "centers": ("centers.yaml", "centers", ServiceCenter, "code"),
    "loans": ("loans.yaml", "loan_products", LoanProduct, "name"),
}


@dataclass
class Change:
    kind: str
    key: str
    fields: dict[str, tuple[Any, Any]]  # field -> (old, new); old None for a new item
    new: bool = False


@dataclass
class ImportPlan:
    changes: list[Change] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    tables: dict[str, list[dict]] = field(default_factory=dict)   # kind -> full new item list


def read_rows(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Rows by sheet name (a csv is one sheet named after the file)."""
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return {path.stem: list(csv.DictReader(fh))}
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    out: dict[str, list[dict[str, Any]]] = {}
    for sheet in book.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        if not rows:
            continue
        header = [str(h).strip() if h is not None else "" for h in rows[0]]
        out[sheet.title] = [dict(zip(header, r)) for r in rows[1:] if any(v not in (None, "") for v in r)]
    return out


def _kind_of(sheet: str, rows: list[dict]) -> str | None:
    name = sheet.lower()
    if "loan" in name or "贷" in sheet:
        return "loans"
    if "center" in name or "中心" in sheet or "服务社" in sheet:
        return "centers"
    cols = set(rows[0]) if rows else set()
    return "centers" if "code" in cols else "loans" if "bank" in cols else None


def _cell(model: type, fname: str, value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
    annotation = str(model.model_fields[fname].annotation)
    if annotation.startswith("list"):
        return [p.strip() for p in _LIST_SPLIT.split(str(value)) if p.strip()]
    if "float" in annotation and value not in (None, ""):
        try:
            return float(value)
        except (TypeError, ValueError):
            return value
    return value


def plan_import(pack_path: Path, sheets: dict[str, list[dict]], progress: Callable[[Iterable], Iterable] = iter) -> ImportPlan:
    plan = ImportPlan()
    for sheet, rows in sheets.items():
        kind = _kind_of(sheet, rows)
        if kind is None:
            plan.errors.append(f"{sheet}: cannot tell whether rows are centers or loans (name the sheet centers/loans)")
            continue
        fname, key, model, id_field = TABLES[kind]
        if kind not in plan.tables:
            data = yaml.safe_load((pack_path / fname).read_text(encoding="utf-8")) if (pack_path / fname).exists() else {}
            plan.tables[kind] = list((data or {}).get(key, []))
        items = plan.tables[kind]
        index = {str(it.get(id_field)): i for i, it in enumerate(items)}
        for n, row in enumerate(progress(rows), start=2):
            update = {k: _cell(model, k, v) for k, v in row.items() if k in model.model_fields and v not in (None, "")}
            ident = str(update.get(id_field, "")).strip()
            if not ident:
                plan.errors.append(f"{sheet} row {n}: no `{id_field}`")
                continue
            old = dict(items[index[ident]]) if ident in index else {}
            merged = {**old, **update}
            try:
                model.model_validate(merged)
            except Exception as exc:  # pydantic.ValidationError: report the row, import the rest
                plan.errors.append(f"{sheet} row {n}: {exc}")
                continue
            # Compare with the old item as the schema sees it, so an absent phone reads as 待补充.
            seen = model.model_validate(old).model_dump(mode="json") if old else {}
            diff = {k: (seen.get(k), v) for k, v in update.items() if seen.get(k) != v}
            if diff:
                plan.changes.append(Change(kind, ident, diff, new=not old))
                if ident in index:
                    items[index[ident]] = merged
                else:
                    index[ident] = len(items)
                    items.append(merged)
    return plan


def write_plan(pack_path: Path, plan: ImportPlan) -> list[Path]:
    written = []
    for kind, items in plan.tables.items():
        if not any(c.kind == kind for c in plan.changes):
            continue
        fname, key, _, _ = TABLES[kind]
        target = pack_path / fname
        head = "".join(line for line in target.read_text(encoding="utf-8").splitlines(True)
                       if line.startswith("#")) if target.exists() else ""
        target.write_text(head + yaml.safe_dump({key: items}, allow_unicode=True, sort_keys=False, width=200),
                          encoding="utf-8")
        written.append(target)
    return written
