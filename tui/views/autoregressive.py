"""The autoregressive family's view: an exact density, one coordinate at a time.

- The picture: model samples (yellow) and data (white, on top) over the model's own log-density
  (dark purple = low, blue-teal = high; exact, not estimated), with the slice x_first = a as a dotted line;
  beside it (wide panel) or below it, the conditional p(second | first = a) of the model against
  the data's true conditional (dashed). `{` and `}` move the slice a.
- The lesson panel: the marginal p(first) of the model against the data's (dashed), the slice
  marked, and the likelihood's numbers: nll against its floor, the data's entropy.
"""

from __future__ import annotations

import numpy as np
from rich.text import Text

from genstep.engine.frame import Frame
from genstep.tui.render import colors
from genstep.tui.render.axes import draw_axes, fmt_value, legend
from genstep.tui.render.canvas import Canvas
from genstep.tui.render.cells import heatmap
from genstep.tui.render.charts import Marker, Series, line_chart
from genstep.tui.render.dots import line, scatter, vline
from genstep.tui.views import register_view
from genstep.tui.views.base import STYLES, Panel, View

C = colors.CATEGORICAL
MODEL = C[0]  # the model's curves (orange), against the data's (white, dashed)
TRUE = colors.REAL
SLICE = colors.MARKER
DENSITY = colors.SEQUENTIAL[: len(colors.SEQUENTIAL) * 2 // 5]  # the dark part: dots stay readable
LOG_RANGE = 8.0  # nats of log-density the heat map spans below its maximum


def names(order: str) -> tuple[str, str]:
    """(first, second) coordinate names in the chain rule's order."""
    return ("x1", "x2") if order == "x1x2" else ("x2", "x1")


class ArView(View):
    curve_groups = {
        "losses": ("likelihood (nats): nll ≥ entropy", ("loss", "nll", "entropy")),
        "divergences": ("KL(data ‖ model) (nats), samples", ("kl_data_model", "hq", "w1")),
    }
    styles = {**STYLES, "nll": (C[1], False), "entropy": (C[2], True), "kl_data_model": (C[5], False),
              "hq": (C[2], False), "w1": (C[1], False)}
    cursor = "the conditional's slice"
    picture_caption = ("data vs model samples, over the model's density", "samples, density")
    lesson_title = "marginal"

    def __init__(self) -> None:
        self.index: int | None = None  # which of the payload's slices; None = the one nearest 0

    # -- the slice --------------------------------------------------------------------------------
    def _slice(self, frame: Frame) -> int:
        slices = frame.payload.slices
        if self.index is None:
            return int(np.abs(slices).argmin())
        return int(np.clip(self.index, 0, len(slices) - 1))

    def move_cursor(self, frame: Frame | None, direction: int) -> str:
        if frame is None or frame.payload is None:
            return ""
        i = self._slice(frame) + (1 if direction > 0 else -1)
        self.index = int(np.clip(i, 0, len(frame.payload.slices) - 1))
        first, second = names(frame.payload.order)
        return f"slice {first} = {frame.payload.slices[self.index]:.2f}: p({second} | {first} = a) in the picture"

    # -- the picture ------------------------------------------------------------------------------
    def headline(self, frame: Frame) -> str:
        kl, k = frame.metrics.get("kl_data_model"), frame.metrics.get("components")
        parts = [f"KL {fmt_value(kl)}"] if kl is not None else []
        if k is not None:
            parts.append(f"K={fmt_value(k)}")
        return " ".join(parts)

    def picture(self, panel: Panel, frame: Frame, width: int, height: int) -> Canvas:
        panel.set_title(self.titled(frame))
        canvas = Canvas(width, height)
        if frame.payload is None:
            return canvas
        if width >= 2.6 * height:  # side by side
            left = width // 2
            canvas.paste(self._plane(panel, frame, left, height), 0, 0)
            canvas.paste(self._conditional(frame, width - left, height), left, 0)
        else:  # the plane above, the conditional below
            top = max(3, height * 3 // 5)
            canvas.paste(self._plane(panel, frame, width, top), 0, 0)
            canvas.paste(self._conditional(frame, width, height - top), 0, top)
        return canvas

    def _plane(self, panel: Panel, frame: Frame, width: int, height: int) -> Canvas:
        canvas = Canvas(width, height)
        if width < 4 or height < 2:
            return canvas
        p = frame.payload
        vp = draw_axes(canvas, frame.bounds, aspect=True)
        density = panel.hold(p.density) if panel.show_heat else None
        if density is not None:
            top = float(np.nanmax(density)) if np.isfinite(density).any() else 0.0
            heatmap(canvas, vp, density, frame.bounds, DENSITY, top - LOG_RANGE, top)
        scatter(canvas, vp, frame.fake, colors.FAKE)
        scatter(canvas, vp, frame.real, colors.REAL)  # on top: where the data are is the question
        a = float(p.slices[self._slice(frame)])  # on top: a dotted line hides few points
        if p.order == "x1x2":
            vline(canvas, vp, [a], SLICE)
        else:
            line(canvas, vp, [vp.xmin, vp.xmax], [a, a], SLICE, dashed=True)
        return canvas

    def _conditional(self, frame: Frame, width: int, height: int) -> Canvas:
        p = frame.payload
        i = self._slice(frame)
        first, second = names(p.order)
        series = [Series("model", p.grid, p.conditional[i], MODEL)]
        if p.conditional_true is not None:  # dashed, on top: where the model matches, both show
            series.append(Series("data", p.grid, p.conditional_true[i], TRUE, dashed=True))
        canvas = Canvas(width, height)
        canvas.paste(line_chart(width, height - 1, series, xrange=(float(p.grid[0]), float(p.grid[-1]))), 0, 1)
        canvas.text(1, 0, f"p({second} | {first} = {p.slices[i]:.2f})  {{ }} move"[: max(0, width - 1)], 0)
        return canvas

    def picture_legend(self, panel: Panel, frame: Frame) -> Text:
        items = [("data", colors.REAL), ("model", colors.FAKE), ("p(·|a)", MODEL, "━"), ("true", TRUE, "┅"),
                 ("slice", SLICE, "┊")]
        return legend(items)

    # -- the lesson panel -------------------------------------------------------------------------
    def lesson(self, panel: Panel, frame: Frame, width: int, height: int) -> Canvas:
        canvas = Canvas(width, height)
        p = frame.payload
        if p is None:
            return canvas
        first, _ = names(p.order)
        m = frame.metrics
        panel.set_title(f"p({first}): model vs data · K = {p.components}")
        nll, h, se = m.get("nll"), m.get("entropy"), m.get("entropy_se")
        head = f"nll {fmt_value(nll)}"
        if h is not None:
            head += f" ≥ entropy {h:.3f} ± {se:.3f}   KL {fmt_value(m.get('kl_data_model'))} nats"
        canvas.text(1, 0, head[: max(0, width - 1)], 0)
        series = [Series("model", p.axis, p.marginal, MODEL)]
        if p.marginal_true is not None:
            series.append(Series("data", p.axis, p.marginal_true, TRUE, dashed=True))
        a = float(p.slices[self._slice(frame)])
        chart = line_chart(width, height - 1, series, [Marker(a, f"{first}={a:.2f}", SLICE)],
                           xrange=(float(p.axis[0]), float(p.axis[-1])))
        canvas.paste(chart, 0, 1)
        return canvas

    def lesson_legend(self, panel: Panel, frame: Frame) -> Text:
        return legend([("model", MODEL, "━"), ("data", TRUE, "┅"), ("slice", SLICE, "┊")])


register_view("autoregressive", ArView)
