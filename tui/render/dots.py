"""Braille dots: scatters, line curves, vertical markers and arrows, each a boolean dot mask.

A `Viewport` maps data coordinates onto the dots of a rectangle of cells. Every drawing function
builds a (4*h, 2*w) boolean mask with numpy (no per-point Python loop) and hands it to the canvas.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .canvas import Canvas


@dataclass(frozen=True)
class Viewport:
    """A plot rectangle: cells (x0, y0, w, h) on a canvas showing data [xmin, xmax] x [ymin, ymax]."""

    x0: int
    y0: int
    w: int
    h: int
    xmin: float
    xmax: float
    ymin: float
    ymax: float

    @property
    def px_w(self) -> int:
        return 2 * self.w

    @property
    def px_h(self) -> int:
        return 4 * self.h

    def to_px(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Fractional dot coordinates (column, row); row 0 is the top (ymax)."""
        sx = self.px_w / ((self.xmax - self.xmin) or 1.0)
        sy = self.px_h / ((self.ymax - self.ymin) or 1.0)
        return (np.asarray(x, float) - self.xmin) * sx, (self.ymax - np.asarray(y, float)) * sy

    def col_of(self, x: float) -> int:
        """The cell column (relative to x0) that contains data x."""
        c, _ = self.to_px(np.array([x]), np.array([self.ymin]))
        return int(np.clip(np.floor(c[0] / 2), 0, max(self.w - 1, 0)))

    def empty_mask(self) -> np.ndarray:
        return np.zeros((self.px_h, self.px_w), bool)


def scatter_mask(vp: Viewport, points: np.ndarray) -> np.ndarray:
    """A dot per point (N, 2); points outside the viewport or non-finite are left out."""
    mask = vp.empty_mask()
    if points is None or len(points) == 0 or mask.size == 0:
        return mask
    c, r = vp.to_px(points[:, 0], points[:, 1])
    ok = np.isfinite(c) & np.isfinite(r) & (c >= 0) & (c < vp.px_w) & (r >= 0) & (r < vp.px_h)
    mask[r[ok].astype(np.intp), c[ok].astype(np.intp)] = True
    return mask


def scatter(canvas: Canvas, vp: Viewport, points: np.ndarray, color: int) -> None:
    canvas.dots(scatter_mask(vp, points), color, vp.x0, vp.y0)


def line_mask(vp: Viewport, xs: np.ndarray, ys: np.ndarray, dashed: bool = False) -> np.ndarray:
    """A connected polyline through (xs, ys), xs increasing; non-finite points are skipped.

    Each dot column is filled between the lowest and highest y the line takes inside it, so steep
    parts stay connected and a noisy curve reads as a band.
    """
    mask = vp.empty_mask()
    xs, ys = np.asarray(xs, float), np.asarray(ys, float)
    ok = np.isfinite(xs) & np.isfinite(ys)
    xs, ys = xs[ok], ys[ok]
    if xs.size == 0 or mask.size == 0:
        return mask
    cx, ry = vp.to_px(xs, ys)
    if xs.size == 1:
        cx, ry = np.repeat(cx, 2), np.repeat(ry, 2)
    # sample the line at every original point and at every column edge it crosses
    lo_edge = max(0, int(np.ceil(cx[0])))
    hi_edge = min(vp.px_w, int(np.floor(cx[-1])))
    edges = np.arange(lo_edge, hi_edge + 1, dtype=float)
    sx = np.concatenate([cx, edges, edges - 1e-9])
    sx = np.sort(sx[(sx >= 0) & (sx < vp.px_w)])
    if sx.size == 0:
        return mask
    sy = np.interp(sx, cx, ry)
    col = sx.astype(np.intp)
    starts = np.flatnonzero(np.r_[True, col[1:] != col[:-1]])
    cols = col[starts]
    lo = np.minimum.reduceat(sy, starts)
    hi = np.maximum.reduceat(sy, starts)
    lo = np.clip(np.floor(lo), 0, vp.px_h - 1).astype(np.intp)
    hi = np.clip(np.floor(hi), 0, vp.px_h - 1).astype(np.intp)
    rows = np.arange(vp.px_h)[:, None]
    mask[:, cols] = (rows >= lo[None, :]) & (rows <= hi[None, :])
    if dashed:
        mask[:, (np.arange(vp.px_w) // 3) % 2 == 1] = False
    return mask


def line(canvas: Canvas, vp: Viewport, xs, ys, color: int, dashed: bool = False) -> None:
    canvas.dots(line_mask(vp, xs, ys, dashed), color, vp.x0, vp.y0)


def vline(canvas: Canvas, vp: Viewport, xs, color: int, dotted: bool = True) -> None:
    """Vertical lines at data x positions (markers), dotted every other dot row by default."""
    mask = vp.empty_mask()
    if mask.size == 0:
        return
    c, _ = vp.to_px(np.asarray(xs, float), np.zeros(len(xs)))
    c = c[np.isfinite(c)]
    c = np.clip(c, 0, vp.px_w - 1).astype(np.intp)
    mask[:, c] = True
    if dotted:
        mask[1::2, :] = False
    canvas.dots(mask, color, vp.x0, vp.y0)


def arrows(canvas: Canvas, vp: Viewport, arr: np.ndarray, shaft: int, tip: int) -> None:
    """Arrows (M, 4) = x, y, dx, dy, scaled so the longest is ~1/8 of the plot's width.

    The shaft and the last fifth (the tip) are drawn in two colours so direction reads.
    """
    if arr is None or len(arr) == 0:
        return
    arr = arr[np.all(np.isfinite(arr), axis=1)]
    if len(arr) == 0:
        return
    length = np.hypot(arr[:, 2], arr[:, 3])
    top = float(length.max()) or 1.0
    scale = (vp.xmax - vp.xmin) / 8.0 / top
    t = np.linspace(0.0, 1.0, 12)
    for part, color in (((t <= 0.8), shaft), ((t > 0.8), tip)):
        tt = t[part]
        px = arr[:, None, 0] + arr[:, None, 2] * scale * tt[None, :]
        py = arr[:, None, 1] + arr[:, None, 3] * scale * tt[None, :]
        pts = np.stack([px.ravel(), py.ravel()], axis=1)
        canvas.dots(scatter_mask(vp, pts), color, vp.x0, vp.y0)
