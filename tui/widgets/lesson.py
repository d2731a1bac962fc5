"""The lesson's own evidence, per family.

- GAN family: which modes are captured (● captured, ○ missed, at their places on the plane), the
  counts (modes, high-quality fraction) and the history of `modes`.
- Disjoint supports: theta against steps, and the size of its gradient on a log scale (the
  vanishing JS gradient is orders of magnitude below the Wasserstein gradient of size 1).
- VAE: posterior means coloured by the cluster of their data point, and the KL of each latent
  dimension as bars (a dimension whose bar is flat is inactive: posterior collapse).
"""

from __future__ import annotations

import numpy as np
from rich.text import Text

from engine.frame import Frame
from tui.render import colors
from tui.render.axes import draw_axes, fmt_value, pad_range
from tui.render.canvas import Canvas
from tui.render.cells import vbars
from tui.render.charts import Marker, Series, line_chart, scatter_chart

from .chart import ChartView


def _modes_map(canvas: Canvas, frame: Frame, width: int, height: int) -> None:
    """Mode centres as ● (captured) or ○ (missed) at their places, in a width x height box."""
    centres, captured = frame.mode_centres, frame.captured
    if centres is None or len(centres) == 0:
        return
    box = Canvas(width, height)
    vp = draw_axes(box, frame.bounds, aspect=True, x_ticks=False)
    cols, rows = vp.to_px(centres[:, 0], centres[:, 1])
    got = captured if captured is not None else np.zeros(len(centres), bool)
    for c, r, ok in zip(cols, rows, got):
        x = vp.x0 + int(np.clip(c // 2, 0, vp.w - 1))
        y = vp.y0 + int(np.clip(r // 4, 0, vp.h - 1))
        box.text(x, y, "●" if ok else "○", colors.GOOD if ok else colors.BAD)
    canvas.paste(box, 0, 1)


class LessonPanel(ChartView):
    """Mode coverage for GANs; latent means and per-dimension KL for the VAE."""

    def legend(self, frame: Frame) -> Text:
        if frame.family == "vae":
            return Text("colour = cluster of the data point; bars = KL per dim")
        if "theta" in frame.history:
            return Text("the Wasserstein gradient has size 1 all the way")
        return Text.assemble(("●", colors.style_of(colors.GOOD, 0)), " captured  ",
                             ("○", colors.style_of(colors.BAD, 0)), " missed")

    def draw(self, frame: Frame, width: int, height: int) -> Canvas:
        if frame.family == "vae":
            return self._draw_vae(frame, width, height)
        if "theta" in frame.history:
            return self._draw_theta(frame, width, height)
        self.set_title("mode coverage")
        m = frame.metrics
        canvas = Canvas(width, height)
        modes, total, hq = m.get("modes"), m.get("modes_total"), m.get("hq")
        head = f"modes {fmt_value(modes)}/{fmt_value(total)}   high quality {f'{100 * hq:.0f}' if hq is not None else '—'}%"
        canvas.text(1, 0, head, 0)
        if frame.mode_centres is None:
            return canvas
        left = min(width // 2, 2 * (height - 1) + 6)
        _modes_map(canvas, frame, left, height - 1)
        curve = frame.history.get("modes")
        if curve is not None and width - left > 12:
            top = float(total) if total else float(np.nanmax(curve.values, initial=1.0))
            chart = line_chart(width - left, height - 1, [Series("modes", curve.steps, curve.values, colors.GOOD)],
                               xrange=(0.0, max(float(frame.step), 10.0)), yrange=(0.0, top + 0.5))
            canvas.paste(chart, left, 1)
        return canvas

    def _draw_theta(self, frame: Frame, width: int, height: int) -> Canvas:
        self.set_title("θ and the size of its gradient")
        m = frame.metrics
        canvas = Canvas(width, height)
        canvas.text(1, 0, f"θ {fmt_value(m.get('theta'))}", 0)
        xr = (0.0, max(float(frame.step), 10.0))
        markers = [Marker(e.step, f"{e.knob}={e.new}") for e in frame.events]
        half = width // 2
        theta = frame.history["theta"]
        canvas.paste(line_chart(half, height - 1, [Series("θ", theta.steps, theta.values, colors.CATEGORICAL[1])],
                                markers, xrange=xr), 0, 1)
        grad = frame.history.get("grad_theta")
        if grad is not None and width - half > 12:
            with np.errstate(divide="ignore", invalid="ignore"):
                logs = np.log10(np.abs(grad.values.astype(np.float64)))
            logs[~np.isfinite(logs)] = np.nan
            chart = line_chart(width - half, height - 1, [Series("log10|grad θ|", grad.steps, logs, colors.CATEGORICAL[0])],
                               markers, xrange=xr, yrange=(min(-6.0, float(np.nanmin(logs, initial=0.0))) - 0.2, 0.5))
            canvas.paste(chart, half, 1)
            g = m.get("grad_theta")
            canvas.text(half + 1, 0, f"|grad θ| {fmt_value(abs(g) if g is not None else None)}, log scale", 0)
        return canvas

    def _draw_vae(self, frame: Frame, width: int, height: int) -> Canvas:
        kl = frame.kl_per_dim if frame.kl_per_dim is not None else np.zeros(0)
        active = frame.metrics.get("active_units")
        self.set_title(f"latent means · KL per dim · active units {fmt_value(active)}/{len(kl)}")
        canvas = Canvas(width, height)
        bars_w = min(max(3 * len(kl) + 6, 14), width // 2)
        latent = frame.latent
        if latent is not None and len(latent):
            labels = frame.real_labels if frame.real_labels is not None else np.zeros(len(latent), int)
            layers = [(latent[labels == k], colors.cluster_color(k)) for k in np.unique(labels)]
            lo, hi = pad_range(float(np.min(latent)), float(np.max(latent)))
            lo, hi = min(lo, -1.0), max(hi, 1.0)
            canvas.paste(scatter_chart(width - bars_w, height, layers, (lo, hi, lo, hi)), 0, 0)
        if len(kl):
            x0 = width - bars_w + 1
            vmax = max(float(np.nanmax(kl)), 0.1)
            canvas.text(x0, 0, f"max {fmt_value(vmax)}", colors.AXIS)
            ids = np.where(kl >= 0.01, colors.PRIOR, colors.AXIS).astype(np.int32)
            vbars(canvas, x0, 1, max(1, height - 2), kl, vmax, ids)
            for i in range(len(kl)):
                canvas.text(x0 + 3 * i, height - 1, f"z{i}"[:2], colors.AXIS)
        return canvas
