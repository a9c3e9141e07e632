"""Charts as inline SVG strings: lines, bars, histograms, scatter. No library, no JavaScript.

The report must open offline and render identically everywhere, so charts are drawn here in a few
primitives: axes with "nice" ticks, polylines (optionally with a shaded band), bars with optional
error bars, markers and reference lines. Every chart has a ``<title>`` and an ``aria-label`` so a
screen reader can say what it shows; hovering a point or bar shows its exact value (``<title>``).
Sizes are in a ``viewBox``, so charts scale with the page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

__all__ = [
    "PALETTE",
    "Bar",
    "Series",
    "bar_chart",
    "histogram",
    "line_chart",
    "nice_ticks",
    "scatter_chart",
    "tick_label",
]

PALETTE = {
    "model": "#2563eb",
    "alt": "#f59e0b",
    "good": "#059669",
    "bad": "#dc2626",
    "muted": "#9ca3af",
    "ink": "#111827",
    "grid": "#e5e7eb",
    "axis": "#6b7280",
    "band": "#bfdbfe",
}
_FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif"'
_MARGIN = {"left": 58, "right": 16, "top": 46, "bottom": 46}


@dataclass(frozen=True)
class Series:
    """A line: points, colour, style; ``band`` is a shaded (low, high) envelope around it."""

    name: str
    xs: Sequence[float]
    ys: Sequence[float]
    color: str = PALETTE["model"]
    dashed: bool = False
    width: float = 2.0
    band: tuple[Sequence[float], Sequence[float]] | None = None
    markers: bool = False


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    color: str = PALETTE["model"]
    error: float | None = None  # half-width of an error bar
    note: str = ""  # shown after the value label


@dataclass
class _Frame:
    width: int
    height: int
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    parts: list[str] = field(default_factory=list)

    @property
    def plot_left(self) -> float:
        return _MARGIN["left"]

    @property
    def plot_right(self) -> float:
        return self.width - _MARGIN["right"]

    @property
    def plot_top(self) -> float:
        return _MARGIN["top"]

    @property
    def plot_bottom(self) -> float:
        return self.height - _MARGIN["bottom"]

    def x(self, value: float) -> float:
        lo, hi = self.x_range
        share = 0.5 if hi == lo else (value - lo) / (hi - lo)
        return self.plot_left + share * (self.plot_right - self.plot_left)

    def y(self, value: float) -> float:
        lo, hi = self.y_range
        share = 0.5 if hi == lo else (value - lo) / (hi - lo)
        return self.plot_bottom - share * (self.plot_bottom - self.plot_top)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2, 2.5, 5 x 10^k steps) covering [low, high]."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return [0.0]
    if high < low:
        low, high = high, low
    if high == low:
        spread = abs(low) or 1.0
        low, high = low - spread / 2, high + spread / 2
    raw = (high - low) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    start = math.floor(low / step) * step
    ticks = []
    value = start
    while value <= high + step * 1e-9:
        if value >= low - step * 1e-9:
            ticks.append(round(value, 12))
        value += step
    return ticks or [low, high]


def tick_label(value: float, *, percent: bool = False) -> str:
    if percent:
        return f"{value * 100:.0f}%"
    magnitude = abs(value)
    if magnitude >= 1e6:
        return f"{value / 1e6:.3g}M"
    if magnitude >= 1e4:
        return f"{value / 1e3:.3g}k"
    if magnitude >= 100 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:.3g}"


def line_chart(
    series: Sequence[Series],
    *,
    title: str,
    x_label: str,
    y_label: str,
    width: int = 460,
    height: int = 310,
    x_range: tuple[float, float] | None = None,
    y_range: tuple[float, float] | None = None,
    x_percent: bool = False,
    y_percent: bool = False,
    diagonal: bool = False,
    vlines: Sequence[tuple[float, str, str]] = (),
    hlines: Sequence[tuple[float, str, str]] = (),
    points: Sequence[tuple[float, float, str, str]] = (),
) -> str:
    """Lines over shared axes; ``vlines``/``hlines`` are (position, label, colour) references and
    ``points`` (x, y, label, colour) highlighted markers."""
    xs = [v for s in series for v in s.xs] + [v for v, _, _ in vlines] + [p[0] for p in points]
    ys = [v for s in series for v in s.ys] + [v for v, _, _ in hlines] + [p[1] for p in points]
    for s in series:
        if s.band is not None:
            ys += list(s.band[0]) + list(s.band[1])
    frame = _frame(width, height, xs, ys, x_range, y_range)
    _axes(frame, x_label, y_label, x_percent, y_percent)
    if diagonal:
        lo, hi = max(frame.x_range[0], frame.y_range[0]), min(frame.x_range[1], frame.y_range[1])
        frame.parts.append(
            f'<line x1="{frame.x(lo):.1f}" y1="{frame.y(lo):.1f}" x2="{frame.x(hi):.1f}" '
            f'y2="{frame.y(hi):.1f}" stroke="{PALETTE["muted"]}" stroke-dasharray="4 4"/>'
        )
    for s in series:
        if s.band is not None:
            upper = [(frame.x(x), frame.y(y)) for x, y in zip(s.xs, s.band[1], strict=True)]
            lower = [(frame.x(x), frame.y(y)) for x, y in zip(s.xs, s.band[0], strict=True)]
            outline = " ".join(f"{a:.1f},{b:.1f}" for a, b in [*upper, *reversed(lower)])
            frame.parts.append(
                f'<polygon points="{outline}" fill="{s.color}" fill-opacity="0.15" stroke="none"/>'
            )
        coords = [
            (frame.x(x), frame.y(y))
            for x, y in zip(s.xs, s.ys, strict=True)
            if math.isfinite(x) and math.isfinite(y)
        ]
        if not coords:
            continue
        dash = ' stroke-dasharray="6 4"' if s.dashed else ""
        path = " ".join(f"{a:.1f},{b:.1f}" for a, b in coords)
        frame.parts.append(
            f'<polyline points="{path}" fill="none" stroke="{s.color}" '
            f'stroke-width="{s.width}"{dash} stroke-linejoin="round"><title>{escape(s.name)}'
            "</title></polyline>"
        )
        if s.markers:
            for (a, b), x, y in zip(coords, s.xs, s.ys, strict=False):
                label = f"{s.name}: {tick_label(x, percent=x_percent)}, {_exact(y, y_percent)}"
                frame.parts.append(
                    f'<circle cx="{a:.1f}" cy="{b:.1f}" r="3.2" fill="{s.color}">'
                    f"<title>{escape(label)}</title></circle>"
                )
    for position, label, color in vlines:
        px = frame.x(position)
        frame.parts.append(
            f'<line x1="{px:.1f}" y1="{frame.plot_top:.1f}" x2="{px:.1f}" '
            f'y2="{frame.plot_bottom:.1f}" stroke="{color}" stroke-dasharray="3 3"/>'
            f'<text x="{px + 4:.1f}" y="{frame.plot_bottom - 6:.1f}" font-size="11" '
            f'fill="{color}" {_FONT}>{escape(label)}</text>'
        )
    for position, label, color in hlines:
        py = frame.y(position)
        frame.parts.append(
            f'<line x1="{frame.plot_left:.1f}" y1="{py:.1f}" x2="{frame.plot_right:.1f}" '
            f'y2="{py:.1f}" stroke="{color}" stroke-dasharray="5 4"/>'
            f'<text x="{frame.plot_right - 4:.1f}" y="{py - 4:.1f}" font-size="11" '
            f'text-anchor="end" fill="{color}" {_FONT}>{escape(label)}</text>'
        )
    for x, y, label, color in points:
        frame.parts.append(
            f'<circle cx="{frame.x(x):.1f}" cy="{frame.y(y):.1f}" r="5" fill="{color}" '
            f'stroke="white" stroke-width="1.5"><title>{escape(label)}</title></circle>'
        )
    legend = [(s.name, s.color, s.dashed) for s in series if s.name]
    return _svg(frame, title, legend)


def scatter_chart(
    xs: Sequence[float],
    ys: Sequence[float],
    *,
    title: str,
    x_label: str,
    y_label: str,
    width: int = 460,
    height: int = 310,
    diagonal: bool = True,
    color: str = PALETTE["model"],
) -> str:
    values = [v for v in (*xs, *ys) if math.isfinite(v)]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    frame = _frame(width, height, [low, high], [low, high], None, None)
    _axes(frame, x_label, y_label, False, False)
    if diagonal:
        frame.parts.append(
            f'<line x1="{frame.x(low):.1f}" y1="{frame.y(low):.1f}" x2="{frame.x(high):.1f}" '
            f'y2="{frame.y(high):.1f}" stroke="{PALETTE["muted"]}" stroke-dasharray="4 4"/>'
        )
    for x, y in zip(xs, ys, strict=True):
        if math.isfinite(x) and math.isfinite(y):
            frame.parts.append(
                f'<circle cx="{frame.x(x):.1f}" cy="{frame.y(y):.1f}" r="2.4" fill="{color}" '
                'fill-opacity="0.45"/>'
            )
    return _svg(frame, title, [])


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    unit: str = "",
    width: int = 460,
    bar_height: int = 26,
    label_width: int = 150,
    value_width: int = 96,
) -> str:
    """Horizontal bars with their value written beside them; negative values go left of zero.

    Values are written right of the bar (or of zero, for a negative bar), in a margin kept free
    for them, so labels never overlap bars or each other.
    """
    height = _MARGIN["top"] + bar_height * len(bars) + 16
    extents = [b.value - (b.error or 0) for b in bars] + [b.value + (b.error or 0) for b in bars]
    low, high = min([0.0, *extents]), max([0.0, *extents])
    if low == high:
        high = 1.0
    left, right = label_width, width - value_width
    scale = (right - left) / (high - low)

    def px(value: float) -> float:
        return left + (value - low) * scale

    top0 = _MARGIN["top"] - 8
    parts = [
        f'<line x1="{px(0):.1f}" y1="{top0}" x2="{px(0):.1f}" '
        f'y2="{top0 + bar_height * len(bars) + 4}" stroke="{PALETTE["axis"]}"/>'
    ]
    for i, bar in enumerate(bars):
        top = top0 + i * bar_height
        x0, x1 = sorted((px(0), px(bar.value)))
        shown = tick_label(bar.value) if abs(bar.value) >= 1e5 else _exact(bar.value, False)
        shown = f"{shown} {unit}".strip() + (f" {bar.note}" if bar.note else "")
        middle = top + bar_height * 0.62
        parts.append(
            f'<text x="{left - 8}" y="{middle:.1f}" font-size="12" text-anchor="end" '
            f'fill="{PALETTE["ink"]}" {_FONT}>{escape(_clip(bar.label, 22))}</text>'
            f'<rect x="{x0:.1f}" y="{top + 4}" width="{max(x1 - x0, 1):.1f}" '
            f'height="{bar_height - 8}" rx="2" fill="{bar.color}">'
            f"<title>{escape(bar.label)}: {escape(shown)}</title></rect>"
        )
        end = max(px(0), px(bar.value))
        if bar.error:
            e0, e1 = px(bar.value - bar.error), px(bar.value + bar.error)
            mid = top + 4 + (bar_height - 8) / 2
            parts.append(
                f'<path d="M{e0:.1f} {mid - 4:.1f}v8M{e0:.1f} {mid:.1f}H{e1:.1f}'
                f'M{e1:.1f} {mid - 4:.1f}v8" stroke="{PALETTE["ink"]}" stroke-width="1.2" '
                'fill="none"/>'
            )
            end = max(end, e1)
        parts.append(
            f'<text x="{end + 6:.1f}" y="{middle:.1f}" font-size="11" '
            f'fill="{PALETTE["axis"]}" {_FONT}>{escape(shown)}</text>'
        )
    body = "".join(parts)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}" class="chart">'
        f"<title>{escape(title)}</title>"
        f'<text x="8" y="17" font-size="13" font-weight="600" fill="{PALETTE["ink"]}" {_FONT}>'
        f"{escape(title)}</text>{body}</svg>"
    )


def histogram(
    edges: Sequence[float],
    groups: Sequence[tuple[str, Sequence[float], str]],
    *,
    title: str,
    x_label: str,
    y_label: str,
    width: int = 460,
    height: int = 310,
    x_percent: bool = False,
    vlines: Sequence[tuple[float, str, str]] = (),
) -> str:
    """Overlaid histograms on shared bins: (name, heights per bin, colour) per group."""
    tops = [h for _, heights, _ in groups for h in heights]
    frame = _frame(
        width,
        height,
        [edges[0], edges[-1]],
        [0.0, max(tops or [1.0])],
        (edges[0], edges[-1]),
        (0.0, max(tops or [1.0]) * 1.08),
    )
    _axes(frame, x_label, y_label, x_percent, False)
    for name, heights, color in groups:
        for left, right, h in zip(edges[:-1], edges[1:], heights, strict=True):
            if h <= 0:
                continue
            x0, x1 = frame.x(left), frame.x(right)
            frame.parts.append(
                f'<rect x="{x0 + 0.5:.1f}" y="{frame.y(h):.1f}" '
                f'width="{max(x1 - x0 - 1, 0.5):.1f}" '
                f'height="{frame.plot_bottom - frame.y(h):.1f}" fill="{color}" fill-opacity="0.55">'
                f"<title>{escape(name)}: {tick_label(left, percent=x_percent)} to "
                f"{tick_label(right, percent=x_percent)}: {_exact(h, False)}</title></rect>"
            )
    for position, label, color in vlines:
        px = frame.x(position)
        frame.parts.append(
            f'<line x1="{px:.1f}" y1="{frame.plot_top:.1f}" x2="{px:.1f}" '
            f'y2="{frame.plot_bottom:.1f}" stroke="{color}" stroke-dasharray="3 3"/>'
            f'<text x="{px + 4:.1f}" y="{frame.plot_top + 12:.1f}" font-size="11" '
            f'fill="{color}" {_FONT}>{escape(label)}</text>'
        )
    return _svg(frame, title, [(name, color, False) for name, _, color in groups])


def _frame(
    width: int,
    height: int,
    xs: Sequence[float],
    ys: Sequence[float],
    x_range: tuple[float, float] | None,
    y_range: tuple[float, float] | None,
) -> _Frame:
    def span(values: Sequence[float]) -> tuple[float, float]:
        finite = [v for v in values if math.isfinite(v)]
        if not finite:
            return (0.0, 1.0)
        ticks = nice_ticks(min(finite), max(finite))
        return (min(ticks[0], min(finite)), max(ticks[-1], max(finite)))

    return _Frame(width, height, x_range or span(xs), y_range or span(ys))


def _axes(frame: _Frame, x_label: str, y_label: str, x_percent: bool, y_percent: bool) -> None:
    parts = frame.parts
    for value in nice_ticks(*frame.y_range):
        if not frame.y_range[0] - 1e-12 <= value <= frame.y_range[1] + 1e-12:
            continue
        py = frame.y(value)
        parts.append(
            f'<line x1="{frame.plot_left:.1f}" y1="{py:.1f}" x2="{frame.plot_right:.1f}" '
            f'y2="{py:.1f}" stroke="{PALETTE["grid"]}"/>'
            f'<text x="{frame.plot_left - 6:.1f}" y="{py + 4:.1f}" font-size="11" '
            f'text-anchor="end" fill="{PALETTE["axis"]}" {_FONT}>'
            f"{tick_label(value, percent=y_percent)}</text>"
        )
    for value in nice_ticks(*frame.x_range):
        if not frame.x_range[0] - 1e-12 <= value <= frame.x_range[1] + 1e-12:
            continue
        px = frame.x(value)
        parts.append(
            f'<line x1="{px:.1f}" y1="{frame.plot_bottom:.1f}" x2="{px:.1f}" '
            f'y2="{frame.plot_bottom + 4:.1f}" stroke="{PALETTE["axis"]}"/>'
            f'<text x="{px:.1f}" y="{frame.plot_bottom + 17:.1f}" font-size="11" '
            f'text-anchor="middle" fill="{PALETTE["axis"]}" {_FONT}>'
            f"{tick_label(value, percent=x_percent)}</text>"
        )
    parts.append(
        f'<line x1="{frame.plot_left:.1f}" y1="{frame.plot_bottom:.1f}" '
        f'x2="{frame.plot_right:.1f}" y2="{frame.plot_bottom:.1f}" stroke="{PALETTE["axis"]}"/>'
        f'<text x="{(frame.plot_left + frame.plot_right) / 2:.1f}" y="{frame.height - 8:.1f}" '
        f'font-size="12" text-anchor="middle" fill="{PALETTE["ink"]}" {_FONT}>'
        f"{escape(x_label)}</text>"
        f'<text transform="translate(14 {(frame.plot_top + frame.plot_bottom) / 2:.1f}) '
        f'rotate(-90)" font-size="12" text-anchor="middle" fill="{PALETTE["ink"]}" {_FONT}>'
        f"{escape(y_label)}</text>"
    )


def _svg(frame: _Frame, title: str, legend: Sequence[tuple[str, str, bool]]) -> str:
    keys = []
    x = frame.plot_left
    for name, color, dashed in legend:
        dash = ' stroke-dasharray="5 3"' if dashed else ""
        keys.append(
            f'<line x1="{x:.1f}" y1="31" x2="{x + 16:.1f}" y2="31" stroke="{color}" '
            f'stroke-width="3"{dash}/><text x="{x + 20:.1f}" y="35" font-size="11" '
            f'fill="{PALETTE["axis"]}" {_FONT}>{escape(name)}</text>'
        )
        x += 32 + 6.2 * len(name)
    header = (
        f'<text x="8" y="17" font-size="13" font-weight="600" fill="{PALETTE["ink"]}" {_FONT}>'
        f"{escape(title)}</text>"
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {frame.width} {frame.height}" '
        f'role="img" aria-label="{escape(title)}" class="chart">'
        f"<title>{escape(title)}</title>{header}{''.join(keys)}{''.join(frame.parts)}</svg>"
    )


def _exact(value: float, percent: bool) -> str:
    if percent:
        return f"{value * 100:.1f}%"
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 1:
        return f"{value:,.2f}"
    return f"{value:.3g}"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
