"""The 2D picture: what the model makes of the plane, per family.

- GAN family: data (white) and generated points (yellow) in braille over the critic's heat map
  (blue = "fake", orange = "real"), with the generator's descent directions as arrows on request.
- Disjoint supports (the frame has a theta landscape): the two lines above, and below them JS and
  W1 as functions of theta with the generator's current theta marked.
- VAE: data, reconstructions and samples from the prior, drawn prior first (it spreads widest once
  the latent is in use), then data, then reconstructions on top: where they sit is the lesson.
"""

from __future__ import annotations

import time

import numpy as np
from rich.text import Text

from engine.frame import Frame
from tui.render import colors
from tui.render.axes import fmt_value, legend
from tui.render.canvas import Canvas
from tui.render.charts import Marker, Series, line_chart, scatter_chart

from .chart import ChartView

HEAT_EVERY_S = 0.4  # the heat map follows the run at ~2.5 Hz; the points at the full rate


class PicturePanel(ChartView):
    """Samples over the plane; the heat map refreshes more slowly than the points."""

    DEFAULT_CSS = """
    PicturePanel { width: 1fr; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.show_arrows = False
        self.show_heat = True
        self.live = False  # while training runs, the heat map is held for HEAT_EVERY_S
        self._heat: np.ndarray | None = None
        self._heat_t = 0.0

    def configure(self, *, arrows: bool, heat: bool, live: bool) -> None:
        self.show_arrows, self.show_heat, self.live = arrows, heat, live
        self.set_options(arrows, heat)

    def legend(self, frame: Frame) -> Text:
        if frame.family == "vae":
            return legend([("data", colors.REAL), ("recon", colors.RECON), ("prior", colors.PRIOR)])
        items = [("data", colors.REAL), ("generated", colors.FAKE)]
        if frame.theta is not None:
            items += [("JS(θ)", int(colors.CATEGORICAL[0]), "━"), ("W1(θ)", int(colors.CATEGORICAL[1]), "━")]
        text = legend(items)
        if frame.heat is not None and self.show_heat:
            text.append("  critic: fake ")
            for cid in colors.DIVERGING:
                text.append("█", style=colors.style_of(int(cid), 0))
            text.append(" real")
        return text

    def _heat_for(self, frame: Frame) -> np.ndarray | None:
        if frame.heat is None or not self.show_heat:
            return None
        now = time.monotonic()
        if self._heat is None or not self.live or now - self._heat_t >= HEAT_EVERY_S:
            self._heat, self._heat_t = frame.heat, now
        return self._heat

    def draw(self, frame: Frame, width: int, height: int) -> Canvas:
        if frame.family == "vae":
            self.set_title(_with_count(frame, "data · reconstructions · prior samples", "data, recon, prior"))
            layers = [(frame.fake, colors.PRIOR), (frame.real, colors.REAL), (frame.recon, colors.RECON)]
            return scatter_chart(width, height, layers, frame.bounds)
        layers = [(frame.real, colors.REAL), (frame.fake, colors.FAKE)]
        arrows = frame.arrows if self.show_arrows else None
        heat = self._heat_for(frame)
        if frame.theta is None:
            self.set_title(_with_count(frame, "data vs generator, over the critic", "data vs generator, critic"))
            return scatter_chart(width, height, layers, frame.bounds, heat=heat, arrows=arrows)
        # disjoint supports: the lines on top, the divergences against theta below
        self.set_title("two lines · JS and W1 against θ")
        canvas = Canvas(width, height)
        top = max(3, height * 11 // 20)
        canvas.paste(scatter_chart(width, top, layers, frame.bounds, heat=heat, arrows=arrows), 0, 0)
        land = frame.theta
        series = [
            Series("JS", land.theta, land.js, colors.CATEGORICAL[0]),
            Series("W1", land.theta, land.w1, colors.CATEGORICAL[1]),
        ]
        mark = [Marker(land.current, f"θ={fmt_value(land.current)}", colors.NOW)]
        lo, hi = float(np.min(land.theta)), float(np.max(land.theta))
        chart = line_chart(width, height - top, series, mark, xrange=(lo, hi))
        canvas.paste(chart, 0, top)
        return canvas


def _with_count(frame: Frame, title: str, short: str) -> str:
    """The lesson's headline number first (it must survive a narrow terminal, where the lesson
    panel is hidden), then what the picture shows (in short, beside the number)."""
    m = frame.metrics
    if frame.family == "vae" and m.get("active_units") is not None and frame.kl_per_dim is not None:
        return f"active units {fmt_value(m['active_units'])}/{len(frame.kl_per_dim)} · {short}"
    if m.get("modes") is not None and m.get("modes_total"):
        return f"modes {fmt_value(m['modes'])}/{fmt_value(m['modes_total'])} · {short}"
    return title
