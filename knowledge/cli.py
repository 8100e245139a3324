"""`nongbot knowledge …`: check, route, import and show county knowledge packs."""
from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path

import click

from knowledge.loader import load_pack, resolve


def _default_pack() -> str:
    return os.environ.get("NONGBOT_KNOWLEDGE") or "zhongxian"


@click.group(name="knowledge")
def knowledge() -> None:
    """County knowledge packs (townships, 农合联, centers, services, loans, FAQ, targets)."""


@knowledge.command("check")
@click.argument("pack", required=False)
@click.option("--quiet", is_flag=True, help="Only errors and the placeholder count.")
@click.option("--sources", is_flag=True, help="List every fact without a source.")
@click.option("--coverage", is_flag=True, help="Clause by clause, which parts of the document no FAQ entry cites.")
@click.option("--seeds", type=click.Path(file_okay=False, path_type=Path), help="Folder of the county documents.")
@click.option("--served", is_flag=True,
              help="Check the pack as the bot serves it: the shipped files with the staff's console edits from "
                   "the database (NONGBOT_DATABASE_URL).")
def check_cmd(pack: str | None, quiet: bool, sources: bool, coverage: bool, seeds: Path | None,
              served: bool) -> None:
    """Validate PACK; exit 1 with file:line errors when it is not valid (or cannot serve what it offers)."""
    import tempfile

    from knowledge.check import check_pack

    name = pack or _default_pack()
    with tempfile.TemporaryDirectory(prefix="nongbot-served-") as tmp:
        if served:
            folder, count = _served_folder(name, Path(tmp))
            click.echo(f"as served: the shipped pack with {count} staff edit(s) from the database "
                       f"(files below are the edited pack written out)")
        else:
            folder = name
        _check(name, folder, quiet, sources, coverage, seeds)


def _served_folder(name: str, tmp: Path) -> tuple[Path, int]:
    """The pack the bot serves (shipped YAML + the staff's latest edits) written to a folder under `tmp`."""
    from bot.store.db import make_engine, session_factory, transaction
    from bot.live_pack import latest_edits
    from bot.settings import Settings
    from knowledge.overlay import overlay, write_folder

    from sqlalchemy.exc import SQLAlchemyError

    shipped = load_pack(name)
    engine = make_engine(Settings().database_url)
    try:
        with transaction(session_factory(engine)) as session:
            edits = latest_edits(session, shipped.info.name)
    except SQLAlchemyError as exc:
        click.echo(f"ERROR the staff's edits are unreadable ({type(exc).__name__}: is NONGBOT_DATABASE_URL the "
                   f"deployment's database, upgraded with `nongbot db upgrade`?)", err=True)
        sys.exit(1)
    finally:
        engine.dispose()
    return write_folder(overlay(shipped, edits), tmp / shipped.path.name), len(edits)


def _check(name: str, folder, quiet: bool, sources: bool, coverage: bool, seeds: Path | None) -> None:
    from knowledge.check import check_pack

    report = check_pack(folder)
    for problem in report.errors:
        click.echo(f"ERROR {problem}", err=True)
    click.echo(f"{len(report.placeholders)} placeholder(s) ({'待补充'}) for the county to fill")
    if not quiet and not sources and not coverage:
        for problem in report.placeholders:
            click.echo(f"  {problem}")
    if sources:
        click.echo(f"{len(report.unsourced)} fact(s) without a source")
        for problem in report.unsourced:
            click.echo(f"  {problem}")
    if coverage and report.ok:
        _print_coverage(load_pack(folder), seeds)
    if report.errors:
        click.echo(f"{name}: {len(report.errors)} error(s)", err=True)
        sys.exit(1)
    click.echo(f"{name}: ok")


def _print_coverage(pack, seeds: Path | None) -> None:
    from knowledge.coverage import coverage

    found = coverage(pack, seeds)
    if not found:
        click.echo("coverage: no document of the pack found (set NONGBOT_SEEDS or --seeds)")
    for doc in found:
        click.echo(f"文件 {doc.doc}《{doc.title}》: {len(doc.covered)}/{len(doc.leaves)} clauses cited by the FAQ "
                   f"({doc.percent}%)")
        for cid in doc.leaves:
            clause = doc.clauses[cid]
            mark = "ok " if cid in doc.covered else "-- "
            click.echo(f"  {mark}{cid} {clause.title} (line {clause.line})")


def route_answer(pack, text: str, *, lat: float | None = None, lon: float | None = None,
                 service: str | None = None, limit: int = 3) -> dict:
    """The CONTRACT answer of `knowledge route`: township, its 农合联, the centers of the one routing decision."""
    from knowledge.routing import nonghelian_for, role_of, routes, township_of

    township = pack.township(text) or township_of(pack, text)
    where = (lat, lon) if lat is not None and lon is not None else None
    found = [r for r in routes(pack, role_of(pack, service) if service else None,
                               township=township.name if township else None, location=where, limit=limit)
             if r.center is not None]
    name = found[0].township if found else (township.name if township else None)
    covering = nonghelian_for(pack, name) if name else None
    return {
        "township": name,
        "nonghelian": covering.name if covering else None,
        "centers": [{"name": r.center.name, "kind": r.center.kind, "township": r.center.township,
                     "distance_km": r.distance_km} for r in found],
    }


