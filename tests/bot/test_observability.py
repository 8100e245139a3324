"""Operations: /metrics is scraped after real callbacks; log lines mask openids and phones, never carry text."""
from __future__ import annotations

import json
import logging

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from bot.app import build_context, create_app
from bot.store.db import upgrade
from bot.logs import JsonFormatter, MaskingFilter, mask, message_line
from bot.wechat.simclient import WechatSim

AES = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF1"


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_metrics_scrape_counts_messages_latency_and_outbox(make_settings):
    settings = make_settings(wechat_aes_key=AES, deliver_in_process=False)
    upgrade(settings.database_url)
    ctx = build_context(settings)
    with TestClient(create_app(ctx=ctx)) as http:
        before = _samples(http.get("/metrics").text)
        sim = WechatSim(http, "test-token", AES, "wx1234567890abcdef", openid="oMetrics0001")
        assert sim.text("你好").text
        assert sim.text("转人工").text
        page = http.get("/metrics")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/plain")
    after = _samples(page.text)
    key = ("nongbot_messages_total", (("kind", "text"), ("outcome", "answered")))
    assert after[key] - before.get(key, 0) == 2
    assert after[("nongbot_reply_seconds_count", ())] - before.get(("nongbot_reply_seconds_count", ()), 0) == 2
    assert ("nongbot_outbox_messages", (("status", "dead"),)) in after
    assert ("nongbot_budget_overruns_total", ()) in after and ("nongbot_takeovers_total", ()) in after


def test_masking_hides_openids_and_phones_but_keeps_words():
    line = mask("took over msg:oAbC12345678901234567890xyz:42 for 13800138000; overloaded now")
    assert "oAbC12345678901234567890xyz" not in line and "13800138000" not in line
    assert "138****8000" in line and "overloaded now" in line


def test_message_line_is_json_masked_and_without_text(caplog):
    logger = logging.getLogger("nongbot.messages")
    logger.setLevel(logging.INFO)
    handler = logging.Handler()
    records: list[logging.LogRecord] = []
    handler.emit = records.append  # type: ignore[method-assign]
    handler.addFilter(MaskingFilter())
    logger.addHandler(handler)
    try:
        message_line("text", "answered", 0.0123, "oFarmerOpenid0001XYZ", "book_tuoguan")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
    handler.filter(records[0])
    line = json.loads(JsonFormatter().format(records[0]))
    assert line["outcome"] == "answered" and line["latency_ms"] == 12.3 and line["intent"] == "book_tuoguan"
    assert "oFarmerOpenid0001XYZ" not in json.dumps(line, ensure_ascii=False)
