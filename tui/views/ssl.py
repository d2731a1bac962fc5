"""The self-supervised family's view: where the embeddings are, and how many directions they use.

- The picture (`{` / `}` switch it): "embeddings", the PCA of the l2-normalised embeddings of the
  probe's points, one colour per cluster, on a fixed scale (the unit sphere's), so a collapse
  shows as one dot and not as noise blown up; beside it the spectrum of singular values as bars
  of log10(sigma_k / sqrt(N)) over four decades (one bar left = collapse to a point; a short
  tail = dimensional collapse). Or "data": the data with its two augmented views.
- The lesson panel (tall terminals): the other picture, and the numbers of the lesson: z_std
  against 1/sqrt(d), eff_rank out of d, probe_acc against chance.
- Curves: the loss (titled by the objective) and the two numbers that tell collapse apart from
  a perfect loss: probe_acc and z_std.
"""

from __future__ import annotations

import math

import numpy as np
from rich.text import Text

from genstep.engine.frame import Frame
from genstep.tui.render import colors
from genstep.tui.render.axes import fmt_value, legend
from genstep.tui.render.canvas import Canvas
from genstep.tui.render.cells import vbars
from genstep.tui.render.charts import scatter_chart
from genstep.tui.views import register_view
from genstep.tui.views.base import STYLES, Panel, View

C = colors.CATEGORICAL
VIEW_B = colors.PRIOR  # the second augmented view (the first is the frame's `fake`)
TEXT = colors.NOW  # the lesson panel's numbers: an explicit colour, never the default beside braille
DECADES = 4  # the spectrum's bars span this many powers of ten below sigma / sqrt(N) = 1
PICTURES = ("embeddings", "data")
LOSS_TITLES = {
    "simsiam": "loss −cos(h(z₁), sg(z₂)): −1 = views agree",
    "byol": "loss −cos(h(z₁), target(z₂)): −1 = views agree",
    "simclr": "loss InfoNCE (τ)",
    "barlow": "loss Σ(1−C_ii)² + λ·Σ C_ij²",
}


def _cluster_layers(points: np.ndarray, labels: np.ndarray | None) -> list[tuple[np.ndarray, int]]:
    if labels is None or len(labels) != len(points):
        return [(points, colors.REAL)]
    return [(points[labels == k], colors.cluster_color(k)) for k in np.unique(labels)]


def embedding_chart(frame: Frame, width: int, height: int) -> Canvas:
    """PCA of the normalised embeddings, coloured by cluster; at least [-1, 1] on both axes."""
    pca = frame.payload.pca
    half = max(1.0, float(np.abs(pca).max()) * 1.05) if len(pca) else 1.0
    return scatter_chart(width, height, _cluster_layers(pca, frame.real_labels), (-half, half, -half, half))


def spectrum_bars(frame: Frame, width: int, height: int) -> Canvas:
    """log10(sigma_k / sqrt(N)) as bars from 10^-DECADES to 1, the largest first, as many as fit
    (a bar holding at least 1% of the largest is green); the rows below say how many hold 1%."""
    canvas = Canvas(width, height)
    s = np.asarray(frame.payload.spectrum, float)
    if width < 6 or height < 5 or not len(s):
        return canvas
    n = max(len(frame.real), 1)
    shown = s[:width]
    gap = 1 if 2 * len(shown) - 1 <= width else 0
    logs = np.log10(np.maximum(shown, 1e-30) / math.sqrt(n))
    ids = np.where(shown >= 0.01 * s[0], colors.GOOD, colors.AXIS).astype(np.int32)
    canvas.text(0, 0, "σ/√N: 1"[:width], colors.AXIS)
    vbars(canvas, 0, 1, height - 3, logs + DECADES, DECADES, ids, bar_w=1, gap=gap)
    canvas.text(0, height - 2, f"1e-{DECADES}" + (f" top {len(shown)}" if len(shown) < len(s) else ""), colors.AXIS)
    used = int((s >= 0.01 * s[0]).sum()) if s[0] > 0 else 0
    canvas.text(0, height - 1, f"{used} of {len(s)} ≥1%"[:width], colors.GOOD if used > 1 else colors.BAD)
    return canvas


def data_chart(frame: Frame, width: int, height: int) -> Canvas:
    layers = [(frame.fake, colors.FAKE), (frame.payload.view_b, VIEW_B), (frame.real, colors.REAL)]
    return scatter_chart(width, height, layers, frame.bounds)


