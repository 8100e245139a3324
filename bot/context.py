"""The running deployment's parts, built once per process and passed explicitly."""
from __future__ import annotations

from dataclasses import InitVar, dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Callable, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.wechat.inbound import Inbound, Outcome
from bot.dialog.replies import ReplyTemplates
from bot.settings import Settings
from bot.store import Store


class Responder(Protocol):
    """Turns one inbound message or event into the bot's answer (and any records it causes).

    A responder whose `respond` also takes `memory` (bot.wechat.inbound.Memory) gets the user's dialog
    session from the gateway, read and written in the gateway's store round trips.
    """

    def respond(self, inbound: Inbound) -> Outcome: ...


@dataclass(frozen=True)
class Knowledge:
    """The pack a worker serves and the NLU built from it: replaced whole when staff edit the pack."""

    pack: Any                      # knowledge.loader.Pack (the shipped YAML with the staff's edits)
    nlu: Any                       # intents.Understanding
    version: int = 0               # the latest knowledge edit it includes (bot.live_pack)


@dataclass
class AppContext:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    store: Store
    pack: InitVar[Any]             # read back as ctx.pack, from `knowledge`
    nlu: InitVar[Any]              # read back as ctx.nlu, from `knowledge`
    templates: ReplyTemplates
    wechat_api: Any = None         # bot.wechat.api.WechatApi, None when outbound is disabled
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(timezone.utc))
    live: Any = None               # bot.live_pack.LivePack: keeps `knowledge` in step with staff edits
    knowledge: Knowledge = field(init=False)

    def __post_init__(self, pack: Any, nlu: Any) -> None:
        self.knowledge = Knowledge(pack, nlu)

    def today(self) -> date:
        return self.clock().astimezone(ZoneInfo(self.settings.timezone)).date()


# One reference swapped whole: a reader never sees a new pack with the NLU of the old one.
AppContext.pack = property(lambda self: self.knowledge.pack)  # type: ignore[assignment,method-assign]
AppContext.nlu = property(lambda self: self.knowledge.nlu)  # type: ignore[assignment,method-assign]
