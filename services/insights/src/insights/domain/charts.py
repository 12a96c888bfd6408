"""One SVG chart per KPI, rendered on the server so the web app can embed it as an image.

Horizontal bars: a breakdown gets a bar per key, a rate one bar out of 100 %, occupancy a
bar per kind of space (its rate), the confirmation delay its median and mean, an amount (or a
breakdown of amounts) in dirhams though it is kept in centimes. Text is escaped; the chart has
a fixed width and grows with its bars.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape

from insights.domain.kpis import BY_NAME
from insights.domain.kpis_billing import CURRENCY

WIDTH = 480
BAR_HEIGHT = 22
GAP = 8
LABEL_WIDTH = 150
VALUE_WIDTH = 70
CHAR_WIDTH = 7
"""About the width of a 12 px system-ui character, digits included: enough to size the values' column."""
TOP = 36


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f} %"


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _money(minor: int | None) -> str:
    """Centimes shown as dirhams, `12,345.60 MAD`: integer arithmetic, so never a float's rounding."""
    if minor is None:
        return "-"
    sign = "-" if minor < 0 else ""
    units, cents = divmod(abs(minor), 100)
    return f"{sign}{units:,}.{cents:02d} {CURRENCY}"


def series_of(name: str, value: Any) -> tuple[list[tuple[str, float, str]], float]:
    """(label, value, shown text) bars and the value of a full bar."""
    unit = BY_NAME[name].unit
    if unit == "rate":
        return [(BY_NAME[name].title_en, value or 0.0, _percent(value))], 1.0
    if unit == "count":
        return [(BY_NAME[name].title_en, float(value or 0), _number(value))], float(max(value or 0, 1))
    if unit == "occupancy":
        bars = [(kind, o["rate"] or 0.0, _percent(o["rate"])) for kind, o in value.items()]
        return bars, 1.0
    if unit == "minutes":
        bars = [
            (label, value[key] or 0.0, f"{_number(value[key])} min")
            for label, key in (("median", "median_minutes"), ("mean", "mean_minutes"))
        ]
        return bars, max([b[1] for b in bars] + [1.0])
    if unit == "amount":  # a negative amount (paid in advance) draws no bar and says so in its text
        return [(BY_NAME[name].title_en, float(value or 0), _money(value))], float(max(abs(value or 0), 1))
    if unit == "amounts":
        amounts: Mapping[str, int] = value
        bars = [(str(k), float(v), _money(v)) for k, v in amounts.items()]
        return bars, max([abs(b[1]) for b in bars] + [1.0])
    counts: Mapping[str, float] = value
    bars = [(str(k), float(v), _number(v)) for k, v in counts.items()]
    return bars, max([b[1] for b in bars] + [1.0])


def render(name: str, value: Any, subtitle: str) -> str:
    bars, full = series_of(name, value)
    height = TOP + max(len(bars), 1) * (BAR_HEIGHT + GAP) + 24
    # the values' column: 70 px as ever, wider for long texts (an amount in dirhams) so none is cut off
    span = WIDTH - LABEL_WIDTH - max(VALUE_WIDTH, CHAR_WIDTH * max((len(b[2]) for b in bars), default=0) + 6)
    title = escape(BY_NAME[name].title_en)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{title}">',
        f"<title>{title}</title>",
        "<style>text{font-family:system-ui,sans-serif;font-size:12px;fill:#1f2933}"
        ".t{font-size:14px;font-weight:600}.s{fill:#616e7c;font-size:11px}</style>",
        f'<text class="t" x="8" y="18">{title}</text>',
        f'<text class="s" x="8" y="{height - 8}">{escape(subtitle)}</text>',
    ]
    if not bars:
        parts.append(f'<text x="8" y="{TOP + 14}">no data</text>')
    for index, (label, amount, shown) in enumerate(bars):
        y = TOP + index * (BAR_HEIGHT + GAP)
        length = 0 if full <= 0 else round(span * max(0.0, min(amount / full, 1.0)), 1)
        parts += [
            f'<text x="8" y="{y + 15}">{escape(label[:24])}</text>',
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{span}" height="{BAR_HEIGHT}" fill="#e4e7eb"/>',
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length}" height="{BAR_HEIGHT}" fill="#2f80ed"/>',
            f'<text x="{LABEL_WIDTH + span + 6}" y="{y + 15}">{escape(shown)}</text>',
        ]
    parts.append("</svg>")
    return "\n".join(parts)
