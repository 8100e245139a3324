"""Evaluation like `rasa test nlu`: intent P/R/F1, accuracy, macro-F1, slot P/R/F1, noise kinds, confusions."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable

from intents.catalogue import INTENTS


@dataclass
class Report:
    total: int = 0
    correct: int = 0
    per_intent: dict[str, dict[str, float]] = field(default_factory=dict)
    macro_f1: float = 0.0
    per_slot: dict[str, dict[str, float]] = field(default_factory=dict)
    slot_f1: float = 0.0
    per_noise: dict[str, tuple[int, int]] = field(default_factory=dict)     # kind -> (correct, total)
    per_style: dict[str, tuple[int, int]] = field(default_factory=dict)     # row's style (else noise) -> (correct, total)
    per_county: dict[str, tuple[int, int]] = field(default_factory=dict)    # row's pack/county -> (correct, total)
    # row's pack/county -> (messages read as out_of_scope that are, messages read as out_of_scope)
    out_of_scope_by_county: dict[str, tuple[int, int]] = field(default_factory=dict)
    confusions: list[tuple[str, str, int, list[str]]] = field(default_factory=list)
    slot_errors: list[str] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(float(a) - float(b)) < 1e-6
    return a == b


def evaluate(nlu, rows: Iterable[dict], today: date | None = None, nlu_for=None) -> Report:
    """Slots are scored over the slot names the set labels somewhere: a set written before a slot existed
    (product, credit_code, county) does not count that slot's answers as false alarms.
    nlu_for(pack_name): the Understanding of a row that names its own `pack` or `county` (a five-county set)."""
    rows = list(rows)
    labelled = {slot for row in rows for slot in (row.get("slots") or {})}
    rep = Report()
    tp, fp, fn = Counter(), Counter(), Counter()
    stp, sfp, sfn = Counter(), Counter(), Counter()
    confusion: dict[tuple[str, str], list[str]] = defaultdict(list)
    noise: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    style: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    county: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    oos: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        row_today = date.fromisoformat(row["today"]) if row.get("today") else today
        row_pack = row.get("pack") or row.get("county")
        parser = nlu_for(row_pack) if nlu_for is not None and row_pack else nlu
        parse = parser.parse(row["text"], today=row_today)
        gold, got = row["intent"], parse.intent
        rep.total += 1
        kind = row.get("noise", "clean")
        noise[kind][1] += 1
        styles = row.get("style") or kind
        styles = [styles] if isinstance(styles, str) else list(styles)
        for st in styles:
            style[st][1] += 1
        where = row_pack or "-"
        county[where][1] += 1
        county[where][0] += gold == got
        if got == "out_of_scope":
            oos[where][1] += 1
            oos[where][0] += gold == got
        if gold == got:
            rep.correct += 1
            tp[gold] += 1
            noise[kind][0] += 1
            for st in styles:
                style[st][0] += 1
        else:
            fp[got] += 1
            fn[gold] += 1
            confusion[(gold, got)].append(row["text"])
        gold_slots = row.get("slots", {}) or {}
        for slot in set(gold_slots) | (set(parse.slots) & labelled):
            if slot in gold_slots and slot in parse.slots and _same(gold_slots[slot], parse.slots[slot]):
                stp[slot] += 1
                continue
            if slot in parse.slots:
                sfp[slot] += 1
            if slot in gold_slots:
                sfn[slot] += 1
            rep.slot_errors.append(f"{row['text']}: {slot} gold={gold_slots.get(slot)!r} got={parse.slots.get(slot)!r}")
    for name in INTENTS:
        if tp[name] + fp[name] + fn[name]:
            p, r, f = _prf(tp[name], fp[name], fn[name])
            rep.per_intent[name] = {"precision": p, "recall": r, "f1": f, "support": tp[name] + fn[name]}
    rep.macro_f1 = sum(v["f1"] for v in rep.per_intent.values()) / max(1, len(rep.per_intent))
    for slot in sorted(set(stp) | set(sfp) | set(sfn)):
        p, r, f = _prf(stp[slot], sfp[slot], sfn[slot])
        rep.per_slot[slot] = {"precision": p, "recall": r, "f1": f, "support": stp[slot] + sfn[slot]}
    rep.slot_f1 = _prf(sum(stp.values()), sum(sfp.values()), sum(sfn.values()))[2]
    rep.per_noise = {k: (v[0], v[1]) for k, v in sorted(noise.items())}
    rep.per_style = {k: (v[0], v[1]) for k, v in sorted(style.items())}
    rep.per_county = {k: (v[0], v[1]) for k, v in sorted(county.items())}
    rep.out_of_scope_by_county = {k: (v[0], v[1]) for k, v in sorted(oos.items())}
    rep.confusions = sorted(((g, o, len(ex), ex[:3]) for (g, o), ex in confusion.items()), key=lambda c: -c[2])
    return rep


def format_report(rep: Report, top: int | None = None) -> str:
    """top: how many confusion pairs to list (all when None)."""
    lines = [f"{'intent':22} {'prec':>6} {'recall':>6} {'f1':>6} {'n':>5}"]
    for name, m in rep.per_intent.items():
        lines.append(f"{name:22} {m['precision']:6.3f} {m['recall']:6.3f} {m['f1']:6.3f} {int(m['support']):5d}")
    lines += ["", f"accuracy {rep.accuracy:.4f} ({rep.correct}/{rep.total})   macro-F1 {rep.macro_f1:.4f}", "",
              f"{'slot':22} {'prec':>6} {'recall':>6} {'f1':>6} {'n':>5}"]
    for slot, m in rep.per_slot.items():
        lines.append(f"{slot:22} {m['precision']:6.3f} {m['recall']:6.3f} {m['f1']:6.3f} {int(m['support']):5d}")
    lines += [f"slot micro-F1 {rep.slot_f1:.4f}", "", "accuracy by noise kind:"]
    for kind, (ok, n) in rep.per_noise.items():
        lines.append(f"  {kind:10} {ok / n:.4f} ({ok}/{n})")
    if rep.per_style != rep.per_noise:
        lines += ["", "accuracy by style (the row's `style`, else its `noise`):"]
        for kind, (ok, n) in sorted(rep.per_style.items(), key=lambda kv: kv[1][0] / kv[1][1]):
            lines.append(f"  {kind:14} {ok / n:.4f} ({ok}/{n})")
    if len(rep.per_county) > 1:
        lines += ["", "accuracy by county (the row's `pack`/`county`), out_of_scope precision:"]
        for where, (ok, n) in rep.per_county.items():
            o_ok, o_n = rep.out_of_scope_by_county.get(where, (0, 0))
            oos = f"{o_ok / o_n:.2f} ({o_ok}/{o_n})" if o_n else "-"
            lines.append(f"  {where:14} {ok / n:.4f} ({ok}/{n})   out_of_scope P {oos}")
    if rep.confusions:
        shown = rep.confusions if top is None else rep.confusions[:top]
        lines += ["", f"confusion pairs (gold -> predicted){'' if top is None else f', top {top}'}:"]
        for gold, got, n, examples in shown:
            lines.append(f"  {gold} -> {got}: {n}" + (f"   e.g. {' | '.join(examples)}" if examples else ""))
    return "\n".join(lines)
