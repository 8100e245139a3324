"""Template messages past the 客服 window fill the keywords the deployment's template has (configurable)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from bot.store.db import transaction
from bot.records.models import OutboxMessage, WechatUser
from bot.settings import Settings
from tests.admin.conftest import FARMER_A, api_token, deliver

CUSTOM = {"notice_template_id": "TPL-county-9",
          "notice_template_fields": {"title": "thing7", "text": "thing8", "time": "time9"}}


def _reply_past_the_window(http, ctx, world, text="您的托管已安排，请回电"):
    with transaction(ctx.sessions) as s:
        s.scalar(select(WechatUser).where(WechatUser.openid == FARMER_A)).window_opened_at = \
            ctx.clock() - timedelta(hours=49)
    answer = http.post(f"/admin/api/tickets/{world.ticket_a}/reply", json={"text": text},
                       headers=api_token(http, "staff_a"))
    assert answer.json()["delivery"] == "template"
    with transaction(ctx.sessions) as s:
        [row] = s.scalars(select(OutboxMessage).where(OutboxMessage.openid == FARMER_A)).all()
        return row.payload


@pytest.mark.parametrize("console", [{"notice_template_id": "TPL-notice-001"}], indirect=True)
def test_default_keywords_are_thing1_thing2_time3(console):
    payload = _reply_past_the_window(*console)
    assert set(payload["data"]) == {"thing1", "thing2", "time3"}
    assert payload["data"]["thing1"]["value"] == "服务中心回复"


@pytest.mark.parametrize("console", [CUSTOM], indirect=True)
def test_configured_keywords_reach_the_fake_wechat_api(console, fake_wechat):
    http, ctx, world = console
    payload = _reply_past_the_window(http, ctx, world)
    assert payload["template_id"] == "TPL-county-9"
    assert payload["data"]["thing8"] == {"value": "您的托管已安排，请回电"}
    assert set(payload["data"]) == {"thing7", "thing8", "time9"}
    assert deliver(ctx) == 1
    [sent] = fake_wechat.received
    assert sent["template_id"] == "TPL-county-9" and set(sent["data"]) == {"thing7", "thing8", "time9"}


@pytest.mark.parametrize("console", [{"notice_template_id": "TPL-2", "notice_template_fields": {"text": "thing2"}}],
                         indirect=True)
def test_a_template_with_only_a_text_keyword_gets_only_the_text(console):
    assert _reply_past_the_window(*console)["data"] == {"thing2": {"value": "您的托管已安排，请回电"}}


def test_keywords_from_the_environment(monkeypatch):
    monkeypatch.setenv("NONGBOT_NOTICE_TEMPLATE_FIELDS", '{"title": "keyword1", "text": "keyword2"}')
    assert Settings().notice_template_fields == {"title": "keyword1", "text": "keyword2"}
    monkeypatch.delenv("NONGBOT_NOTICE_TEMPLATE_FIELDS")
    assert Settings().notice_template_fields == {"title": "thing1", "text": "thing2", "time": "time3"}


@pytest.mark.parametrize("fields", [{"title": "thing1"}, {"text": "thing2", "place": "thing3"},
                                    {"text": "thing 2"}, {"title": "thing2", "text": "thing2"}])
def test_unusable_keyword_maps_are_refused_at_start(fields):
    with pytest.raises(ValidationError):
        Settings(notice_template_fields=fields)
