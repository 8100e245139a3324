"""Natural-language understanding: text in, intent + confidence + slots out. Pure, no I/O."""
