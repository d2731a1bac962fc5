"""The VAE family's view.

- The picture: data, reconstructions and samples from the prior, drawn prior first (it spreads
  widest once the latent is in use), then data, then reconstructions on top: where they sit is
  the lesson.
- The lesson panel: posterior means coloured by the cluster of their data point, and the KL of
  each latent dimension as bars (a dimension whose bar is flat is inactive: posterior collapse).
"""

from __future__ import annotations

import numpy as np
from rich.text import Text

from genstep.engine.frame import Frame
from genstep.tui.render import colors
from genstep.tui.render.axes import fmt_value, legend, pad_range
from genstep.tui.render.canvas import Canvas
from genstep.tui.render.cells import vbars
from genstep.tui.render.charts import scatter_chart
from genstep.tui.views import register_view
from genstep.tui.views.base import Panel, View


class VaeView(View):
    curve_groups = {
        "losses": ("loss = recon + β·KL", ("loss", "recon", "kl")),
        "divergences": ("KL and mutual information (nats)", ("kl", "mi")),
    }
    picture_caption = ("data · reconstructions · prior samples", "data, recon, prior")

    def headline(self, frame: Frame) -> str:
        active = frame.metrics.get("active_units")
        if active is None or frame.payload is None:
            return ""
        return f"active units {fmt_value(active)}/{len(frame.payload.kl_per_dim)}"

    def picture(self, panel: Panel, frame: Frame, width: int, height: int) -> Canvas:
        panel.set_title(self.titled(frame))
        layers = [(frame.fake, colors.PRIOR), (frame.real, colors.REAL), (frame.payload.recon, colors.RECON)]
        return scatter_chart(width, height, layers, frame.bounds)

    def picture_legend(self, panel: Panel, frame: Frame) -> Text:
        return legend([("data", colors.REAL), ("recon", colors.RECON), ("prior", colors.PRIOR)])

    def lesson_legend(self, panel: Panel, frame: Frame) -> Text:
        return Text("colour = cluster of the data point; bars = KL per dim")

    def lesson(self, panel: Panel, frame: Frame, width: int, height: int) -> Canvas:
        p = frame.payload
        kl = p.kl_per_dim if p.kl_per_dim is not None else np.zeros(0)
        active = frame.metrics.get("active_units")
        panel.set_title(f"latent means · KL per dim · active units {fmt_value(active)}/{len(kl)}")
        canvas = Canvas(width, height)
        bars_w = min(max(3 * len(kl) + 6, 14), width // 2)
        latent = p.latent
        if latent is not None and len(latent):
            labels = frame.real_labels if frame.real_labels is not None else np.zeros(len(latent), int)
            layers = [(latent[labels == k], colors.cluster_color(k)) for k in np.unique(labels)]
            lo, hi = pad_range(float(np.min(latent)), float(np.max(latent)))
            lo, hi = min(lo, -1.0), max(hi, 1.0)
            canvas.paste(scatter_chart(width - bars_w, height, layers, (lo, hi, lo, hi)), 0, 0)
        kl_bars(canvas, width - bars_w + 1, height, kl)
        return canvas


def kl_bars(canvas: Canvas, x0: int, height: int, kl: np.ndarray) -> None:
    """The KL of each latent dimension as a bar from column x0 (grey below 0.01 nats: inactive)."""
    if not len(kl):
        return
    vmax = max(float(np.nanmax(kl)), 0.1)
    canvas.text(x0, 0, f"max {fmt_value(vmax)}", colors.AXIS)
    ids = np.where(kl >= 0.01, colors.PRIOR, colors.AXIS).astype(np.int32)
    vbars(canvas, x0, 1, max(1, height - 2), kl, vmax, ids)
    for i in range(len(kl)):
        canvas.text(x0 + 3 * i, height - 1, f"z{i}"[:2], colors.AXIS)


register_view("vae", VaeView)
