"""Canned replies for the inbox: the pack's own list (or the console's default) plus its FAQ answers."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DEFAULT_FILE = Path(__file__).parent / "canned_replies.yaml"
PACK_FILE = "canned_replies.yaml"


@dataclass(frozen=True)
class CannedReply:
    title: str
    text: str
    source: str  # canned | faq


def canned_replies(pack: Any) -> list[CannedReply]:
    pack_dir = getattr(pack, "path", None)
    path = Path(pack_dir) / PACK_FILE if pack_dir else None
    entries = yaml.safe_load((path if path and path.is_file() else DEFAULT_FILE).read_text(encoding="utf-8")) or []
    replies = [CannedReply(str(e["title"]), str(e["text"]), "canned") for e in entries]
    for faq in getattr(pack, "faq", None) or []:
        questions = getattr(faq, "questions", None) or [getattr(faq, "id", "FAQ")]
        replies.append(CannedReply(str(questions[0]), str(faq.answer), "faq"))
    return replies
