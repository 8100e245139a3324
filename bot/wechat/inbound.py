"""What arrives from WeChat, as one typed value, and what the bot answers with."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Inbound:
    """A message or event from a user, independent of XML and encryption.

    kind: text | voice | location | image | link | video | event
    For voice, `text` is WeChat's Recognition (None when WeChat sent none).
    For events, `event` is subscribe | unsubscribe | scan | click | view | location and
    `event_key` the key without the `qrscene_` prefix (the QR scene for subscribe/scan).
    """

    openid: str
    kind: str
    create_time: int
    msg_id: str | None = None
    text: str | None = None
    event: str | None = None
    event_key: str | None = None
    lat: float | None = None
    lon: float | None = None
    label: str | None = None
    media_id: str | None = None
    url: str | None = None
    title: str | None = None
    account: str = ""  # ToUserName: the official account's id

    @property
    def dedup_key(self) -> str:
        if self.msg_id:
            return f"msg:{self.openid}:{self.msg_id}"
        return f"evt:{self.openid}:{self.create_time}:{self.event or self.kind}"


@dataclass
class Outcome:
    """The bot's answer to one inbound: a passive reply now, follow-ups through the outbox.

    `replies` are plain texts; the first goes back as the passive reply (None = answer
    'success'), the rest are queued as 客服 messages.
    """

    replies: list[str] = field(default_factory=list)
    intent: str | None = None
    confidence: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


LOCATION_TTL_SECONDS = 24 * 3600  # a location WeChat pushed or the user sent counts for a day


def location_key(openid: str) -> str:
    """Where the user's last known location lives in the store."""
    return f"location:{openid}"


def remember_location(store: Any, inbound: Inbound) -> None:
    """Keep the location of a LOCATION event or a location message for the user's next requests."""
    store.set(location_key(inbound.openid), {"lat": inbound.lat, "lon": inbound.lon}, ttl=LOCATION_TTL_SECONDS)


def memory_key(openid: str) -> str:
    """Where the user's dialog session lives in the store."""
    return f"dialog:{openid}"


UNREAD = object()  # a value the gateway's claim did not read


@dataclass
class Memory:
    """The user's dialog session for one message: read with the gateway's claim, written back with the
    reply (one store round trip each). A responder sets `value` and `changed` to have it saved.
    `location` is the user's last pushed location as the claim read it ({"lat", "lon"} or None);
    UNREAD when the claim did not read it (the responder reads the store itself)."""

    value: Any = None
    changed: bool = False
    location: Any = UNREAD
