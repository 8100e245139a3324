"""A farmer's voice messages and pictures in the console: fetched once from WeChat's temporary media API,
kept (in the store) for the media's lifetime, voice transcoded from AMR to MP3 so browsers play it."""
from __future__ import annotations

import base64
import logging
import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from admin.policy import Denied, Staff, scoped
from bot.records.models import MessageLog, Ticket

log = logging.getLogger(__name__)
KINDS = ("voice", "image")
# WeChat keeps temporary media 3 days; so do we, counted from the message.
LIFETIME = timedelta(days=3)
TRANSCODE_SECONDS = 20
MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class MediaRef:
    """What the conversation shows for a voice message or picture."""

    log_id: int
    kind: str                 # voice | image
    recognition: str | None   # WeChat's transcription of a voice message, when it sent one
    playable: bool            # a voice message the browser can play (a transcoder is installed)


@dataclass(frozen=True)
class MediaFile:
    data: bytes
    content_type: str
    filename: str


def transcoder() -> str | None:
    return shutil.which("ffmpeg")


def media_ref(row: MessageLog) -> MediaRef | None:
    if row.msg_type not in KINDS or not row.media_id:
        return None
    return MediaRef(row.id, row.msg_type, row.content if row.msg_type == "voice" else None,
                    row.msg_type == "voice" and transcoder() is not None)


def _cache_key(media_id: str, variant: str) -> str:
    return f"admin:media:{variant}:{media_id}"


def media_file(session: Session, staff: Staff, store: Any, api: Any, log_id: int, now: datetime) -> MediaFile:
    """The bytes of a media message on a ticket the caller may see; 404 otherwise, or once WeChat dropped it."""
    row = session.get(MessageLog, log_id)
    visible = row is not None and row.msg_type in KINDS and row.media_id and session.scalar(
        scoped(staff, Ticket, select(Ticket.id)).where(Ticket.openid == row.openid).limit(1)) is not None
    if not visible:
        raise Denied(404, "记录不存在或无权查看")
    ttl = (row.created_at + LIFETIME - now).total_seconds()
    if ttl <= 0:
        raise Denied(404, "这条语音或图片已超过 3 天，微信不再保存")
    original = _cached(store, row.media_id, "original", ttl, lambda: _download(api, row.media_id))
    if row.msg_type == "voice" and transcoder() is not None:
        try:
            played = _cached(store, row.media_id, "mp3", ttl, lambda: (_to_mp3(original[0]), "audio/mpeg"))
            return MediaFile(played[0], played[1], f"voice-{log_id}.mp3")
        except TranscodeFailed as exc:
            log.warning("voice %s not transcoded: %s", log_id, exc)
    suffix = {"audio/amr": "amr", "image/jpeg": "jpg", "image/png": "png", "image/gif": "gif"}.get(original[1], "bin")
    return MediaFile(original[0], original[1], f"{row.msg_type}-{log_id}.{suffix}")


def _cached(store: Any, media_id: str, variant: str, ttl: float, make: Any) -> tuple[bytes, str]:
    """One fetch (or transcode) per media for all workers: the first under the lock makes it, the rest read."""
    key = _cache_key(media_id, variant)
    found = store.get(key)
    if not found:
        with store.lock(key + ":lock", ttl=TRANSCODE_SECONDS * 2, wait=TRANSCODE_SECONDS * 2):
            found = store.get(key)
            if not found:
                data, content_type = make()
                found = {"type": content_type, "data": base64.b64encode(data).decode("ascii")}
                store.set(key, found, ttl=ttl)
    return base64.b64decode(found["data"]), found["type"]


def _download(api: Any, media_id: str) -> tuple[bytes, str]:
    if api is None:
        raise Denied(503, "未配置公众号 AppSecret，无法从微信取回语音或图片")
    from bot.wechat.api import PermanentError, WechatApiError

    try:
        data, content_type = api.get_media(media_id)
    except PermanentError as exc:
        raise Denied(404, f"微信已不再保存这条语音或图片（{exc}）") from exc
    except WechatApiError as exc:
        raise Denied(503, "暂时无法从微信取回，请稍后再试") from exc
    if len(data) > MAX_BYTES:
        raise Denied(413, "文件过大")
    return data, content_type


class TranscodeFailed(Exception):
    """ffmpeg could not turn the voice into MP3 (the AMR download is offered instead)."""


def _to_mp3(amr: bytes) -> bytes:
    command = [transcoder() or "ffmpeg", "-hide_banner", "-loglevel", "error", "-i", "pipe:0",
               "-ac", "1", "-b:a", "32k", "-f", "mp3", "pipe:1"]
    try:
        done = subprocess.run(command, input=amr, capture_output=True, timeout=TRANSCODE_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise TranscodeFailed(str(exc)) from exc
    if done.returncode != 0 or not done.stdout:
        raise TranscodeFailed(done.stderr.decode("utf-8", "replace")[:200])
    return done.stdout
