"""The pictures the panels show, composed from the cell, dot and axis renderers.

- `scatter_chart`: coloured point layers in braille, optionally over a heat map and with arrows;
- `line_chart`: curves against a shared x axis, with labelled vertical markers.
Both return a `Canvas`; the widget turns it into strips.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import colors
from .axes import draw_axes, pad_range
from .canvas import Canvas
from .cells import heatmap
from .dots import arrows as draw_arrows
from .dots import line, scatter, vline


@dataclass(frozen=True)
class Series:
    """One curve: x and y arrays of equal length, a colour id, solid or dashed."""

    label: str
    xs: np.ndarray
    ys: np.ndarray
    color: int
    dashed: bool = False


@dataclass(frozen=True)
class Marker:
    """A vertical marker at data x, labelled at the top of the plot (e.g. a knob change)."""

    x: float
    label: str
    color: int = colors.MARKER


def scatter_chart(
    width: int,
    height: int,
    layers: list[tuple[np.ndarray, int]],
    bounds: tuple[float, float, float, float],
    heat: np.ndarray | None = None,
    heat_range: tuple[float, float] | None = None,
    arrows: np.ndarray | None = None,
) -> Canvas:
    """Points (N, 2) per layer, later layers on top; equal aspect; heat map under everything.

    `heat` is sampled over `bounds` (row 0 = ymin) and coloured with the diverging map.
    """
    canvas = Canvas(width, height)
    if width < 4 or height < 2:
        return canvas
    vp = draw_axes(canvas, bounds, aspect=True)
    if heat is not None and heat.size:
        lo, hi = heat_range or colors.diverging_range(heat)
        heatmap(canvas, vp, heat, bounds, colors.DIVERGING, lo, hi)
    for points, cid in layers:
        if points is not None:
            scatter(canvas, vp, points, cid)
    if arrows is not None:
        draw_arrows(canvas, vp, arrows, colors.ARROW, colors.ARROW_TIP)
    return canvas


def series_range(series: list[Series], xlo: float, xhi: float) -> tuple[float, float]:
    """The y range of the finite values of all series with x inside [xlo, xhi]."""
    lo, hi = np.inf, -np.inf
    for s in series:
        ys = np.asarray(s.ys, float)
        xs = np.asarray(s.xs, float)
        keep = np.isfinite(ys) & (xs >= xlo) & (xs <= xhi)
        if keep.any():
            lo, hi = min(lo, ys[keep].min()), max(hi, ys[keep].max())
    return (lo, hi) if lo <= hi else (0.0, 1.0)


def line_chart(
    width: int,
    height: int,
    series: list[Series],
    markers: list[Marker] = (),
    xrange: tuple[float, float] | None = None,
    yrange: tuple[float, float] | None = None,
) -> Canvas:
    """Curves over a shared x axis; markers drawn under them, their labels on the top row."""
    canvas = Canvas(width, height)
    if width < 6 or height < 3:
        return canvas
    if xrange is None:
        xs = [float(np.nanmax(s.xs)) for s in series if len(s.xs)]
        xrange = (0.0, max(xs + [1.0]))
    ylo, yhi = yrange or pad_range(*series_range(series, *xrange))
    top = 1 if markers else 0
    vp = draw_axes(canvas, (xrange[0], xrange[1], ylo, yhi), top=top)
    inside = [m for m in markers if xrange[0] <= m.x <= xrange[1]]
    for color in {m.color for m in inside}:
        vline(canvas, vp, [m.x for m in inside if m.color == color], color)
    for s in series:
        line(canvas, vp, s.xs, s.ys, s.color, s.dashed)
    # labels, newest first, each skipped if it would overlap one already placed
    taken = np.zeros(canvas.width, bool)
    for m in reversed(inside):
        col = vp.x0 + vp.col_of(m.x)
        text = m.label
        if col + len(text) <= canvas.width:
            at = col  # to the right of the marker
        elif col + 1 >= len(text):
            at = col + 1 - len(text)  # near the right edge: ending at the marker, whole
        else:
            text = text[: max(1, canvas.width - col)]
            at = min(col, canvas.width - len(text))
        span = slice(max(at - 1, 0), at + len(text) + 1)
        if not taken[span].any():
            taken[span] = True
            canvas.text(at, 0, text, m.color)
    return canvas
