"""One module per intent: its form (slots, prompts, validation) and what completing it does."""
