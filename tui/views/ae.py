"""The autoencoder family's view: the VAE's picture, plus two planes that make its lessons visible.

- The rate-distortion plane (Alemi et al. 2018): the run's path through (rate, distortion), its
  latest point, and the line rate + distortion = H(data), the data's entropy: -ELBO is never below
  it, so no model lies under the line, and a VAE at beta = 1 sits as close to it as its networks
  allow. Knob changes are marked on the path, so moving beta shows as the point sliding along the
  frontier. A deterministic encoder has infinite rate: it is drawn as an arrow off the right edge
  at its distortion.
- The latent plane: the codes of the data points, one draw z ~ q(z|x) each (the posterior mean for a
  deterministic encoder), coloured by the mode of their point, against the prior's contours at 1, 2
  and 3 standard deviations: the decoder is trained where the codes are, so prior mass without codes
  is the "holes"; and the KL of each latent dimension as bars.

The picture shows data, reconstructions and decoded prior samples beside one plane; the lesson
panel (tall terminals) shows the other. `{` / `}` choose the picture's plane: auto (the latent
plane until the run has a rate, then rate-distortion), rate-distortion, latent.
"""

from __future__ import annotations

import math

import numpy as np
from rich.text import Text

from genstep.engine.frame import Frame
from genstep.tui.render import colors
from genstep.tui.render.axes import draw_axes, fmt_value, legend, pad_range
from genstep.tui.render.canvas import Canvas
from genstep.tui.render.charts import scatter_chart
from genstep.tui.render.dots import Viewport, line, scatter
from genstep.tui.views import register_view
from genstep.tui.views.base import STYLES, Panel
from genstep.tui.views.vae import VaeView, kl_bars

C = colors.CATEGORICAL
PATH = int(C[2])  # the run's path on the rate-distortion plane (green: the prior samples are sky blue)
BOUND = int(C[7])  # the entropy line
SMOOTH = 25  # steps averaged per point of the path: one batch's rate and distortion are noisy
PLANES = ("auto", "rate-distortion", "latent")


