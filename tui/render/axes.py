"""Axes: "nice" tick values, short tick labels, the plot rectangle they leave, and legends."""

from __future__ import annotations

import math

import numpy as np
from rich.text import Text

from . import colors
from .canvas import Canvas
from .dots import Viewport


def nice_ticks(lo: float, hi: float, target: int) -> np.ndarray:
    """Round tick values (1, 2, 2.5, 5 x 10^k) inside [lo, hi], about `target` of them."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo or target < 1:
        return np.array([lo]) if math.isfinite(lo) else np.array([])
    raw = (hi - lo) / target
    mag = 10.0 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw * 0.999)
    first = math.ceil(lo / step - 1e-9) * step
    ticks = np.arange(first, hi + step * 1e-6, step)
    return ticks[(ticks >= lo - step * 1e-6) & (ticks <= hi + step * 1e-6)]


def tick_label(v: float, step: float) -> str:
    """A short label: 1.5k for steps, 0.25 for small numbers, 1e-04 for tiny ones, 0 not -0."""
    if abs(v) < step * 1e-6:
        return "0"
    a = abs(v)
    if a >= 1e9:  # a blown-up loss: 4e+16, not 4e+10M
        return f"{v:.0e}"
    if a >= 1e6:
        return f"{v / 1e6:g}M"
    if a >= 1e3 and step >= 100:
        return f"{v / 1e3:g}k"
    if step >= 1:
        return f"{v:.0f}"
    if a < 1e-3:
        return f"{v:.0e}"
    decimals = min(6, max(0, -math.floor(math.log10(step) + 1e-9)))
    if step * 10**decimals % 1 > 1e-6:  # 0.25 needs two decimals
        decimals += 1
    return f"{v:.{decimals}f}"


def fmt_value(v: float) -> str:
    """A metric value for text panels: 4 significant figures, no exponent for common sizes."""
    if v is None or not math.isfinite(v):
        return "—" if v is None else str(v)
    a = abs(v)
    if a != 0 and (a < 1e-3 or a >= 1e5):
        return f"{v:.2e}"
    return f"{v:.4g}"


def pad_range(lo: float, hi: float, frac: float = 0.05) -> tuple[float, float]:
    """Widen a range a little (and make a degenerate one non-empty)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return 0.0, 1.0
    if hi - lo < 1e-12:
        d = max(abs(lo) * 0.1, 1e-3)
        return lo - d, hi + d
    d = (hi - lo) * frac
    return lo - d, hi + d


def equal_aspect(w: int, h: int, bounds) -> tuple[float, float, float, float]:
    """Expand `bounds` so one data unit is as long on screen across as up (braille dots are square)."""
    xmin, xmax, ymin, ymax = bounds
    px_w, px_h = 2 * max(w, 1), 4 * max(h, 1)
    per_x = (xmax - xmin) / px_w
    per_y = (ymax - ymin) / px_h
    if per_x < per_y:
        grow = (per_y * px_w - (xmax - xmin)) / 2
        xmin, xmax = xmin - grow, xmax + grow
    else:
        grow = (per_x * px_h - (ymax - ymin)) / 2
        ymin, ymax = ymin - grow, ymax + grow
    return xmin, xmax, ymin, ymax


def draw_axes(
    canvas: Canvas,
    bounds: tuple[float, float, float, float],
    aspect: bool = False,
    x_ticks: bool = True,
    top: int = 0,
) -> Viewport:
    """Tick labels on the left and bottom of `canvas`; returns the plot rectangle they leave.

    `top` rows are kept free above the plot (for labels of markers). With `aspect`, the bounds
    are widened so the picture is not stretched.
    """
    W, H = canvas.width, canvas.height
    h = max(1, H - top - (1 if x_ticks else 0))
    xmin, xmax, ymin, ymax = bounds
    margin = 6
    for _ in range(2):  # the margin depends on the labels, which depend on the range
        w = max(1, W - margin)
        if aspect:
            xmin, xmax, ymin, ymax = equal_aspect(w, h, bounds)
        yt = nice_ticks(ymin, ymax, max(1, h // 3))
        ystep = float(yt[1] - yt[0]) if len(yt) > 1 else 1.0
        ylabels = [tick_label(v, ystep) for v in yt]
        margin = max((len(s) for s in ylabels), default=1) + 1
    w = max(1, W - margin)
    vp = Viewport(margin, top, w, h, xmin, xmax, ymin, ymax)
    # y labels, right-aligned against the plot, at the row holding each tick
    _, rows = vp.to_px(np.zeros(len(yt)), yt)
    for v, r, s in zip(yt, rows, ylabels):
        row = top + int(min(max(r // 4, 0), h - 1))
        canvas.text(margin - 1 - len(s), row, s, colors.AXIS)
    if x_ticks:
        xt = nice_ticks(xmin, xmax, max(1, w // 10))
        xstep = float(xt[1] - xt[0]) if len(xt) > 1 else 1.0
        cols, _ = vp.to_px(xt, np.zeros(len(xt)))
        end = -1
        for v, c in zip(xt, cols):
            s = tick_label(v, xstep)
            at = margin + int(c // 2) - len(s) // 2
            at = min(max(at, margin), W - len(s))
            if at > end:
                end = at + len(s)
                canvas.text(at, top + h, s, colors.AXIS)
    return vp


def legend(items: list[tuple], glyph: str = "⣿") -> Text:
    """A one-line legend: for each (label, colour id[, glyph]) a coloured glyph then the label."""
    text = Text(no_wrap=True, overflow="ellipsis")
    for i, item in enumerate(items):
        label, cid = item[0], item[1]
        if i:
            text.append("  ")
        text.append(item[2] if len(item) > 2 else glyph, style=colors.style_of(cid, 0))
        text.append(" " + label)
    return text
