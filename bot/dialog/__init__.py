"""The dialog: the engine that turns one message unit into replies (engine), its cues (cues), and where a
farmer's conversation is kept (state)."""
