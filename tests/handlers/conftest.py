"""Dialog fixtures: a real AppContext (database, store, 忠县 pack, NLU) and a farmer who talks to it."""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from bot.app import build_context
from bot.dialog.engine import DialogResponder
from bot.dialog.unit import Outcome
from bot.wechat.gateway import Gateway
from bot.wechat.inbound import Inbound
from bot.records.models import REQUEST_KINDS, Ticket

# Monday 2026-11-23, 10:00 in 忠县: "下周三" is 2026-12-02.
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
_msgids = itertools.count(7_000_000)


@dataclass
class Farmer:
    """One WeChat user talking to a DialogResponder without HTTP, through the gateway's unit of work
    (`Gateway.handle`): the conversation, the user's row and the records in one transaction, as in production."""

    responder: DialogResponder
    openid: str = "oFarmerDialog01"
    gateway: Gateway | None = None

    def __post_init__(self) -> None:
        if self.gateway is None:
            self.gateway = Gateway(self.responder.ctx, self.responder)

    @property
    def ctx(self):
        return self.responder.ctx

    def inbound(self, kind: str = "text", **fields) -> Inbound:
        n = next(_msgids)
        fields.setdefault("msg_id", None if kind == "event" else str(n))
        return Inbound(openid=self.openid, kind=kind, create_time=1_790_000_000 + n, **fields)

    def send(self, inbound: Inbound) -> Outcome:
        return self.gateway.handle(inbound)

    def say(self, text: str) -> str:
        return "\n".join(self.send(self.inbound(text=text)).replies)

    def records(self, kind: str) -> list:
        model = REQUEST_KINDS[kind]
        with self.ctx.sessions() as session:
            return session.scalars(select(model).where(model.openid == self.openid).order_by(model.id)).all()

    def tickets(self) -> list:
        with self.ctx.sessions() as session:
            return session.scalars(select(Ticket).where(Ticket.openid == self.openid)).all()


@pytest.fixture
def dialog_settings(make_settings, database_url):
    return make_settings(database_url=database_url, deliver_in_process=False)


@pytest.fixture
def make_farmer(dialog_settings):
    built = []

    def build(openid: str = "oFarmerDialog01", settings=None) -> Farmer:
        ctx = build_context(settings or dialog_settings)
        ctx.clock = lambda: NOW
        built.append(ctx)
        return Farmer(DialogResponder(ctx), openid)

    yield build
    for ctx in built:  # the pools' connections back now, not at garbage collection (PostgreSQL's limit is shared)
        ctx.engine.dispose()


@pytest.fixture
def farmer(make_farmer) -> Farmer:
    return make_farmer()
