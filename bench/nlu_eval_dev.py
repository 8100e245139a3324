"""Print the matcher's evaluation report on a labelled JSONL file (default: the dev set)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from intents.evaluate import evaluate, format_report  # noqa: E402
from tests.intents.conftest import TODAY, build_understanding  # noqa: E402

path = sys.argv[1] if len(sys.argv) > 1 else "tests/data/nlu_dev.jsonl"
rows = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
rep = evaluate(build_understanding(), rows, today=TODAY)
print(format_report(rep))
if "--slot-errors" in sys.argv:
    print("\n".join(rep.slot_errors))
