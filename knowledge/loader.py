"""Load a knowledge pack folder of YAML files into typed, cached Pack objects."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from knowledge.schema import (
    BookkeepingPackage, County, Crop, DocumentClause, FaqEntry, Institution, IntentExamples, LoanProduct, Nonghelian, PackInfo,
    Programme, Service, ServiceCenter, Target, Township,
)

PACKS_DIR = Path(__file__).resolve().parent / "packs"

# file name -> (top-level key, model) — a pack is these files; a missing file is an empty list.
PACK_FILES: dict[str, tuple[str, type]] = {
    "townships.yaml": ("townships", Township),
    "counties.yaml": ("counties", County),
    "institutions.yaml": ("institutions", Institution),
    "programmes.yaml": ("programmes", Programme),
    "organizations.yaml": ("nonghelian", Nonghelian),
    "centers.yaml": ("centers", ServiceCenter),
    "services.yaml": ("services", Service),
    "functions.yaml": ("functions", Service),
    "crops.yaml": ("crops", Crop),
    "bookkeeping.yaml": ("bookkeeping_packages", BookkeepingPackage),
    "loans.yaml": ("loan_products", LoanProduct),
    "faq.yaml": ("faq", FaqEntry),
    "targets.yaml": ("targets", Target),
    "clauses.yaml": ("clauses", DocumentClause),
}


class PackError(ValueError):
    """A pack file that cannot be read or does not fit the schema."""


@dataclass(frozen=True, eq=False)
class Pack:
    info: PackInfo
    path: Path
    townships: list[Township] = field(default_factory=list)
    nonghelian: list[Nonghelian] = field(default_factory=list)
    centers: list[ServiceCenter] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)      # bookable 托管 catalogue (NLU `service` slot)
    functions: list[Service] = field(default_factory=list)     # other things centers do: 代账, 流通, 金融 …
    crops: list[Crop] = field(default_factory=list)
    bookkeeping_packages: list[BookkeepingPackage] = field(default_factory=list)
    loan_products: list[LoanProduct] = field(default_factory=list)
    faq: list[FaqEntry] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    intents: dict[str, IntentExamples] = field(default_factory=dict)
    counties: list[County] = field(default_factory=list)       # multi-county packs (聊城)
    institutions: list[Institution] = field(default_factory=list)
    programmes: list[Programme] = field(default_factory=list)
    clauses: list[DocumentClause] = field(default_factory=list)  # the documents clause by clause (generated)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_townships", {t.name: t for t in self.townships})
        object.__setattr__(self, "_centers", {c.code: c for c in self.centers})
        object.__setattr__(self, "_services", {s.name: s for s in [*self.functions, *self.services]})

    def township(self, name: str) -> Township | None:
        return self._townships.get(name)  # type: ignore[attr-defined]

    def center(self, code: str) -> ServiceCenter | None:
        return self._centers.get(code)  # type: ignore[attr-defined]

    def service(self, name: str) -> Service | None:
        """A bookable service or a center function, by canonical name or alias."""
        found = self._services.get(name)  # type: ignore[attr-defined]
        if found is None:
            found = next((s for s in [*self.services, *self.functions] if name in s.aliases), None)
        return found


def resolve(name_or_path: str | Path) -> Path:
    """A bare name is knowledge/packs/<name>/; anything else is a folder path."""
    raw = str(name_or_path)
    candidate = Path(raw)
    if "/" not in raw and "\\" not in raw and not candidate.exists():
        candidate = PACKS_DIR / raw
    return candidate.resolve()


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)   # libyaml when present: same result, faster


def read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise PackError(f"{path}{line}: {exc}") from exc


def _items(path: Path, key: str, model: type) -> list:
    if not path.exists():
        return []
    data = read_yaml(path) or {}
    rows = data.get(key, []) if isinstance(data, dict) else data
    out = []
    for i, row in enumerate(rows or []):
        try:
            out.append(model.model_validate(row))
        except Exception as exc:  # pydantic.ValidationError: report the file and item
            raise PackError(f"{path}: {key}[{i}]: {exc}") from exc
    return out


def read_pack(path: Path) -> Pack:
    """Read a pack folder without caching (the checker and importer use this)."""
    if not (path / "pack.yaml").exists():
        raise PackError(f"{path}: not a knowledge pack (no pack.yaml)")
    info = PackInfo.model_validate(read_yaml(path / "pack.yaml"))
    parts = {attr: _items(path / fname, attr, model) for fname, (attr, model) in PACK_FILES.items()}
    intents_file = path / "intents.yaml"
    raw_intents = (read_yaml(intents_file) or {}) if intents_file.exists() else {}
    intents = {label: IntentExamples.model_validate(body or {}) for label, body in raw_intents.items()}
    return Pack(info=info, path=path, intents=intents, **parts)


@lru_cache(maxsize=None)
def _cached(path: Path) -> Pack:
    return read_pack(path)


def load_pack(name_or_path: str | Path) -> Pack:
    """The pack named `zhongxian` (knowledge/packs/zhongxian/) or at a folder path; cached."""
    return _cached(resolve(name_or_path))
