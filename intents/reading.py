"""One message read once: the dialog's single entry into the NLU for a text.

`read(nlu, text, today)` normalizes the text and classifies its dialog act at once (both cheap, and nearly
every turn asks for one of them), and parses it on first ask (`Reading.parse()`): a bare "1" or "要得"
inside a form never pays for the parse. Everything a turn knows of the message's words comes from here.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from intents.dialog_acts import classify_act
from intents.normalize import Normalized


class Reading:
    __slots__ = ("words", "act", "_nlu", "_today", "_parse")

    def __init__(self, nlu: Any, words: Normalized, today: date | None) -> None:
        self.words = words                  # intents.normalize.Normalized
        self.act = classify_act(words)      # affirm | deny | cancel | back | restart | None
        self._nlu, self._today, self._parse = nlu, today, None

    def parse(self) -> Any:
        """The message's intents.Parse, parsed on the first ask only."""
        if self._parse is None:
            self._parse = self._nlu.parse(self.words, today=self._today)
        return self._parse


def read(nlu: Any, text: str, today: date | None) -> Reading:
    """`text` (stripped) read by `nlu` (intents.Understanding) for a message of `today`."""
    return Reading(nlu, nlu.normalize(text), today)
