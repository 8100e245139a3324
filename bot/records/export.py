"""`nongbot export KIND`: records as JSONL, CSV or Excel, with the CONTRACT's field names."""
from __future__ import annotations

import csv
import io
import json
import sys
from datetime import datetime
from typing import Any

import click
from sqlalchemy import select

from bot.records.models import REQUEST_KINDS, ServiceCenter, Ticket

KINDS = [*REQUEST_KINDS, "tickets"]
SHARED = ["id", "openid", "status", "created_at", "center", "township", "phone"]
# What each kind's plan adds to the record besides its form's slots (routing, products, prices).
PLANNED: dict[str, list[str]] = {
    "members": ["nonghelian", "industry_nonghelian"],
    "bookings": ["unit_price_yuan", "price_quote_yuan"],
    "loan_requests": ["products"],
    "bookkeeping_requests": ["service", "package", "price_yuan"],
    "tickets": ["reason", "intent", "summary"],
}


def _forms_by_kind() -> dict[str, Any]:
    from handlers import FORMS

    return {form.kind: form for form in FORMS.values()}


def _columns() -> dict[str, list[str]]:
    """Exported fields per kind: the form's declared slots (its single source), then what its plan adds."""
    forms = _forms_by_kind()
    columns = {}
    for kind in KINDS:
        form = forms.get(kind)
        declared = [s.name for s in form.slots if s.name not in SHARED] if form else []
        columns[kind] = list(dict.fromkeys([*declared, *PLANNED[kind]]))
    return columns


COLUMNS: dict[str, list[str]] = _columns()


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def export_rows(session: Any, kind: str) -> list[dict[str, Any]]:
    model = Ticket if kind == "tickets" else REQUEST_KINDS[kind]
    centers = dict(session.execute(select(ServiceCenter.id, ServiceCenter.name)).all())
    rows = []
    form = _forms_by_kind().get(kind)
    for record in session.scalars(select(model).order_by(model.id)):
        row = dict(record.slots or {})
        if form is not None:
            for slot in form.slots:
                if slot.export is not None and row.get(slot.name) is not None:
                    row[slot.name] = slot.export(row[slot.name])
        row.update({name: _plain(getattr(record, name, None)) for name in SHARED if name != "center"})
        row["center"] = centers.get(record.center_id)
        row.update({name: _plain(getattr(record, name, None)) for name in COLUMNS[kind] if hasattr(record, name)})
        for name in COLUMNS[kind]:
            row.setdefault(name, None)
        rows.append(row)
    return rows


def _cell(value: Any) -> Any:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (list, dict)) else value


def csv_view(rows: list[dict[str, Any]], tz: str) -> list[dict[str, Any]]:
    """Rows as people read them in Excel: times in the county's zone, statuses by their Chinese names."""
    from zoneinfo import ZoneInfo

    from admin.inbox import TICKET_STATUSES
    from admin.requests import STATUS_LABELS

    labels = {**STATUS_LABELS, **TICKET_STATUSES, "withdrawn": "已撤回"}
    zone = ZoneInfo(tz)

    def local(value: Any) -> Any:
        try:
            moment = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            return value
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if moment and moment.tzinfo else value

    return [dict(row, status=labels.get(row.get("status"), row.get("status")), created_at=local(row.get("created_at")))
            for row in rows]


@click.command("export")
@click.argument("kind", type=click.Choice(KINDS))
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "xlsx"]), default="jsonl", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), help="file to write (default: standard output; xlsx needs --out)")
def export(kind: str, fmt: str, out: str | None) -> None:
    """Export records of KIND from NONGBOT_DATABASE_URL."""
    from bot.store.db import make_engine, session_factory
    from bot.settings import Settings

    settings = Settings()
    engine = make_engine(settings.database_url)
    with session_factory(engine)() as session:
        rows = export_rows(session, kind)
    engine.dispose()
    columns = list(dict.fromkeys([*SHARED, *COLUMNS[kind], *(k for r in rows for k in r)]))
    if fmt == "xlsx":
        if not out:
            raise click.UsageError("xlsx needs --out FILE")
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.title = kind
        sheet.append(columns)
        for row in rows:
            sheet.append([_cell(row.get(c)) for c in columns])
        book.save(out)
        return
    buffer = io.StringIO()
    if fmt == "csv":
        buffer.write("\ufeff")  # UTF-8 BOM: Excel on Chinese Windows reads the file as UTF-8, not GBK
        writer = csv.DictWriter(buffer, fieldnames=columns)
        writer.writeheader()
        for row in csv_view(rows, settings.timezone):
            writer.writerow({c: _cell(row.get(c)) for c in columns})
    else:
        for row in rows:
            buffer.write(json.dumps(row, ensure_ascii=False) + "\n")
    if out:
        with open(out, "w", encoding="utf-8", newline="") as fh:
            fh.write(buffer.getvalue())
    else:
        sys.stdout.write(buffer.getvalue())
