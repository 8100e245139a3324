"""A learned second stage: a linear model over character n-grams and pinyin syllables, pure Python at run time.

The rules (intents.matcher) answer first. Where they are unsure (see `unsure`), the model's label probabilities
decide or re-rank (see `combine`). The model is trained offline by `nongbot nlu train` (intents.learned_train,
scikit-learn, a dev dependency only) and shipped as intents/data/learned_model.json.gz: a feature → quantized
weight-row table. Loading it needs neither numpy nor scikit-learn, and nothing is downloaded.
"""
from __future__ import annotations

import gzip
import json
import math
import os
import re
import warnings
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from intents.pinyin import Syllables, syllables

MODEL_PATH = Path(__file__).resolve().parent / "data" / "learned_model.json.gz"
# bump when `features` changes: a model trained with other features is refused
FEATURE_VERSION = 3

_BOUNDARY = "|"


def enabled_by_default() -> bool:
    """NONGBOT_NLU_LEARNED=0 (or false/no/off) turns the stage off; on otherwise (bot.settings.Settings.nlu_learned)."""
    return os.environ.get("NONGBOT_NLU_LEARNED", "1").strip().lower() not in ("0", "false", "no", "off")


def features(text: str, sounds: Syllables | None = None) -> list[str]:
    """Features of a normalized text (Understanding.normalize's form, clauses split by '|').

    Character 1–3-grams of the whole message, character 2-grams of its last clause (where a long story puts
    its ask), and folded pinyin syllables and syllable pairs of the characters and of typed pinyin (`sounds`:
    the text's Normalized.syllables when the caller has them), so a voice homophone or a message typed in
    pinyin shares the word's sound."""
    t = text.strip(_BOUNDARY)
    if not t:
        return []
    s = _BOUNDARY + t + _BOUNDARY
    out = []
    n = len(s)
    for i in range(n):
        c = s[i]
        if c != _BOUNDARY:
            out.append(c)
        if i + 2 <= n:
            out.append(s[i:i + 2])
        if i + 3 <= n:
            out.append(s[i:i + 3])
    clauses = [c for c in t.split(_BOUNDARY) if len(c) >= 2]
    if len(clauses) >= 2:
        last = clauses[-1]
        out.extend("L" + last[i:i + 2] for i in range(len(last) - 1))
    sounds = sounds if sounds is not None else syllables(text)
    prev, prev_end = None, -1
    for syl, (start, end) in zip(sounds.tokens, sounds.spans):
        if syl[0].isdigit():
            prev = None
            continue
        out.append("p" + syl)
        if prev is not None and start == prev_end:
            out.append("p" + prev + "_" + syl)
        prev, prev_end = syl, end
    if len(t) >= 40:
        out.append("#long")
    return out


def feature_norm(fs: list[str], counts: dict[str, int] | None = None) -> float:
    """Euclidean length of a message's feature-count vector (every feature, known to the model or not)."""
    if counts is None:
        counts = Counter(fs)
    return math.sqrt(sum(n * n for n in counts.values())) or 1.0


@dataclass
class LearnedModel:
    labels: list[str]
    weights: dict[str, list[int]]
    bias: list[int]
    scale: float
    meta: dict[str, Any]

    @classmethod
    def load(cls, path: Path | str = MODEL_PATH) -> "LearnedModel":
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            raw = json.load(fh)
        if raw.get("feature_version") != FEATURE_VERSION:
            raise ValueError(f"{path}: feature version {raw.get('feature_version')} != {FEATURE_VERSION}; "
                             f"run `nongbot nlu train`")
        return cls(raw["labels"], raw["weights"], raw["bias"], raw["scale"], raw.get("meta", {}))

    def scores(self, text: str, sounds: Syllables | None = None) -> list[float]:
        fs = features(text, sounds)
        w = self.weights
        # every known feature's row, once per occurrence; the columns are summed in C (zip/sum)
        rows = [row for row in map(w.get, fs) if row is not None]
        norm = feature_norm(fs)
        if not rows:
            return [b * self.scale for b in self.bias]
        return [(b + total / norm) * self.scale for b, total in zip(self.bias, map(sum, zip(*rows)))]

    def probabilities(self, text: str, sounds: Syllables | None = None) -> dict[str, float]:
        sc = self.scores(text, sounds)
        top = max(sc)
        ex = [math.exp(s - top) for s in sc]
        total = sum(ex)
        return {label: e / total for label, e in zip(self.labels, ex)}


@lru_cache(maxsize=2)
def load_model(path: str = str(MODEL_PATH)) -> LearnedModel | None:
    """The shipped model, loaded once per process; None when the file is missing (the rules answer alone)."""
    if not Path(path).exists():
        return None
    try:
        return LearnedModel.load(path)
    except ValueError as exc:     # trained for other features: the rules answer alone until it is retrained
        warnings.warn(str(exc), stacklevel=2)
        return None


# ---- when the rules are unsure, and what the stage does there -------------------------------------------------