class SslView(View):
    curve_groups = {
        "losses": ("loss", ("loss",)),
        "divergences": ("linear probe and z_std", ("probe_acc", "z_std")),
    }
    styles = {**STYLES, "loss": (int(C[0]), False), "probe_acc": (int(C[2]), False), "z_std": (int(C[1]), False)}
    cursor = "picture"
    lesson_title = "the numbers of collapse"

    def __init__(self) -> None:
        self.showing = PICTURES[0]

    # -- the picture ----------------------------------------------------------------------------
    def headline(self, frame: Frame) -> str:
        m = frame.metrics
        if frame.payload is None or m.get("z_std") is None:
            return ""
        return f"z_std {m['z_std']:.3f} · rank {m['eff_rank']:.1f}/{len(frame.payload.spectrum)}"

    def move_cursor(self, frame: Frame | None, direction: int) -> str:
        i = PICTURES.index(self.showing)
        self.showing = PICTURES[(i + (1 if direction > 0 else -1)) % len(PICTURES)]
        return f"picture: {self.showing}"

    def picture(self, panel: Panel, frame: Frame, width: int, height: int) -> Canvas:
        if frame.payload is None:
            return super().picture(panel, frame, width, height)
        if self.showing == "data":
            panel.set_title(self.titled(frame, ("data and its two augmented views", "views")))
            return data_chart(frame, width, height)
        panel.set_title(self.titled(frame, ("embeddings (PCA) · singular values", "PCA")))
        return self._embeddings(frame, width, height)

    def _embeddings(self, frame: Frame, width: int, height: int) -> Canvas:
        canvas = Canvas(width, height)
        d = len(frame.payload.spectrum)
        bars = min(max(14, width // 3), 2 * d - 1 if width >= 5 * d else d)  # the rest goes to the PCA
        canvas.paste(embedding_chart(frame, width - bars - 1, height), 0, 0)
        canvas.paste(spectrum_bars(frame, bars, height), width - bars, 0)
        return canvas

    def picture_legend(self, panel: Panel, frame: Frame) -> Text:
        if self.showing == "data":
            return legend([("data", colors.REAL), ("view 1", colors.FAKE), ("view 2", VIEW_B)])
        return Text("colour = cluster; bars = log singular values ({ } switch)")

    # -- the lesson panel -----------------------------------------------------------------------
    def lesson(self, panel: Panel, frame: Frame, width: int, height: int) -> Canvas:
        panel.set_title(self.lesson_title)
        canvas = Canvas(width, height)
        if frame.payload is None:
            return canvas
        text_w = min(44, width // 2)
        other = data_chart if self.showing == "embeddings" else embedding_chart
        canvas.paste(other(frame, width - text_w, height), 0, 0)
        x = width - text_w + 1
        for row, (line, color) in enumerate(self._numbers(frame)[:height]):
            canvas.text(x, row, line[: text_w - 1], color)
        return canvas

    def _numbers(self, frame: Frame) -> list[tuple[str, int]]:
        m, k = frame.metrics, frame.knobs
        d = len(frame.payload.spectrum)
        labels = frame.real_labels
        chance = 1.0 / len(np.unique(labels)) if labels is not None and len(labels) else None
        get = lambda name: fmt_value(m.get(name))  # noqa: E731
        z = m.get("z_std")
        collapsed = z is not None and z < 0.03
        lines = [
            (f"objective {k.get('objective', '?')}", TEXT),
            (f"stop_grad {k.get('stop_grad', '?')} · predictor {k.get('predictor', '?')}", TEXT),
            (f"z_std {get('z_std')}  (1/√d {1 / math.sqrt(d):.3f})", colors.BAD if collapsed else colors.GOOD),
            (f"eff_rank {get('eff_rank')} of {d}", TEXT),
            (f"probe_acc {get('probe_acc')}  (chance {fmt_value(chance)})", TEXT),
            (f"alignment {get('alignment')}", TEXT),
            (f"uniformity {get('uniformity')}", TEXT),
            (f"loss {get('loss')}", TEXT),
        ]
        if collapsed:
            lines.append(("collapsed: one point", colors.BAD))
        return lines

    def lesson_legend(self, panel: Panel, frame: Frame) -> Text:
        return Text("data and views" if self.showing == "embeddings" else "embeddings (PCA)")

    # -- curves ---------------------------------------------------------------------------------
    def curves(self, group: str, frame: Frame) -> tuple[str, list[str]]:
        title, names = super().curves(group, frame)
        if group == "losses":
            title = LOSS_TITLES.get(str(frame.knobs.get("objective")), title)
        return title, names


register_view("ssl", SslView)
