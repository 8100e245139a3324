"""`nongbot nlu …`: parse messages and evaluate the understanding layer on a labelled JSONL file."""
from __future__ import annotations

import json
import os
import sys
from datetime import date
from functools import lru_cache

import click

from intents.evaluate import evaluate, format_report
from intents.understanding import Understanding


@lru_cache(maxsize=8)   # five counties and the default
def load_understanding(pack_name: str | None) -> Understanding:
    name = pack_name or os.environ.get("NONGBOT_KNOWLEDGE") or "zhongxian"
    try:
        from knowledge import load_pack
    except ImportError:
        click.echo("knowledge.load_pack unavailable: running without a pack", err=True)
        return Understanding.from_pack(None)
    return Understanding.from_pack(load_pack(name))


def _today(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


@click.group("nlu")
def nlu() -> None:
    """Understanding layer: parse text, evaluate on a labelled set."""


@nlu.command("parse")
@click.argument("text", required=False)
@click.option("--jsonl", "jsonl", type=click.File("r", encoding="utf-8"), help="lines {\"text\": ...}; one answer per line")
@click.option("--explain", is_flag=True, help="show the phrase/keyword/pinyin evidence")
@click.option("--today", help="YYYY-MM-DD for relative dates (default: today)")
@click.option("--pack", help="knowledge pack name or path (default: $NONGBOT_KNOWLEDGE or zhongxian)")
def parse_cmd(text: str | None, jsonl, explain: bool, today: str | None, pack: str | None) -> None:
    """Print the CONTRACT JSON answer for TEXT (or for every line of --jsonl)."""
    nlu_ = load_understanding(pack)
    day = _today(today) or date.today()
    if jsonl is not None:
        for line in jsonl:
            if line.strip():
                answer = nlu_.parse(json.loads(line)["text"], today=day, explain=explain).to_dict()
                click.echo(json.dumps(answer, ensure_ascii=False))
        return
    if text is None:
        raise click.UsageError("give TEXT or --jsonl FILE")
    click.echo(json.dumps(nlu_.parse(text, today=day, explain=explain).to_dict(), ensure_ascii=False))


@nlu.command("eval")
@click.argument("path", type=click.File("r", encoding="utf-8"))
@click.option("--min-accuracy", type=float, help="exit non-zero when intent accuracy is below this")
@click.option("--today", help="YYYY-MM-DD the labelled dates are relative to (rows may carry their own 'today')")
@click.option("--pack", help="knowledge pack name or path")
@click.option("--slot-errors", is_flag=True, help="also list the slot mistakes")
@click.option("--top", type=int, default=None, help="list only the N most frequent confusion pairs")
@click.option("--no-examples", is_flag=True, help="confusion pairs without example messages (for a blind set)")
def eval_cmd(path, min_accuracy: float | None, today: str | None, pack: str | None, slot_errors: bool,
             top: int | None, no_examples: bool) -> None:
    """Per-intent P/R/F1, accuracy, macro-F1, slot P/R/F1, accuracy per noise kind and per style
    (a row's `style` field, else its `noise`), the confusion pairs."""
    rows = [json.loads(line) for line in path if line.strip()]
    # a row may name its own pack (a set over several counties); --pack is the default for the others
    rep = evaluate(load_understanding(pack), rows, today=_today(today) or date.today(), nlu_for=load_understanding)
    if no_examples:
        rep.confusions = [(g, o, n, []) for g, o, n, _ in rep.confusions]
        rep.slot_errors = []
    click.echo(format_report(rep, top=top))
    built = list({id(u): u for u in [load_understanding(pack), *(load_understanding(p) for p in sorted(
        {r.get("pack") or r.get("county") for r in rows} - {None}))]}.values())
    reached = sum(u.learned_stats["reached"] for u in built)
    parsed = sum(u.learned_stats["parsed"] for u in built) or 1
    changed = sum(u.learned_stats["changed"] for u in built)
    click.echo(f"\nlearned stage: {'off' if built[0].learned is None else 'on'}; reached by {reached} of {parsed} "
               f"parses ({reached / parsed:.1%}), answer changed {changed}")
    if slot_errors:
        click.echo("\nslot errors:\n" + "\n".join("  " + e for e in rep.slot_errors))
    if min_accuracy is not None and rep.accuracy < min_accuracy:
        click.echo(f"accuracy {rep.accuracy:.4f} is below --min-accuracy {min_accuracy}", err=True)
        sys.exit(1)


@nlu.command("train")
@click.option("--out", type=click.Path(dir_okay=False), help="model file (default: intents/data/learned_model.json.gz)")
@click.option("--check", is_flag=True, help="only tell whether the committed model was trained on today's data")
def train_cmd(out: str | None, check: bool) -> None:
    """Train the learned second stage (needs scikit-learn, a dev dependency) on the dev files and the generated
    corpus, and write the model file. nlu_test / nlu_holdout / nlu_r1_five_counties are never read."""
    from intents import learned, learned_train

    if check:
        model = learned.load_model()
        want = learned_train.data_hash(learned_train.corpus())
        have = model.meta.get("data_hash") if model else None
        click.echo(f"model data hash {have}\ncorpus data hash {want}")
        if have != want:
            click.echo("the model is stale: run `nongbot nlu train`", err=True)
            sys.exit(1)
        return
    meta = learned_train.train(out or learned.MODEL_PATH)
    click.echo(json.dumps(meta, ensure_ascii=False))
