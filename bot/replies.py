"""Reply texts: Jinja2 templates from the knowledge pack (overrides) and handlers/templates."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined

SHARED_TEMPLATES = Path(__file__).resolve().parent.parent / "handlers" / "templates"


class ReplyTemplates:
    """Renders `<name>.j2`; a pack's own `templates/` folder wins over the shared one."""

    def __init__(self, pack_dir: Path | None = None) -> None:
        loaders = []
        if pack_dir is not None and (pack_dir / "templates").is_dir():
            loaders.append(FileSystemLoader(str(pack_dir / "templates")))
        loaders.append(FileSystemLoader(str(SHARED_TEMPLATES)))
        # Plain text for WeChat: no HTML autoescape; missing variables are bugs, not blanks.
        self.env = Environment(loader=ChoiceLoader(loaders), autoescape=False, undefined=StrictUndefined,
                               trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False,
                               auto_reload=False)  # templates are data shipped with the release: no stat per render

    def render(self, name: str, **data: Any) -> str:
        return self.env.get_template(f"{name}.j2").render(**data).strip()
