"""Half-block cells: heat maps (two values per cell, upper and lower half) and bar charts."""

from __future__ import annotations

import numpy as np

from . import colors
from .canvas import Canvas
from .dots import Viewport

LOWER_EIGHTHS = np.array([0x20] + [0x2581 + i for i in range(8)], np.uint32)  # " ▁▂▃▄▅▆▇█"


def sample_grid(vp: Viewport, grid: np.ndarray, bounds) -> np.ndarray:
    """Values of `grid` (row 0 = ymin) at the centres of the viewport's half-cells, top row first.

    Returns (2*h, w). Nearest-neighbour lookup; places outside `bounds` take the nearest edge.
    """
    gh, gw = grid.shape
    bxmin, bxmax, bymin, bymax = bounds
    xs = vp.xmin + (np.arange(vp.w) + 0.5) * (vp.xmax - vp.xmin) / vp.w
    ys = vp.ymax - (np.arange(2 * vp.h) + 0.5) * (vp.ymax - vp.ymin) / (2 * vp.h)
    ix = np.clip(((xs - bxmin) / ((bxmax - bxmin) or 1.0) * gw).astype(np.intp), 0, gw - 1)
    iy = np.clip(((ys - bymin) / ((bymax - bymin) or 1.0) * gh).astype(np.intp), 0, gh - 1)
    return grid[iy[:, None], ix[None, :]]


def heatmap(
    canvas: Canvas,
    vp: Viewport,
    grid: np.ndarray,
    bounds,
    cmap: np.ndarray,
    lo: float,
    hi: float,
) -> None:
    """Fill the viewport with half-block cells coloured by `grid` over [lo, hi]."""
    if vp.w == 0 or vp.h == 0 or grid is None or grid.size == 0:
        return
    values = sample_grid(vp, np.asarray(grid, float), bounds)
    ids = colors.map_values(values, cmap, lo, hi)
    mean = colors.map_values((values[0::2] + values[1::2]) / 2, cmap, lo, hi)
    canvas.cells(ids[0::2], ids[1::2], mean, vp.x0, vp.y0)


def vbars(
    canvas: Canvas,
    x0: int,
    y0: int,
    h: int,
    values: np.ndarray,
    vmax: float,
    color_ids: np.ndarray,
    bar_w: int = 2,
    gap: int = 1,
) -> int:
    """Vertical bars from the bottom of a (h rows) band, in eighths of a cell; returns width used.

    Bar i occupies columns x0 + i*(bar_w+gap) ... ; heights are values / vmax of the band.
    """
    values = np.nan_to_num(np.asarray(values, float), nan=0.0, posinf=vmax, neginf=0.0)
    n = len(values)
    if n == 0 or h <= 0:
        return 0
    eighths = np.clip(np.rint(values / (vmax or 1.0) * h * 8), 0, h * 8).astype(np.intp)
    # rows from the bottom: full cells, then one partial cell
    level = np.arange(h)[::-1][:, None]  # row r (top=0) holds eighths above level*8
    fill = np.clip(eighths[None, :] - level * 8, 0, 8)  # (h, n)
    glyph = LOWER_EIGHTHS[fill]
    stride = bar_w + gap
    width = min(n * stride - gap, canvas.width - x0)
    for k in range(bar_w):  # each bar is bar_w columns wide: a handful of strided writes
        cols = x0 + np.arange(n) * stride + k
        keep = cols < canvas.width
        canvas.chars[y0 : y0 + h, cols[keep]] = glyph[:, keep]
        canvas.fg[y0 : y0 + h, cols[keep]] = np.broadcast_to(color_ids[keep], (h, keep.sum()))
    return width
