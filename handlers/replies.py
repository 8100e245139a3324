"""Reply texts: Jinja2 templates from the knowledge pack (overrides) and handlers/templates."""
from __future__ import annotations

from pathlib import Path
from typing import Any, MutableMapping

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined

SHARED_TEMPLATES = Path(__file__).resolve().parent / "templates"


class _ShippedEnvironment(Environment):
    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        """A template's globals as one plain dict, not Jinja's ChainMap over the environment's: every
        render copies them into its context, and a ChainMap costs ~10 µs a render to walk. Nothing
        changes the globals once templates are loaded (which Jinja asks of callers anyway)."""
        return {**self.globals, **(d or {})}


class ReplyTemplates:
    """Renders `<name>.j2`; a pack's own `templates/` folder wins over the shared one."""

    def __init__(self, pack_dir: Path | None = None) -> None:
        loaders = []
        if pack_dir is not None and (pack_dir / "templates").is_dir():
            loaders.append(FileSystemLoader(str(pack_dir / "templates")))
        loaders.append(FileSystemLoader(str(SHARED_TEMPLATES)))
        # Plain text for WeChat: no HTML autoescape; missing variables are bugs, not blanks.
        self.env = _ShippedEnvironment(loader=ChoiceLoader(loaders), autoescape=False, undefined=StrictUndefined,
                                       trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False,
                                       auto_reload=False)  # templates ship with the release: no stat per render
        from knowledge.loader import load_pack
        from knowledge.words import pack_words

        # The county's own words (account name, offered intents, examples) in every template.
        has_pack = pack_dir is not None and (pack_dir / "pack.yaml").exists()
        self.env.globals["words"] = pack_words(load_pack(pack_dir if has_pack else "zhongxian"))

    def use_pack(self, pack: Any) -> None:
        """Speak from `pack` (the shipped pack with the staff's edits): its words in every template. Loaded
        templates hold a copy of the globals, so they are dropped and load again on their next render."""
        from knowledge.words import pack_words

        if getattr(pack, "info", None) is None:
            return   # a stand-in pack (tests of other parts)
        words = pack_words(pack)
        if words != self.env.globals.get("words"):
            self.env.globals["words"] = words
            self.env.cache.clear()

    def render(self, name: str, **data: Any) -> str:
        return self.env.get_template(f"{name}.j2").render(**data).strip()
