"""The running deployment's parts, built once per process and passed explicitly."""
from __future__ import annotations

from dataclasses import InitVar, dataclass, field
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.dialog.unit import MessageUnit, Outcome
from bot.settings import Settings
from bot.store import Store

if TYPE_CHECKING:
    from handlers.replies import ReplyTemplates  # the handlers' templates (handlers/templates)


class Responder(Protocol):
    """Turns one message unit (bot.dialog.unit.MessageUnit: the inbound, the unit of work's connection, the
    user's row, the stored conversation) into the bot's answer, its records pending on that connection."""

    def respond(self, unit: MessageUnit) -> Outcome: ...


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

    def __setattr__(self, name: str, value: Any) -> None:
        # `pack` and `nlu` are plain attributes (read without a call, many times a message), set here
        # whenever `knowledge` is replaced whole (bot.live_pack).
        object.__setattr__(self, name, value)
        if name == "knowledge":
            object.__setattr__(self, "pack", value.pack)
            object.__setattr__(self, "nlu", value.nlu)

    def today(self) -> date:
        return self.clock().astimezone(ZoneInfo(self.settings.timezone)).date()
