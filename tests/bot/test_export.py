"""`nongbot export` writes records with the CONTRACT's field names, in JSONL, CSV and Excel."""
from __future__ import annotations

import csv
import io
import json

from click.testing import CliRunner
from openpyxl import load_workbook

from bot.cli import main
from bot.store.db import session_factory, transaction
from bot.records.models import Booking, ServiceCenter, Ticket


def _seed(engine) -> None:
    with transaction(session_factory(engine)) as session:
        center = ServiceCenter(code="c1", name="石宝镇为农服务中心", kind="乡镇为农服务中心", township="石宝镇")
        session.add(center)
        session.flush()
        session.add(Booking(openid="oA", center_id=center.id, township="石宝镇", phone="13800138000", crop="柑橘",
                            service="统防统治", area_mu=30, date="2026-12-01", idempotency_key="oA:1",
                            slots={"crop": "柑橘", "area_mu": 30}))
        session.add(Ticket(openid="oB", center_id=center.id, reason="human_agent", idempotency_key="oB:2"))


def _run(engine, *args: str) -> str:
    url = engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(main, ["export", *args], env={"NONGBOT_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    return result.output


def test_bookings_export_as_jsonl_with_contract_fields(engine):
    _seed(engine)
    (row,) = [json.loads(line) for line in _run(engine, "bookings").splitlines()]
    assert {k: row[k] for k in ("openid", "status", "center", "crop", "service", "area_mu", "township",
                                "date", "phone")} == {
        "openid": "oA", "status": "received", "center": "石宝镇为农服务中心", "crop": "柑橘", "service": "统防统治",
        "area_mu": 30, "township": "石宝镇", "date": "2026-12-01", "phone": "13800138000"}
    assert row["id"] and row["created_at"].startswith("20")


def test_tickets_count_lines_for_the_conformance_probe(engine):
    _seed(engine)
    assert len(_run(engine, "tickets", "--format", "jsonl").splitlines()) == 1


def test_csv_and_xlsx_carry_the_same_rows(engine, tmp_path):
    _seed(engine)
    rows = list(csv.DictReader(io.StringIO(_run(engine, "bookings", "--format", "csv"))))
    assert rows[0]["crop"] == "柑橘" and rows[0]["center"] == "石宝镇为农服务中心"
    out = tmp_path / "b.xlsx"
    _run(engine, "bookings", "--format", "xlsx", "--out", str(out))
    sheet = load_workbook(out).active
    header = [c.value for c in sheet[1]]
    assert sheet.cell(2, header.index("service") + 1).value == "统防统治"


def test_csv_opens_in_excel_on_chinese_windows_with_china_time_and_chinese_statuses(engine, tmp_path):
    from datetime import datetime, timedelta

    _seed(engine)
    out = tmp_path / "bookings.csv"
    _run(engine, "bookings", "--format", "csv", "--out", str(out))
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    (row,) = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    (plain,) = [json.loads(line) for line in _run(engine, "bookings").splitlines()]
    assert row["status"] == "已受理" and plain["status"] == "received"  # JSONL keeps the CONTRACT's values
    utc = datetime.fromisoformat(plain["created_at"])
    assert row["created_at"] == (utc + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")
    (ticket,) = list(csv.DictReader(io.StringIO(_run(engine, "tickets", "--format", "csv").lstrip("\ufeff"))))
    assert ticket["status"] == "等待工作人员"  # the console's name for an open ticket
