"""The pack a worker serves: the shipped YAML with the staff's edits (knowledge_edits) overlaid, rebuilt
when any worker records an edit — seen by a cheap version query every few seconds, never per message."""
from __future__ import annotations

import logging
import threading
from typing import Any, Callable

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.context import AppContext, Knowledge
from bot.store.db import transaction
from bot.records.models import KnowledgeEdit
from knowledge.overlay import EDITABLE, overlay

log = logging.getLogger(__name__)


def pack_version(session: Session, pack_name: str) -> int:
    """The pack's version: its latest edit's id (0 while it is as shipped)."""
    return session.scalar(select(func.coalesce(func.max(KnowledgeEdit.id), 0))
                          .where(KnowledgeEdit.pack == pack_name)) or 0


def latest_edits(session: Session, pack_name: str) -> dict[tuple[str, str], dict | None]:
    """Each edited entity's latest data (None: removed), by (kind, key)."""
    rows = session.execute(select(KnowledgeEdit.kind, KnowledgeEdit.key, KnowledgeEdit.data)
                           .where(KnowledgeEdit.pack == pack_name).order_by(KnowledgeEdit.id))
    return {(kind, key): data for kind, key, data in rows if kind in EDITABLE}


def nlu_for(pack: Any) -> Any:
    from intents import Understanding

    return Understanding.from_pack(pack)


class LivePack:
    """Keeps `ctx.knowledge` the shipped pack plus the database's edits; one per process."""

    def __init__(self, ctx: AppContext, base: Any, interval: float,
                 build_nlu: Callable[[Any], Any] = nlu_for) -> None:
        self.ctx, self.base, self.interval, self.build_nlu = ctx, base, interval, build_nlu
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.base.info.name

    def refresh(self, sessions: Any = None) -> bool:
        """Rebuild the pack when the database's version moved; True when it did."""
        if getattr(self.base, "info", None) is None:
            return False   # a stand-in pack (tests of other parts): nothing to overlay
        with self._lock:   # one rebuild at a time; a second caller finds the work done
            try:
                with transaction(sessions or self.ctx.sessions) as session:
                    version = pack_version(session, self.name)
                    if version == self.ctx.knowledge.version:
                        return False
                    edits = latest_edits(session, self.name)
            except SQLAlchemyError:
                log.warning("knowledge edits unreadable (schema not upgraded?): serving the pack as shipped",
                            exc_info=True)
                return False
            self.install(overlay(self.base, edits), version)
            return True

    def install(self, pack: Any, version: int) -> None:
        nlu = self.build_nlu(pack) if self.ctx.nlu is not None else None   # a console-only context has none
        templates = getattr(self.ctx, "templates", None)
        if hasattr(templates, "use_pack"):
            templates.use_pack(pack)   # the menu, examples and account name as the edited pack says them
        self.ctx.knowledge = Knowledge(pack, nlu, version)   # one assignment: readers see old or new, whole
        log.info("knowledge pack %s now at version %s", self.name, version)

    def watch(self) -> Callable[[], None]:
        """Check for edits every `interval` seconds in a daemon thread; returns its stopper. The thread has
        its own engine: it takes no connection the messages need, and no message's statements count it."""
        from bot.store.db import make_engine, session_factory

        if getattr(self.base, "info", None) is None or self.ctx.engine is None:
            return lambda: None   # a stand-in pack or no database (tests of other parts): nothing to watch
        engine = make_engine(self.ctx.engine.url.render_as_string(hide_password=False))
        stop = threading.Event()

        def run() -> None:
            try:
                while not stop.wait(self.interval):
                    try:
                        self.refresh(session_factory(engine))
                    except Exception:  # noqa: BLE001 - a bad edit must not stop the watcher; the old pack serves on
                        log.exception("knowledge refresh failed")
            finally:
                engine.dispose()
        threading.Thread(target=run, name="nongbot-knowledge", daemon=True).start()
        return stop.set


def attach(ctx: AppContext, interval: float | None = None) -> LivePack:
    """The context's LivePack, made on first use over the pack it was built with."""
    if ctx.live is None:
        ctx.live = LivePack(ctx, ctx.pack, interval if interval is not None
                            else getattr(ctx.settings, "knowledge_refresh_seconds", 5.0))
    return ctx.live

