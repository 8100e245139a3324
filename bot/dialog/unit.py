"""What the gateway hands the dialog for one message, and what the dialog hands back.

The gateway claims the message, opens ONE unit of work (a connection with its transaction begun), hands
the dialog a `MessageUnit` and finishes: it saves the conversation the dialog left in the unit, writes the
user's row, the message log and the outbox, and commits or rolls back. The dialog never commits, never
opens a connection of its own and never splits texts for WeChat (the gateway does, bot.wechat.protocol).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

UNREAD = object()  # a value the gateway's claim did not read


@dataclass
class MessageUnit:
    """One message as the gateway hands it to the dialog.

    `connection`: the unit's SQLAlchemy Connection, its transaction open; the dialog's reads and writes
    (the handlers' records) go on it and commit or roll back with the message log.
    `user`: the user's row as the gateway's upsert returned it (USER_COLUMNS), None when not handed (SQLite,
    where the upsert runs after the dialog) — then read on the connection when needed.
    `conversation`: the stored dialog state (a dict, or None); the dialog leaves the new state here and
    sets `changed`, and the gateway saves it in the same transaction.
    `location`: the user's last pushed location as the claim read it ({"lat", "lon"} or None)."""

    inbound: Any                   # bot.wechat.inbound.Inbound
    connection: Any
    user: Any = None
    conversation: Any = None
    location: Any = UNREAD
    changed: bool = False


@dataclass
class Outcome:
    """The dialog's answer to one message: whole texts, in order (the gateway splits them for WeChat: the
    first piece goes back as the passive reply, None = answer 'success', the rest as 客服 messages)."""

    replies: list[str] = field(default_factory=list)
    intent: str | None = None
    confidence: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)
