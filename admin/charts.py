"""Chart geometry for server-rendered SVG (the templates draw it; no script, no internet)."""
from __future__ import annotations

from dataclasses import dataclass

WIDTH = 640
BAR_HEIGHT = 22
BAR_GAP = 8
LABEL_WIDTH = 110


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    x: float
    y: float
    width: float
    height: float
    text: str


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    width: int
    height: int
    ticks: list[tuple[float, str]]  # (x or y position, label) along the axis
    label_width: int = LABEL_WIDTH

    @property
    def empty(self) -> bool:
        return not self.bars


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() or abs(value) >= 100 else f"{value:,.1f}"


# Drawn widths near the width a chart gets on screen, so its 12 px text stays about 12 px when it is
# scaled to fill its card: a half-width card on a laptop or a phone, a full-width card on a laptop.
CARD_WIDTH = 460
WIDE_WIDTH = 1100


def horizontal_bars(items: list[tuple[str, float]], unit: str = "", width: int = CARD_WIDTH) -> Chart:
    """One bar per item, longest first is the caller's choice; labels on the left."""
    top = max((v for _, v in items), default=0) or 1
    span = width - LABEL_WIDTH - 50
    bars = [Bar(label, value, LABEL_WIDTH, i * (BAR_HEIGHT + BAR_GAP), span * value / top, BAR_HEIGHT,
                _fmt(value) + unit) for i, (label, value) in enumerate(items)]
    return Chart(bars, width, max(1, len(items)) * (BAR_HEIGHT + BAR_GAP), [])


# Room right of the last column for its centred label.
RIGHT_PAD = 30


def columns(items: list[tuple[str, float]], height: int = 180, every: int = 5, width: int = WIDTH) -> Chart:
    """A column per item (e.g. per day), labelling every `every`-th column counted back from the last, so
    the last (today) always has its label; ticks are the columns' centres."""
    top = max((v for _, v in items), default=0) or 1
    plot = height - 24
    step = (width - 40 - RIGHT_PAD) / max(1, len(items))
    bars = [Bar(label, value, 40 + i * step + 1, plot - plot * value / top, max(1.0, step - 2), plot * value / top,
                _fmt(value)) for i, (label, value) in enumerate(items)]
    last = len(bars) - 1
    ticks = [(bar.x + bar.width / 2, bar.label) for i, bar in enumerate(bars) if (last - i) % every == 0]
    return Chart(bars, width, height, ticks + [(0.0, _fmt(top))])


@dataclass(frozen=True)
class Progress:
    indicator: str
    unit: str
    year: str
    target: float | None
    target_text: str
    actual: float | None
    percent: float | None  # 0..100, capped for drawing


def progress(indicator: str, unit: str, year: str, target: float | str | None, actual: float | None) -> Progress:
    numeric = target if isinstance(target, (int, float)) and not isinstance(target, bool) else None
    percent = round(100 * actual / numeric, 1) if numeric and actual is not None else None
    return Progress(indicator, unit, year, numeric, _fmt(numeric) if numeric is not None else str(target or "—"),
                    actual, percent)