# The rules' answer is taken as it is when it is at least this confident, rests on its own words, and leads the
# runner-up by at least MARGIN; a long message (LONG_CHARS normalized characters or MANY_CLAUSES clauses) needs
# LONG_SURE. Chosen on out-of-fold predictions of the dev files (3 folds, bench/nlu_learned_eval.py --oof).
SURE_CONFIDENCE = 0.4
MARGIN = 0.1
LONG_CHARS = 40
MANY_CLAUSES = 3
LONG_SURE = 0.6
# the stage's answer replaces the rules' when it is this probable and the rules' own answer has at most
# KEEP probability under the model
OVERRIDE = 0.8
KEEP = 0.1
# out_of_scope: a message the model reads as out of scope with this probability is not acted on
OOS_SURE = 0.9
# an out-of-scope answer of the rules stays for a message shorter than this (normalized characters)
MIN_CHARS = 5

# Out of scope with confidence: an in-scope answer the rules give with less than VETO_CONFIDENCE, or one of a
# message that gives a contact (an advert's 加微信 / 电话 / 扫码), is checked by the model; where it reads the
# message as out of scope with VETO_OOS (VETO_OOS_CONTACT with a contact), the answer is out_of_scope.
VETO_CONFIDENCE = 0.7
VETO_OOS = 0.8
VETO_OOS_CONTACT = 0.75
CONTACT = re.compile(r"微信|薇|威信|vx|v信|加v|qq|扣扣|电联|热线|详询|咨询电话|联系|扫码|二维码|链接|http|www|[0-9]{7,}")

COURTESY = ("greeting", "thanks_bye")


def oos_check(intent: str, confidence: float, text: str) -> str:
    """Why an answer the rules are sure enough of is still checked for being out of scope ('' when not)."""
    if intent == "out_of_scope" or intent in COURTESY:
        return ""
    if CONTACT.search(text):
        return "contact"
    if confidence < VETO_CONFIDENCE:
        return "out-of-scope check"
    return ""


def unsure(intent: str, confidence: float, ranking: list[tuple[str, float]], evidence: bool, text: str,
           decided: bool = False) -> str:
    """Why the rules are unsure of this answer ('' when they are sure). `text` is the normalized text; `decided`:
    a decisive word or construction of the answer's own decided a clause (negation, a person asked for, a
    complaint, progress …): the rules are sure by construction."""
    if decided:
        return ""
    if not evidence and intent != "out_of_scope":
        return "no own evidence"
    if confidence < SURE_CONFIDENCE:
        return "low confidence"
    second = ranking[1][1] if len(ranking) > 1 else 0.0
    if confidence - second < MARGIN:
        return "small margin"
    clauses = text.strip(_BOUNDARY).count(_BOUNDARY) + 1
    if confidence < LONG_SURE and (len(text) >= LONG_CHARS or clauses >= MANY_CLAUSES):
        return "long"
    return ""


@dataclass
class Decision:
    intent: str
    confidence: float
    ranking: list[tuple[str, float]]
    evidence: bool
    reason: str
    probabilities: dict[str, float]


def combine(intent: str, confidence: float, ranking: list[tuple[str, float]], evidence: bool,
            probs: dict[str, float], reason: str, text: str = "") -> Decision:
    """The rules' answer re-read with the model's probabilities. The rules keep their answer unless the model is
    clear against it; an out-of-scope reading by the model is never turned into an actionable request."""
    rules = dict(ranking)
    mixed = {name: 0.5 * rules.get(name, 0.0) + 0.5 * p for name, p in probs.items()}
    best = max(probs, key=lambda k: probs[k])
    p_best, p_rule = probs[best], probs.get(intent, 0.0)
    new_intent, new_evidence = intent, evidence
    if reason in ("contact", "out-of-scope check"):
        # only an out-of-scope reading may change an answer the rules are sure enough of
        if probs.get("out_of_scope", 0.0) >= (VETO_OOS_CONTACT if reason == "contact" else VETO_OOS):
            new_intent, new_evidence = "out_of_scope", True
        else:
            return Decision(intent, confidence, ranking, evidence, reason, probs)
    elif intent == "out_of_scope" and (CONTACT.search(text) or len(text.replace(_BOUNDARY, "")) < MIN_CHARS):
        # an out-of-scope answer is never turned into a request for a message with a contact in it (an advert)
        # nor for a word or two (服务, 你好吗): too little text for character n-grams to go on
        return Decision(intent, confidence, ranking, evidence, reason, probs)
    elif best != intent and p_best >= OVERRIDE and p_rule <= KEEP:
        new_intent = best
        # a request the rules found no word of is acted on only when the model is sure of it
        new_evidence = best == "out_of_scope" or any(n == best for n, c in ranking[:2] if c > 0.05) \
            or p_best >= 0.9
    elif intent != "out_of_scope" and probs.get("out_of_scope", 0.0) >= OOS_SURE:
        new_intent, new_evidence = "out_of_scope", True
    if new_intent == intent:
        # the rules' answer stands as they gave it (confidence and ranking): the dialog acts on it as before
        return Decision(intent, confidence, ranking, evidence, reason, probs)
    # the new answer leads the ranking; its confidence is what the two readings together give it
    ranked = sorted(mixed.items(), key=lambda kv: -kv[1])
    ranked = [(new_intent, max(mixed[new_intent], ranked[0][1]))] + [kv for kv in ranked if kv[0] != new_intent]
    return Decision(new_intent, ranked[0][1], [(n, c) for n, c in ranked if c > 0.0005][:len(ranking) or 5],
                    new_evidence, reason, probs)
