"""Golden transcripts: what the dialog answers and writes over `bench/dialog_transcript.py`'s seeded
conversation mix (~1,500 inbounds: every reply, intent, record and conversation), on SQLite with the
embedded store and on PostgreSQL + Redis, compared with the files committed under tests/data/golden/.

A change that changes replies on purpose regenerates them (then review `git diff tests/data/golden`):

    NONGBOT_UPDATE_GOLDEN=1 python -m pytest tests/e2e/test_golden_transcripts.py
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid

import pytest

from tests.conftest import REPO, fresh_pg_database

GOLDEN = REPO / "tests" / "data" / "golden"
MESSAGES = "1500"


def _transcript(out, *options: str) -> None:
    subprocess.run([sys.executable, str(REPO / "bench" / "dialog_transcript.py"), str(out), "--messages", MESSAGES,
                    *options], cwd=REPO, check=True, timeout=900, capture_output=True)


def _compare(produced, name: str) -> None:
    golden = GOLDEN / name
    if os.environ.get("NONGBOT_UPDATE_GOLDEN") == "1":
        GOLDEN.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(produced, golden)
        return
    assert golden.exists(), f"no {golden}: NONGBOT_UPDATE_GOLDEN=1 python -m pytest {__file__} writes it"
    want = golden.read_text(encoding="utf-8").splitlines()
    got = produced.read_text(encoding="utf-8").splitlines()
    for number, (expected, actual) in enumerate(zip(want, got), start=1):
        assert actual == expected, (f"{name} line {number} differs (NONGBOT_UPDATE_GOLDEN=1 regenerates on purpose)"
                                    f"\n  golden:   {expected[:600]}\n  produced: {actual[:600]}")
    assert len(got) == len(want), f"{name}: {len(got)} lines, golden {len(want)}"


def test_the_sqlite_transcript_is_the_golden_one(tmp_path):
    out = tmp_path / "sqlite.jsonl"
    _transcript(out)
    _compare(out, "transcript_sqlite.jsonl")


@pytest.mark.postgres
@pytest.mark.redis
def test_the_postgres_redis_transcript_is_the_golden_one(tmp_path, redis_url):
    out = tmp_path / "pg_redis.jsonl"
    with fresh_pg_database("nongbot_golden") as url:
        _transcript(out, "--database-url", url, "--redis-url", redis_url,
                    "--redis-prefix", f"nongbot-test:{uuid.uuid4().hex[:8]}:")
    _compare(out, "transcript_pg_redis.jsonl")