def _paired(frame: Frame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(steps, rate, distortion) where both were recorded, each a running mean over SMOOTH steps."""
    r, d = frame.history.get("rate"), frame.history.get("distortion")
    if r is None or d is None or not len(r.steps):
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
    steps, ir, id_ = np.intersect1d(r.steps, d.steps, return_indices=True)
    rate, dist = r.values[ir].astype(float), d.values[id_].astype(float)
    k = min(SMOOTH, len(steps))
    if k > 1:
        kernel = np.ones(k) / k
        rate = np.convolve(rate, kernel, mode="valid")
        dist = np.convolve(dist, kernel, mode="valid")
        steps = steps[k - 1:]
    return steps, rate, dist


def _segments(vp: Viewport, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Points every half dot along the polyline through (xs, ys), in any direction (a path, not a
    curve over x)."""
    if len(xs) < 2:
        return np.stack([xs, ys], axis=1)
    cx, ry = vp.to_px(xs, ys)
    n = np.clip(np.ceil(2 * np.hypot(np.diff(cx), np.diff(ry))).astype(np.int64), 1, 400)
    t = np.concatenate([np.arange(k) / k for k in n])
    i = np.repeat(np.arange(len(n)), n)
    px = np.append(xs[:-1][i] + t * np.diff(xs)[i], xs[-1])
    py = np.append(ys[:-1][i] + t * np.diff(ys)[i], ys[-1])
    return np.stack([px, py], axis=1)


def rd_plane(frame: Frame, width: int, height: int) -> Canvas:
    """The rate-distortion plane: the bound, the run's path, knob changes on it, the latest point."""
    canvas = Canvas(width, height)
    if width < 12 or height < 4:
        return canvas
    p = frame.payload
    steps, rate, dist = _paired(frame)
    d_now = frame.metrics.get("distortion")
    d_now = d_now if d_now is not None and math.isfinite(d_now) else None
    h = p.entropy
    log_k = math.log(p.modes) if p.modes else None
    # the axes follow the bulk of the path (10th-90th percentile) and its latest point, not the first
    # steps' transient (distortion starts near 200 nats with an untrained decoder)
    r_hi = float(np.percentile(rate, 90)) if len(rate) else 0.0
    xmax = max(r_hi, float(rate[-1]) if len(rate) else 0.0, (log_k or 0.0) * 1.25, 1.0) * 1.08
    ys = [d_now] if d_now is not None else []
    if len(dist):
        ys += [float(np.percentile(dist, 10)), float(np.percentile(dist, 90)), float(dist[-1])]
    if h is not None:
        ys.append(h)  # where the bound meets rate 0
    lo, hi = pad_range(min(ys, default=0.0), max(ys, default=1.0))
    vp = draw_axes(canvas, (0.0, xmax, lo, hi))
    if h is not None:  # distortion = h - rate, the part inside the plot
        x0, x1 = max(0.0, h - hi), min(xmax, h - lo)
        if x1 > x0:
            line(canvas, vp, np.array([x0, x1]), np.array([h - x0, h - x1]), BOUND, dashed=True)
    if log_k is not None:  # the rate that names one mode of K: below it, modes must merge
        xs = np.full(2 * vp.h, log_k)
        scatter(canvas, vp, np.stack([xs, np.linspace(lo, hi, len(xs))], axis=1)[::2], colors.AXIS)
        canvas.text(vp.x0 + vp.col_of(log_k) + 1, vp.y0 + vp.h - 1, f"log {p.modes}", colors.AXIS)
    if len(rate):
        scatter(canvas, vp, _segments(vp, rate, dist), PATH)
        for e in frame.events:  # where the run was when a knob changed
            i = int(np.searchsorted(steps, e.step))
            if i < len(steps):
                c, r = vp.to_px(np.array([rate[i]]), np.array([dist[i]]))
                x, y = vp.x0 + int(c[0] // 2), vp.y0 + int(r[0] // 4)
                if 0 <= y < vp.y0 + vp.h:
                    canvas.text(min(x, width - 1), y, "◆", colors.MARKER)
    if not p.stochastic and d_now is not None:
        _, r = vp.to_px(np.array([xmax]), np.array([d_now]))
        y = vp.y0 + int(np.clip(r[0] // 4, 0, vp.h - 2))  # clear of the bottom row's "log K"
        label = "AE: rate ∞ →"
        canvas.text(max(vp.x0, width - len(label)), y, label, colors.NOW)
    elif len(rate):
        c, r = vp.to_px(np.array([rate[-1]]), np.array([dist[-1]]))
        x, y = vp.x0 + int(np.clip(c[0] // 2, 0, vp.w - 1)), vp.y0 + int(np.clip(r[0] // 4, 0, vp.h - 1))
        canvas.text(x, y, "●", colors.NOW)
    if h is not None:  # the bound's label beside the line, one row below the top
        y = vp.y0 + 1
        row_d = hi - (hi - lo) * (1.5 / max(vp.h, 1))  # the distortion at that row's middle
        col = vp.x0 + vp.col_of(min(max(h - row_d, 0.0), xmax)) + 2
        if col + 7 <= width:
            canvas.text(col, y, "┅ R+D=H", BOUND)
    return canvas


def latent_plane(frame: Frame, width: int, height: int) -> Canvas:
    """Codes z ~ q(z|x) of the data points by cluster over the prior's 1-2-3 sd circles; KL per dim as bars."""
    p = frame.payload
    canvas = Canvas(width, height)
    kl = np.asarray(p.kl_per_dim, float)
    bars_w = min(max(3 * len(kl) + 6, 14), width // 3)
    latent = p.codes
    reach = max(3.2, float(np.nanpercentile(np.abs(latent), 99))) if len(latent) else 3.2
    lo, hi = -reach * 1.05, reach * 1.05
    theta = np.linspace(0, 2 * np.pi, 720)
    rings = [np.stack([k * np.cos(theta), k * np.sin(theta)], axis=1) for k in (1, 2, 3)]
    labels = frame.real_labels if frame.real_labels is not None else np.zeros(len(latent), int)
    layers = [(np.concatenate(rings), colors.AXIS)]
    layers += [(latent[labels == k], colors.cluster_color(k)) for k in np.unique(labels)]
    canvas.paste(scatter_chart(width - bars_w, height, layers, (lo, hi, lo, hi)), 0, 0)
    x0 = width - bars_w + 1
    if not p.stochastic:  # a point posterior: infinite KL in every dimension
        for i, text in enumerate(("KL/dim", "∞: no", "noise")):
            canvas.text(x0, i, text, colors.AXIS)
        return canvas
    kl_bars(canvas, x0, height, kl)
    return canvas


class AeView(VaeView):
    curve_groups = {  # generation first: the one curve panel of an 80x24 terminal is the lesson's
        "losses": ("generation from the prior", ("prior_hq", "latent_coverage", "prior_w1")),
        "divergences": ("rate · distortion · loss (nats)", ("loss", "distortion", "rate")),
    }
    styles = {**STYLES, "distortion": (C[0], False), "rate": (C[1], False), "prior_hq": (C[2], False),
              "latent_coverage": (C[3], False), "prior_w1": (C[4], False)}
    cursor = "the picture's plane"
    picture_caption = ("data · reconstructions · prior samples", "data, recon, prior")

    def __init__(self) -> None:
        self.plane = 0  # index into PLANES

    def _picture_plane(self, frame: Frame) -> str:
        chosen = PLANES[self.plane]
        if chosen != "auto":
            return chosen
        return "rate-distortion" if "rate" in frame.history else "latent"

    def move_cursor(self, frame: Frame | None, direction: int) -> str:
        self.plane = (self.plane + (1 if direction > 0 else -1)) % len(PLANES)
        return f"picture: data and the {PLANES[self.plane]} plane" + (
            " (latent until the run has a rate)" if PLANES[self.plane] == "auto" else "")

    def headline(self, frame: Frame) -> str:
        m = frame.metrics
        hq, rate = m.get("prior_hq"), m.get("rate")
        if frame.payload is None:
            return ""
        parts = [f"prior hq {hq:.2f}"] if hq is not None else []
        parts.append(f"rate {rate:.2f}" if frame.payload.stochastic and rate is not None else "rate ∞")
        return " · ".join(parts)

    def picture(self, panel: Panel, frame: Frame, width: int, height: int) -> Canvas:
        plane = self._picture_plane(frame)
        head = self.headline(frame)
        name = "R-D plane" if plane == "rate-distortion" else "latent plane"
        panel.set_title(f"{head} · {name}" if head else f"{self.picture_caption[0]} · {name}")
        p = frame.payload
        layers = [(frame.fake, colors.PRIOR), (frame.real, colors.REAL), (p.recon, colors.RECON)]
        draw = rd_plane if plane == "rate-distortion" else latent_plane
        canvas = Canvas(width, height)
        if width >= 2.6 * height:  # side by side
            half = width // 2
            canvas.paste(scatter_chart(half, height, layers, frame.bounds), 0, 0)
            canvas.paste(draw(frame, width - half, height), half, 0)
        else:  # one above the other
            top = max(3, height // 2)
            canvas.paste(scatter_chart(width, top, layers, frame.bounds), 0, 0)
            canvas.paste(draw(frame, width, height - top), 0, top)
        return canvas

    def picture_legend(self, panel: Panel, frame: Frame) -> Text:
        items = [("data", colors.REAL), ("recon", colors.RECON), ("prior", colors.PRIOR)]
        if self._picture_plane(frame) == "rate-distortion":
            items.append(("knob", colors.MARKER, "◆"))
        return legend(items)

    def lesson(self, panel: Panel, frame: Frame, width: int, height: int) -> Canvas:
        other = "latent" if self._picture_plane(frame) == "rate-distortion" else "rate-distortion"
        if other == "latent":
            cov = frame.metrics.get("latent_coverage")
            panel.set_title(f"codes z~q(z|x) · prior rings 1-3 sd · coverage {fmt_value(cov)}")
            return latent_plane(frame, width, height)
        rate, dist = frame.metrics.get("rate"), frame.metrics.get("distortion")
        panel.set_title(f"rate {fmt_value(rate) if frame.payload.stochastic else '∞'} · distortion {fmt_value(dist)}")
        return rd_plane(frame, width, height)

    def lesson_legend(self, panel: Panel, frame: Frame) -> Text:
        if self._picture_plane(frame) == "rate-distortion":
            return Text("colour = cluster of the data point; bars = KL per dim")
        h = frame.payload.entropy
        return Text(f"x rate, y distortion (nats); ┅ R+D = H(data) = {h:.2f}" if h is not None
                    else "x rate, y distortion (nats)")


register_view("ae", AeView)
