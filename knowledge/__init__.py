"""County knowledge packs: schema, loader, validator and geographic routing."""
from knowledge.loader import Pack, load_pack

__all__ = ["Pack", "load_pack"]
