"""Menu and small talk: one template each."""
from __future__ import annotations

from typing import Callable

from handlers.base import Turn


def menu(turn: Turn) -> list[str]:
    return [turn.render("gateway/menu")]


def template_reply(name: str) -> Callable[[Turn], list[str]]:
    return lambda turn: [turn.render(name)]
