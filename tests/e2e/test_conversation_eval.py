"""bench/conversation_eval.py: scripted lines through POST /wechat, records read with the export code, scored."""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench import conversation_eval  # noqa: E402


def test_lines_are_scored_by_kind_status_and_fields(tmp_path, capsys):
    lines = [
        {"id": "right", "pack": "zhongxian", "today": "2026-11-23", "openid": "oEvalA",
         "turns": ["我要给石宝镇30亩柑橘打药", "下周三，电话13800138000", "确认"],
         "expect": {"kind": "bookings", "status": "received",
                    "fields": {"area_mu": 30.0, "date": "2026-12-02", "township": "石宝镇"}}},
        {"id": "wrong-field", "pack": "zhongxian", "today": "2026-11-23", "openid": "oEvalB",
         "turns": ["我要给石宝镇30亩柑橘打药", "下周三，电话13800138000", "确认"],
         "expect": {"kind": "bookings", "fields": {"area_mu": 40}}},
        {"id": "none", "pack": "zhongxian", "today": "2026-11-23", "openid": "oEvalC",
         "turns": ["农合联是啥子", {"location": [30.42, 108.18]}], "expect": {"kind": "none"}},
        {"id": "withdrawn", "pack": "zhongxian", "today": "2026-11-23", "openid": "oEvalA",
         "turns": ["把刚才的预约取消"], "expect": {"kind": "bookings", "status": "withdrawn"}},
    ]
    path = tmp_path / "lines.jsonl"
    path.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines), encoding="utf-8")
    assert conversation_eval.main([str(path), "--verbose"]) == 0
    out = capsys.readouterr().out
    assert "overall 3/4" in out and "FAIL wrong-field" in out and "area_mu: 30" in out
    assert "kind bookings               2/3" in out and "助手：" in out
