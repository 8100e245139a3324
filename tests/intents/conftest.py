"""Fixtures: one Understanding built from the 忠县 pack (or a stand-in while the pack is not there)."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from intents import Understanding

TODAY = date(2026, 11, 23)   # a Monday: the dev set's relative dates are labelled against it
TOWNSHIPS = ("忠州街道 白公街道 乌杨街道 新生街道 任家镇 洋渡镇 东溪镇 复兴镇 石宝镇 汝溪镇 野鹤镇 官坝镇 石黄镇 马灌镇 "
             "金鸡镇 新立镇 双桂镇 拔山镇 花桥镇 永丰镇 三汇镇 白石镇 黄金镇 善广乡 石子乡 磨子土家族乡 涂井乡 金声乡 兴峰乡").split()


def stand_in_pack() -> SimpleNamespace:
    """The few pack attributes Understanding reads, for running before knowledge/ has its pack."""
    from knowledge.schema import IntentExamples, Township

    def stem(name: str) -> str:
        for suffix in ("土家族乡", "街道", "镇", "乡"):
            if name.endswith(suffix):
                return name[: -len(suffix)]
        return name
    intents_file = Path(__file__).resolve().parents[2] / "knowledge" / "packs" / "zhongxian" / "intents.yaml"
    intents = yaml.safe_load(intents_file.read_text(encoding="utf-8")) or {}
    return SimpleNamespace(townships=[Township(name=n, aliases=[stem(n)]) for n in TOWNSHIPS],
                           crops=[], services=[], intents={k: IntentExamples(**v) for k, v in intents.items()})


def build_understanding(learned: bool | None = None) -> Understanding:
    try:
        from knowledge import load_pack
        return Understanding.from_pack(load_pack("zhongxian"), learned=learned)
    except (ImportError, FileNotFoundError, LookupError):
        return Understanding.from_pack(stand_in_pack(), learned=learned)


# every intent test runs with the learned second stage (intents.learned) and with the rules alone
# (NONGBOT_NLU_LEARNED=0): the stage may not break what the rules get right
@pytest.fixture(scope="session", params=["learned", "rules"])
def nlu(request) -> Understanding:
    return build_understanding(learned=request.param == "learned")
