"""Menu, small talk, and what each service offers until its form is built."""
from __future__ import annotations

from typing import Callable

from handlers.base import Turn


def menu(turn: Turn) -> list[str]:
    return [turn.render("gateway/menu")]


def template_reply(name: str) -> Callable[[Turn], list[str]]:
    return lambda turn: [turn.render(name)]


def info_for(intent: str) -> Callable[[Turn], list[str]]:
    """Explain the service (from the pack where it has facts) and how to reach a person."""

    def reply(turn: Turn) -> list[str]:
        pack = turn.ctx.pack
        return [turn.render(f"dialog/info_{intent}", slots=turn.slots, services=pack.services,
                            loans=pack.loan_products)]

    return reply
