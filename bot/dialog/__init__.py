"""The dialog: the engine that turns one message unit into replies (engine), its cues (cues), and the unit
the gateway hands it (unit)."""
