"""A farmer's voice messages and pictures: played and shown in the console from WeChat's temporary media API,
fetched once and kept for the media's lifetime; a farmer whose voice WeChat cannot transcribe gets a call-back."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.store.db import transaction
from bot.records.models import MessageLog, Ticket
from tests.admin.conftest import FARMER_A, page_login
from tests.admin.media_samples import amr_voice, png_picture
from tests.e2e.conftest import deployment, phone  # noqa: F401 - fixtures


def _media_messages(ctx, fake_wechat, created_at=None) -> tuple[int, int]:
    fake_wechat.add_media("voice-1", amr_voice(), "audio/amr")
    fake_wechat.add_media("image-1", png_picture(), "image/png")
    with transaction(ctx.sessions) as s:
        at = created_at or ctx.clock()
        voice = MessageLog(openid=FARMER_A, direction="in", msg_type="voice", media_id="voice-1",
                           content="我家稻子生虫了", created_at=at)
        image = MessageLog(openid=FARMER_A, direction="in", msg_type="image", media_id="image-1", created_at=at)
        s.add_all([voice, image])
        s.flush()
        return voice.id, image.id


def test_voice_plays_as_mp3_beside_its_recognition_and_a_picture_shows(console, fake_wechat):
    http, ctx, world = console
    voice, image = _media_messages(ctx, fake_wechat)
    page_login(http, "staff_a")
    page = http.get(f"/admin/tickets/{world.ticket_a}").text
    assert f'<audio controls preload="none" src="/admin/media/{voice}">' in page
    assert "识别文字：我家稻子生虫了" in page
    assert f'<img src="/admin/media/{image}"' in page and "[image]" not in page
    played = http.get(f"/admin/media/{voice}")
    assert played.status_code == 200 and played.headers["content-type"] == "audio/mpeg"
    assert played.content[:3] == b"ID3" or played.content[0] == 0xFF
    shown = http.get(f"/admin/media/{image}")
    assert shown.headers["content-type"] == "image/png" and shown.content == png_picture()
    for _ in range(3):
        assert http.get(f"/admin/media/{voice}").content == played.content
    assert sorted(fake_wechat.media_fetches) == ["image-1", "voice-1"]  # once each, then kept


def test_media_of_another_centers_farmer_or_past_three_days_is_not_served(console, fake_wechat):
    http, ctx, world = console
    voice, _ = _media_messages(ctx, fake_wechat)
    page_login(http, "staff_b")
    assert http.get(f"/admin/media/{voice}").status_code == 404
    assert fake_wechat.media_fetches == []
    old, _ = _media_messages(ctx, fake_wechat, created_at=ctx.clock() - timedelta(days=3, minutes=1))
    page_login(http, "staff_a")
    gone = http.get(f"/admin/media/{old}")
    assert gone.status_code == 404 and "3 天" in gone.text


def test_without_a_transcoder_the_voice_is_a_download_beside_its_text(console, fake_wechat, monkeypatch):
    import admin.media

    monkeypatch.setattr(admin.media, "transcoder", lambda: None)
    http, ctx, world = console
    voice, _ = _media_messages(ctx, fake_wechat)
    page_login(http, "staff_a")
    page = http.get(f"/admin/tickets/{world.ticket_a}").text
    assert "<audio" not in page and "下载语音（AMR）" in page and "识别文字：我家稻子生虫了" in page
    raw = http.get(f"/admin/media/{voice}")
    assert raw.headers["content-type"] == "audio/amr" and raw.content == amr_voice()


def test_second_untranscribed_voice_gets_a_call_back_and_a_ticket_with_the_audio(phone):  # noqa: F811
    first = phone.voice(None, media_id="v-1").text
    assert "没听清" in first
    second = phone.voice(None, media_id="v-2").text
    assert "工作人员" in second and "手机号" in second and "回复数字" not in second
    with transaction(phone.ctx.sessions) as s:
        [ticket] = s.scalars(select(Ticket)).all()
        voices = s.scalars(select(MessageLog.media_id).where(MessageLog.msg_type == "voice")).all()
    assert f"工单号 {ticket.id}" in second and sorted(voices) == ["v-1", "v-2"]
    assert "工作人员" in phone.voice(None, media_id="v-3").text  # added to the same ticket
    with transaction(phone.ctx.sessions) as s:
        assert len(s.scalars(select(Ticket)).all()) == 1


@pytest.mark.parametrize("recognition", ["我要转人工"])
def test_a_transcribed_voice_is_understood_as_text(phone, recognition):  # noqa: F811
    assert "工单号" in phone.voice(recognition).text
