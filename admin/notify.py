"""Sends a staff message to a farmer: 客服 text inside the window, else a template message, else nothing."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.wechat.kf_window import WindowState, window_state
from bot.settings import Settings

# Since 2023-05 every template field is cut at 20 characters.
TEMPLATE_FIELD_CHARS = 20

DELIVERY_LABELS = {
    "kf": "已通过客服消息发送",
    "template": "客服消息窗口已关闭，已改用模板消息通知",
    "none": "客服消息窗口已关闭且未配置模板消息，无法在微信送达，请电话联系农户",
}


@dataclass(frozen=True)
class Delivery:
    """How a message to the farmer goes out: kf | template | none, and its outbox row."""

    kind: str
    outbox_id: int | None
    window: WindowState

    @property
    def label(self) -> str:
        return DELIVERY_LABELS[self.kind]


def template_payload(template_id: str, fields: dict[str, str], title: str, text: str, when: datetime,
                     timezone: str) -> dict:
    """The template message body; `fields` maps each part (title, text, time) to the template's keyword."""
    def field(value: str) -> dict[str, str]:
        short = value if len(value) <= TEMPLATE_FIELD_CHARS else value[:TEMPLATE_FIELD_CHARS - 1] + "…"
        return {"value": short}

    parts = {"title": title, "text": text, "time": when.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")}
    return {"template_id": template_id,
            "data": {keyword: field(parts[part]) for part, keyword in fields.items()}}


def send_to_farmer(session: Session, settings: Settings, openid: str, text: str, *, title: str, source: str,
                   dedup_key: str, now: datetime, short_text: str | None = None) -> Delivery:
    """Queue `text` for the farmer in the caller's transaction, by the best path WeChat allows now; a template
    message carries `short_text` when given (its fields are cut at 20 characters)."""
    from bot.wechat.outbox import enqueue, enqueue_text

    window = window_state(session, openid, now)
    if window.can_send:
        row = enqueue_text(session, openid, text, source=source, dedup_key=dedup_key)
        return Delivery("kf", _id(row), window)
    if settings.notice_template_id:
        row = enqueue(session, openid=openid, kind="template", source=source, dedup_key=dedup_key,
                      payload=template_payload(settings.notice_template_id, settings.notice_template_fields, title,
                                               short_text or text, now, settings.timezone))
        return Delivery("template", _id(row), window)
    return Delivery("none", None, window)


def _id(row: object) -> int | None:
    if row is None or isinstance(row, int):
        return row
    return getattr(row, "id", None)