@knowledge.command("route")
@click.argument("text")
@click.option("--lat", type=float)
@click.option("--lon", type=float)
@click.option("--service", "service")
@click.option("--pack", "pack")
@click.option("--limit", type=int, default=3, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the JSON answer.")
def route_cmd(text: str, lat, lon, service, pack, limit: int, as_json: bool) -> None:
    """Route TOWNSHIP_OR_TEXT (and/or a location) to its township 农合联 and nearest centers."""
    answer = route_answer(load_pack(pack or _default_pack()), text, lat=lat, lon=lon, service=service, limit=limit)
    if as_json:
        click.echo(json.dumps(answer, ensure_ascii=False))
        return
    click.echo(f"乡镇: {answer['township'] or '未识别'}")
    click.echo(f"农合联: {answer['nonghelian'] or '未知'}")
    for c in answer["centers"]:
        dist = f"{c['distance_km']} km" if c["distance_km"] is not None else "距离未知（按乡镇对应）"
        click.echo(f"  {c['name']} [{c['kind']}] {c['township'] or '全县'} {dist}")


@knowledge.command("clauses")
@click.argument("packs", nargs=-1)
@click.option("--seeds", type=click.Path(file_okay=False, path_type=Path), help="Folder of the county documents.")
def clauses_cmd(packs: tuple[str, ...], seeds: Path | None) -> None:
    """Write knowledge/packs/<PACK>/clauses.yaml from the pack's seed documents (every pack when none named)."""
    from knowledge.clauses import build, dump
    from knowledge.coverage import seeds_dir
    from knowledge.loader import PACKS_DIR, read_pack

    names = packs or tuple(sorted(p.name for p in PACKS_DIR.iterdir() if (p / "pack.yaml").exists()))
    for name in names:
        path = resolve(name)
        rows = build(read_pack(path), seeds or seeds_dir())
        if not rows:
            click.echo(f"{name}: no seed document found (set NONGBOT_SEEDS or --seeds)", err=True)
            sys.exit(1)
        (path / "clauses.yaml").write_text(dump(rows), encoding="utf-8")
        click.echo(f"{name}: {len(rows)} clauses -> {path / 'clauses.yaml'}")


@knowledge.command("show")
@click.argument("pack", required=False)
def show_cmd(pack: str | None) -> None:
    """Summarize PACK."""
    p = load_pack(pack or _default_pack())
    click.echo(f"{p.info.county}（{p.info.province}） pack `{p.info.name}` at {p.path}")
    for d in p.info.documents:
        click.echo(f"  文件 {d.id}: {d.title}")
    counties = {t.county for t in p.townships if t.county}
    click.echo(f"乡镇街道 {len(p.townships)}" + (f"（{len(counties)} 个县区）" if counties else "")
               + f"，有坐标 {sum(t.lat is not None for t in p.townships)}")
    levels = Counter(n.level for n in p.nonghelian)
    click.echo(f"农合联: 县级 {levels['county']}，乡镇 {levels['township']}，产业 {levels['industry']}")
    kinds = Counter(c.kind for c in p.centers)
    click.echo("服务网点: " + "，".join(f"{k} {v}" for k, v in kinds.items()))
    click.echo(f"服务 {len(p.services)}，作物 {len(p.crops)}，代账套餐 {len(p.bookkeeping_packages)}，"
               f"贷款产品 {len(p.loan_products)}，FAQ {len(p.faq)}，目标 {len(p.targets)}，意图 {len(p.intents)}")
    for t in p.targets:
        click.echo(f"  目标 {t.key or '-'}: {t.indicator} {t.values} {t.unit}")
    from knowledge.check import check_pack
    from knowledge.coverage import coverage
    from knowledge.needs import offered

    click.echo(f"机构 {len(p.institutions)}，项目 {len(p.programmes)}，网点 {len(p.centers)}，"
               f"待补充 {len(check_pack(p.path).placeholders)}")
    click.echo("提供: " + "、".join(offered(p)))
    for doc in coverage(p):
        click.echo(f"FAQ覆盖 文件{doc.doc}: {len(doc.covered)}/{len(doc.leaves)} 条（{doc.percent}%）")


@knowledge.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--pack", "pack")
@click.option("--dry-run", is_flag=True, help="Show the diff, write nothing.")
@click.option("--yes", is_flag=True, help="Write without asking.")
def import_cmd(file: Path, pack: str | None, dry_run: bool, yes: bool) -> None:
    """Update centers and loan products of PACK from FILE.xlsx|csv (sheets `centers`, `loans`)."""
    from rich.console import Console
    from rich.progress import track

    from knowledge.check import check_pack
    from knowledge.spreadsheet import plan_import, read_rows, write_plan

    path = resolve(pack or _default_pack())
    console = Console(stderr=True)
    sheets = read_rows(file)
    total = sum(len(r) for r in sheets.values())
    plan = plan_import(path, sheets, progress=lambda rows: track(rows, description="导入中", console=console,
                                                                   total=total or None, transient=True))
    for err in plan.errors:
        click.echo(f"ERROR {err}", err=True)
    for change in plan.changes:
        click.echo(f"{'+ 新增' if change.new else '~ 修改'} {change.kind} {change.key}")
        for fname, (old, new) in change.fields.items():
            if change.new:
                click.echo(f"    {fname}: {new}")
            else:
                click.echo(f"    {fname}: {old!r} -> {new!r}")
    click.echo(f"{len(plan.changes)} change(s), {len(plan.errors)} error(s)")
    if dry_run or not plan.changes:
        click.echo("dry run: nothing written" if dry_run else "nothing to write")
        sys.exit(1 if plan.errors else 0)
    if not yes and not click.confirm("写入这些修改？", default=False):
        sys.exit(1)
    for written in write_plan(path, plan):
        click.echo(f"wrote {written}")
    report = check_pack(path)
    if not report.ok:
        for problem in report.errors:
            click.echo(f"ERROR {problem}", err=True)
        sys.exit(1)


