"""Small inline-SVG charts for the offline HTML report (no JavaScript, no CDN).

Every label passes through `html.escape`; numbers are formatted here, so no
caller-supplied text reaches the SVG unescaped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 560
HEIGHT = 300
MARGIN_LEFT = 56
MARGIN_RIGHT = 16
MARGIN_TOP = 28
MARGIN_BOTTOM = 44
LEGEND_BAND = 20  # height of the legend's row above a plot with several series
LEGEND_STEP = 120  # horizontal room per legend entry
PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2")


@dataclass(frozen=True)
class Series:
    label: str
    points: Sequence[tuple[float, float]]  # (x, y), x ascending


def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value / 1000:.3g}k"
    if abs(value) >= 10 or float(value).is_integer():
        return f"{value:.0f}"
    return f"{value:.2g}"


def _ticks(top: float, count: int = 5, integer: bool = False) -> list[float]:
    if top <= 0:
        return [0.0]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if integer:
        step = max(1.0, math.ceil(step))
    return [i * step for i in range(int(top / step + 1e-9) + 1)]


class _Frame:
    """Plot area, axes and the mapping from data to pixels."""

    def __init__(
        self,
        title: str,
        x_label: str,
        y_label: str,
        x_max: float,
        y_max: float,
        integer_y: bool = False,
        margin_bottom: int = MARGIN_BOTTOM,
        margin_top: int = MARGIN_TOP,
    ):
        self.integer_y = integer_y
        self.top = margin_top
        self.x_max = x_max if x_max > 0 else 1.0
        self.y_max = y_max if y_max > 0 else 1.0
        self.inner_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
        self.inner_h = HEIGHT - margin_top - margin_bottom
        self.parts: list[str] = [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{WIDTH}" '
            f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
            f'aria-label="{escape(title)}">',
            f'<text x="{WIDTH / 2}" y="16" text-anchor="middle" class="title">'
            f"{escape(title)}</text>",
            f'<text x="{MARGIN_LEFT + self.inner_w / 2}" y="{HEIGHT - 6}" '
            f'text-anchor="middle">{escape(x_label)}</text>',
            f'<text x="14" y="{margin_top + self.inner_h / 2}" text-anchor="middle" '
            f'transform="rotate(-90 14 {margin_top + self.inner_h / 2})">{escape(y_label)}</text>',
        ]

    def x(self, value: float) -> float:
        return MARGIN_LEFT + self.inner_w * value / self.x_max

    def y(self, value: float) -> float:
        return self.top + self.inner_h * (1 - value / self.y_max)

    def axes(self, x_ticks: bool = True) -> None:
        bottom = self.top + self.inner_h
        for tick in _ticks(self.y_max, integer=self.integer_y):
            y = self.y(tick)
            self.parts.append(
                f'<line x1="{MARGIN_LEFT}" y1="{y:.1f}" x2="{MARGIN_LEFT + self.inner_w}" '
                f'y2="{y:.1f}" class="grid"/>'
                f'<text x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(tick)}</text>'
            )
        if x_ticks:
            for tick in _ticks(self.x_max):
                x = self.x(tick)
                self.parts.append(
                    f'<text x="{x:.1f}" y="{bottom + 16}" text-anchor="middle">{_fmt(tick)}</text>'
                )
        self.parts.append(
            f'<line x1="{MARGIN_LEFT}" y1="{bottom}" x2="{MARGIN_LEFT + self.inner_w}" '
            f'y2="{bottom}" class="axis"/>'
            f'<line x1="{MARGIN_LEFT}" y1="{self.top}" x2="{MARGIN_LEFT}" y2="{bottom}" '
            f'class="axis"/>'
        )

    def close(self) -> str:
        self.parts.append("</svg>")
        return "".join(self.parts)


def empty_chart(title: str, message: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{WIDTH}" height="80" '
        f'viewBox="0 0 {WIDTH} 80" role="img" aria-label="{escape(title)}">'
        f'<text x="{WIDTH / 2}" y="16" text-anchor="middle" class="title">{escape(title)}</text>'
        f'<text x="{WIDTH / 2}" y="50" text-anchor="middle">{escape(message)}</text></svg>'
    )


def step_chart(
    title: str,
    x_label: str,
    y_label: str,
    series: Sequence[Series],
    y_max: float,
    limit: float | None = None,
) -> str:
    """Cumulative step lines, e.g. pass rate reached within a budget of x.

    `limit`, when given, is drawn as a dashed vertical line (the run's budget).
    """
    if not any(s.points for s in series):
        return empty_chart(title, "no data")
    x_max = max([*(p[0] for s in series for p in s.points), limit or 0.0]) * 1.05
    legend = len(series) > 1
    # The legend sits in a band above the plot, so it never covers a line.
    top = MARGIN_TOP + LEGEND_BAND if legend else MARGIN_TOP
    frame = _Frame(title, x_label, y_label, x_max, y_max, margin_top=top)
    frame.axes()
    if limit is not None:
        x = frame.x(limit)
        frame.parts.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{frame.y(0):.1f}" '
            f'stroke="#6b7280" stroke-dasharray="4 3"/><text x="{x - 4:.1f}" '
            f'y="{top + 10}" text-anchor="end" class="small">budget {_fmt(limit)}</text>'
        )
    if legend:
        frame.parts.append(_legend([line.label for line in series], MARGIN_TOP))
    for index, line in enumerate(series):
        color = PALETTE[index % len(PALETTE)]
        coords = [(frame.x(0), frame.y(0))]
        previous_y = 0.0
        for x, y in line.points:
            coords.append((frame.x(x), frame.y(previous_y)))
            coords.append((frame.x(x), frame.y(y)))
            previous_y = y
        coords.append((frame.x(x_max), frame.y(previous_y)))
        path = " ".join(f"{cx:.1f},{cy:.1f}" for cx, cy in coords)
        frame.parts.append(
            f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{path}">'
            f"<title>{escape(line.label)}</title></polyline>"
        )
    return frame.close()


def _legend(labels: Sequence[str], top: float, keys: Sequence[tuple[str, bool]] = ()) -> str:
    """One row of coloured keys in the band from `top` to `top + LEGEND_BAND`; `keys`
    gives each label's (colour, dashed line) where the palette's boxes will not do."""
    parts = ['<g class="legend">']
    for index, label in enumerate(labels):
        left = MARGIN_LEFT + LEGEND_STEP * index
        color, dashed = keys[index] if keys else (PALETTE[index % len(PALETTE)], False)
        if dashed:
            parts.append(
                f'<line x1="{left}" y1="{top + 8}" x2="{left + 12}" y2="{top + 8}" '
                f'stroke="{color}" stroke-width="2" stroke-dasharray="3 2"/>'
            )
        else:
            parts.append(f'<rect x="{left}" y="{top + 3}" width="12" height="10" fill="{color}"/>')
        parts.append(f'<text x="{left + 16}" y="{top + 12}">{escape(label)}</text>')
    parts.append("</g>")
    return "".join(parts)


def log_k_chart(
    title: str,
    y_label: str,
    series: Sequence[Series],
    fits: Sequence[Series | None],
    y_max: float,
) -> str:
    """Measured points joined by lines over k on a log₂ axis (k = 1, 2, 4, …), each with its
    fitted curve, when it has one (`fits[i]` belongs to `series[i]`), as a dashed line of
    its colour. The legend sits in a band above the plot, clear of the lines."""
    if not any(s.points for s in series):
        return empty_chart(title, "no data")
    k_max = max(x for s in series for x, _ in s.points)
    span = math.log2(k_max) if k_max > 1 else 1.0
    labels: list[str] = []
    keys: list[tuple[str, bool]] = []
    for index, line in enumerate(series):
        color = PALETTE[index % len(PALETTE)]
        labels.append(line.label)
        keys.append((color, False))
        fit = fits[index] if index < len(fits) else None
        if fit is not None:
            labels.append(fit.label)
            keys.append((color, True))
    top = MARGIN_TOP + LEGEND_BAND
    x_label = "samples per problem, k (log scale)"
    frame = _Frame(title, x_label, y_label, span, y_max, margin_top=top)
    frame.axes(x_ticks=False)
    bottom = frame.y(0)
    ticks = sorted({1 << e for e in range(int(math.log2(k_max)) + 1)} | {int(k_max)})
    last = frame.x(math.log2(k_max))
    for tick in ticks:
        x = frame.x(math.log2(tick))
        if tick < k_max and last - x < 20:
            continue  # too close to the last tick (k_max) to print both
        frame.parts.append(
            f'<line x1="{x:.1f}" y1="{bottom}" x2="{x:.1f}" y2="{bottom + 4}" class="axis"/>'
            f'<text x="{x:.1f}" y="{bottom + 16}" text-anchor="middle">{_fmt(tick)}</text>'
        )
    frame.parts.append(_legend(labels, MARGIN_TOP, keys))
    for index, line in enumerate(series):
        color = PALETTE[index % len(PALETTE)]
        fit = fits[index] if index < len(fits) else None
        if fit is not None and fit.points:
            path = " ".join(
                f"{frame.x(math.log2(k)):.1f},{frame.y(min(y, y_max)):.1f}" for k, y in fit.points
            )
            frame.parts.append(
                f'<polyline class="fit" fill="none" stroke="{color}" stroke-width="1.5" '
                f'stroke-dasharray="5 3" points="{path}"><title>{escape(fit.label)}</title>'
                "</polyline>"
            )
        coords = [(frame.x(math.log2(k)), frame.y(y)) for k, y in line.points]
        frame.parts.append(
            f'<polyline class="measured" fill="none" stroke="{color}" stroke-width="2" '
            f'points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in coords)}">'
            f"<title>{escape(line.label)}</title></polyline>"
        )
        for (k, value), (x, y) in zip(line.points, coords, strict=True):
            frame.parts.append(
                f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{color}">'
                f"<title>{escape(line.label)}: k = {_fmt(k)}, {value:.1f}</title></circle>"
            )
    return frame.close()


def histogram(title: str, x_label: str, values: Sequence[float], bins: int = 12) -> str:
    """Counts of `values` in equal-width bins from 0 to their maximum."""
    if not values:
        return empty_chart(title, "no data")
    top = max(values)
    width = top / bins if top > 0 else 1.0
    counts = [0] * bins
    for value in values:
        counts[min(bins - 1, int(value / width))] += 1
    frame = _Frame(title, x_label, "problems", width * bins, max(counts), integer_y=True)
    frame.axes()
    for index, count in enumerate(counts):
        left, right = frame.x(index * width), frame.x((index + 1) * width)
        top_px = frame.y(count)
        frame.parts.append(
            f'<rect x="{left + 1:.1f}" y="{top_px:.1f}" width="{max(0.0, right - left - 2):.1f}" '
            f'height="{frame.y(0) - top_px:.1f}" fill="{PALETTE[0]}">'
            f"<title>{_fmt(index * width)}–{_fmt((index + 1) * width)}: {count}</title></rect>"
        )
    return frame.close()


def bar_chart(
    title: str,
    bars: Sequence[tuple[str, Sequence[float | None]]],
    series: Sequence[str],
    y_max: float,
) -> str:
    """Grouped vertical bars: one group per label, one bar per series (e.g. one per run).

    A None value (nothing to measure) is written as `n/a` instead of a bar.
    """
    if not bars:
        return empty_chart(title, "no data")
    legend = len(series) > 1
    frame = _Frame(
        title,
        "",
        "pass rate (%)",
        float(len(bars)),
        y_max,
        margin_bottom=84,
        margin_top=MARGIN_TOP + LEGEND_BAND if legend else MARGIN_TOP,
    )
    frame.axes(x_ticks=False)
    group_w = frame.inner_w / len(bars)
    bar_w = group_w * 0.8 / max(1, len(series))
    for group, (label, values) in enumerate(bars):
        left = MARGIN_LEFT + group * group_w + group_w * 0.1
        for index, value in enumerate(values):
            if value is None:
                frame.parts.append(
                    f'<text x="{left + (index + 0.5) * bar_w:.1f}" y="{frame.y(0) - 4:.1f}" '
                    f'text-anchor="middle" class="small">n/a</text>'
                )
                continue
            top_px = frame.y(value)
            frame.parts.append(
                f'<rect x="{left + index * bar_w:.1f}" y="{top_px:.1f}" width="{bar_w:.1f}" '
                f'height="{frame.y(0) - top_px:.1f}" fill="{PALETTE[index % len(PALETTE)]}">'
                f"<title>{escape(label)} · {escape(series[index])}: {value:.1f}</title></rect>"
            )
        center = left + group_w * 0.4
        base = frame.y(0) + 10
        frame.parts.append(
            f'<text x="{center:.1f}" y="{base}" text-anchor="end" class="small" '
            f'transform="rotate(-40 {center:.1f} {base})">{escape(label)}</text>'
        )
    if legend:
        frame.parts.append(_legend(series, MARGIN_TOP))
    return frame.close()
