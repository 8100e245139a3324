"""What arrives from WeChat, as one typed value, and where the user's last location is kept."""
from __future__ import annotations

from dataclasses import dataclass
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


LOCATION_TTL_SECONDS = 24 * 3600  # a location WeChat pushed or the user sent counts for a day


def location_key(openid: str) -> str:
    """Where the user's last known location lives in the store."""
    return f"location:{openid}"


def remember_location(store: Any, inbound: Inbound) -> None:
    """Keep the location of a LOCATION event or a location message for the user's next requests."""
    store.set(location_key(inbound.openid), {"lat": inbound.lat, "lon": inbound.lon}, ttl=LOCATION_TTL_SECONDS)

