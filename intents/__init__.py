"""Natural-language understanding: text in, intent + confidence + slots out. Pure, no I/O."""
from intents.dialog_acts import classify_act
from intents.slots import Entity
from intents.understanding import ACT_THRESHOLD, SLOTS, Parse, Understanding

__all__ = ["Understanding", "Parse", "Entity", "classify_act", "SLOTS", "ACT_THRESHOLD"]
