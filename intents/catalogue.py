"""The intent catalogue as data: base phrases/keywords merged with a pack's county phrases."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import yaml

DATA = Path(__file__).parent / "data"
INTENTS = ("join_nonghelian", "book_tuoguan", "loan_products", "bookkeeping", "find_service_center",
           "human_agent", "check_status", "policy_faq", "supplies", "sell_produce", "greeting",
           "thanks_bye", "out_of_scope")
COURTESY = frozenset({"greeting", "thanks_bye"})
WEIGHTS = {"strong": 2.0, "keywords": 1.0, "weak": 0.45}


@dataclass
class IntentEntry:
    phrases: list[str] = field(default_factory=list)
    keywords: dict[str, float] = field(default_factory=dict)   # keyword -> weight
    # words that are evidence for this label *inside* a negation: 不想跟机器人说 → human_agent
    when_negated: dict[str, float] = field(default_factory=dict)
    # regular expressions over the normalized text, weight 1: 把稻谷收了 / 把田犁了 name no service noun
    patterns: list[str] = field(default_factory=list)
    # words that decide their clause whatever the topic (INTENTS.md rules 5, 6: 税收减免, 是不是强制)
    decisive: set[str] = field(default_factory=set)


@lru_cache(maxsize=4)
def load_yaml(name: str) -> Any:
    with open(DATA / name, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _merge_entry(entry: IntentEntry, raw: Mapping[str, Any]) -> None:
    for p in raw.get("phrases", []) or []:
        if p not in entry.phrases:
            entry.phrases.append(p)
    for kind, weight in WEIGHTS.items():
        for kw in raw.get(kind, []) or []:
            entry.keywords[str(kw)] = max(entry.keywords.get(str(kw), 0.0), weight)
    for kw in raw.get("when_negated", []) or []:
        entry.when_negated[str(kw)] = WEIGHTS["strong"]
    for kw in raw.get("decisive", []) or []:
        entry.decisive.add(str(kw))
        entry.keywords[str(kw)] = max(entry.keywords.get(str(kw), 0.0), WEIGHTS["strong"])
    for pattern in raw.get("patterns", []) or []:
        if pattern not in entry.patterns:
            entry.patterns.append(str(pattern))
    for pattern in raw.get("decisive_patterns", []) or []:
        if pattern not in entry.patterns:
            entry.patterns.append(str(pattern))
        entry.decisive.add(str(pattern))


def build_catalogue(pack_intents: Mapping[str, Any] | None = None,
                    extra_phrases: Mapping[str, list[str]] | None = None) -> dict[str, IntentEntry]:
    """Base catalogue + the pack's intents (IntentExamples objects or plain dicts)."""
    catalogue = {name: IntentEntry() for name in INTENTS}
    for name, raw in (load_yaml("intents.yaml") or {}).items():
        _merge_entry(catalogue[name], raw)
    for name, examples in (pack_intents or {}).items():
        if name not in catalogue:
            raise ValueError(f"unknown intent label in pack catalogue: {name}")
        raw = examples if isinstance(examples, Mapping) else {
            "phrases": list(getattr(examples, "phrases", []) or []),
            "keywords": list(getattr(examples, "keywords", []) or []),
        }
        _merge_entry(catalogue[name], raw)
    for name, phrases in (extra_phrases or {}).items():
        _merge_entry(catalogue[name], {"phrases": phrases})
    return catalogue
