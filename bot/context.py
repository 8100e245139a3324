"""The running deployment's parts, built once per process and passed explicitly."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Callable, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.inbound import Inbound, Outcome
from bot.replies import ReplyTemplates
from bot.settings import Settings
from bot.store import Store


class Responder(Protocol):
    """Turns one inbound message or event into the bot's answer (and any records it causes).

    A responder whose `respond` also takes `memory` (bot.inbound.Memory) gets the user's dialog
    session from the gateway, read and written in the gateway's store round trips.
    """

    def respond(self, inbound: Inbound) -> Outcome: ...


@dataclass
class AppContext:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    store: Store
    pack: Any                      # knowledge.loader.Pack
    nlu: Any                       # intents.Understanding
    templates: ReplyTemplates
    wechat_api: Any = None         # bot.wechat_api.WechatApi, None when outbound is disabled
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(timezone.utc))

    def today(self) -> date:
        return self.clock().astimezone(ZoneInfo(self.settings.timezone)).date()
