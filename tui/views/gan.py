"""The adversarial family's views.

- `GanView`: data (white) and generated points (yellow) in braille over the critic's heat map
  (blue = "fake", orange = "real"), with the generator's descent directions as arrows on request;
  the lesson panel shows which modes are captured (● captured, ○ missed, at their places on the
  plane), the counts (modes, high-quality fraction) and the history of `modes`.
- `DisjointView` (the one-parameter generator of the disjoint-supports lesson): the two lines
  above, and below them JS and W1 as functions of theta with the generator's current theta
  marked; the lesson panel shows theta against steps and the size of its gradient on a log scale
  (the vanishing JS gradient is orders of magnitude below the Wasserstein gradient of size 1).
- `LayersView` (a critic probed layer by layer, `model.layer_grads`): the critic's value surface
  under the samples, and below it one bar per layer for the norm of the gradient that reaches the
  layer, on a log scale, from the output layer (where backprop starts) to the input layer; the
  lesson panel adds the input/output ratio and the Lipschitz estimate against steps, also in log10.
"""

from __future__ import annotations

import numpy as np
from rich.text import Text

from genstep.engine.frame import Frame
from genstep.tui.render import colors
from genstep.tui.render.axes import draw_axes, fmt_value, legend
from genstep.tui.render.canvas import Canvas
from genstep.tui.render.cells import vbars
from genstep.tui.render.charts import Marker, Series, line_chart, scatter_chart
from genstep.tui.views import register_view
from genstep.tui.views.base import Panel, View


class GanView(View):
    curve_groups = {
        "losses": ("losses", ("loss_d", "loss_g")),
        "divergences": ("divergences (dashed: closed form)", ("js_grid", "js_true", "w1", "w1_true", "kl_grid")),
    }
    picture_caption = ("data vs generator, over the critic", "data vs generator, critic")
    lesson_title = "mode coverage"

    def headline(self, frame: Frame) -> str:
        m = frame.metrics
        if m.get("modes") is not None and m.get("modes_total"):
            return f"modes {fmt_value(m['modes'])}/{fmt_value(m['modes_total'])}"
        return ""

    def _layers(self, panel: Panel, frame: Frame):
        p = frame.payload
        layers = [(frame.real, colors.REAL), (frame.fake, colors.FAKE)]
        if p.raw is not None:  # rejection sampling: the generator's own samples, dim, under the kept ones
            layers.insert(1, (p.raw, colors.REJECTED))
        arrows = p.arrows if panel.show_arrows else None
        heat = panel.hold(p.heat) if panel.show_heat and p.heat is not None else None
        return layers, heat, arrows

    def picture(self, panel: Panel, frame: Frame, width: int, height: int) -> Canvas:
        panel.set_title(self.titled(frame))
        layers, heat, arrows = self._layers(panel, frame)
        return scatter_chart(width, height, layers, frame.bounds, heat=heat, arrows=arrows)

    def _items(self, frame: Frame) -> list[tuple]:
        if frame.payload.raw is not None:
            return [("data", colors.REAL), ("kept", colors.FAKE), ("G(z)", colors.REJECTED)]
        return [("data", colors.REAL), ("generated", colors.FAKE)]

    def picture_legend(self, panel: Panel, frame: Frame) -> Text:
        text = legend(self._items(frame))
        if frame.payload.heat is not None and panel.show_heat:
            text.append("  critic: fake ")
            for cid in colors.DIVERGING:
                text.append("█", style=colors.style_of(int(cid), 0))
            text.append(" real")
        return text

    def lesson_legend(self, panel: Panel, frame: Frame) -> Text:
        return Text.assemble(("●", colors.style_of(colors.GOOD, 0)), " captured  ",
                             ("○", colors.style_of(colors.BAD, 0)), " missed")

    def lesson(self, panel: Panel, frame: Frame, width: int, height: int) -> Canvas:
        panel.set_title(self.lesson_title)
        m = frame.metrics
        canvas = Canvas(width, height)
        modes, total, hq = m.get("modes"), m.get("modes_total"), m.get("hq")
        head = f"modes {fmt_value(modes)}/{fmt_value(total)}   high quality {f'{100 * hq:.0f}' if hq is not None else '—'}%"
        if frame.payload.raw is not None and m.get("hq_raw") is not None:  # rejection sampling on
            head += f"   G(z): {fmt_value(m.get('modes_raw'))}, {100 * m['hq_raw']:.0f}%   kept {100 * m['accept_rate']:.0f}%"
        canvas.text(1, 0, head, 0)
        if frame.payload.mode_centres is None:
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


def _modes_map(canvas: Canvas, frame: Frame, width: int, height: int) -> None:
    """Mode centres as ● (captured) or ○ (missed) at their places, in a width x height box."""
    centres, captured = frame.payload.mode_centres, frame.payload.captured
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


class DisjointView(GanView):
    curve_groups = {  # the grid KL (several nats) would flatten JS and W1 with their closed forms
        "losses": GanView.curve_groups["losses"],
        "divergences": ("divergences (dashed: closed form)", ("js_grid", "js_true", "w1", "w1_true")),
    }

    def _items(self, frame: Frame) -> list[tuple]:
        return super()._items(frame) + [("JS(θ)", int(colors.CATEGORICAL[0]), "━"),
                                        ("W1(θ)", int(colors.CATEGORICAL[1]), "━")]

    def picture(self, panel: Panel, frame: Frame, width: int, height: int) -> Canvas:
        """The lines on top, the divergences against theta below."""
        panel.set_title("two lines · JS and W1 against θ")
        layers, heat, arrows = self._layers(panel, frame)
        canvas = Canvas(width, height)
        top = max(3, height * 11 // 20)
        canvas.paste(scatter_chart(width, top, layers, frame.bounds, heat=heat, arrows=arrows), 0, 0)
        land = frame.payload.theta
        series = [
            Series("JS", land.theta, land.js, colors.CATEGORICAL[0]),
            Series("W1", land.theta, land.w1, colors.CATEGORICAL[1]),
        ]
        mark = [Marker(land.current, f"θ={fmt_value(land.current)}", colors.NOW)]
        lo, hi = float(np.min(land.theta)), float(np.max(land.theta))
        canvas.paste(line_chart(width, height - top, series, mark, xrange=(lo, hi)), 0, top)
        return canvas

    def lesson_legend(self, panel: Panel, frame: Frame) -> Text:
        return Text("the Wasserstein gradient has size 1 all the way")

    def lesson(self, panel: Panel, frame: Frame, width: int, height: int) -> Canvas:
        panel.set_title("θ and the size of its gradient")
        m = frame.metrics
        canvas = Canvas(width, height)
        canvas.text(1, 0, f"θ {fmt_value(m.get('theta'))}", 0)
        xr = (0.0, max(float(frame.step), 10.0))
        markers = [Marker(e.step, f"{e.knob}={e.new}") for e in frame.events]
        half = width // 2
        theta = frame.history.get("theta")
        if theta is None:
            return canvas
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


def layer_bars(frame: Frame, width: int, height: int) -> Canvas:
    """log10 of each layer's gradient norm as a bar, output layer first; the decades span at least
    1e-2 .. 1e2, so a flat row of bars near 1 reads as flat. Green within a decade of 1, else orange."""
    canvas = Canvas(width, height)
    norms = frame.payload.grad_norms if frame.payload is not None else None
    if norms is None or len(norms) == 0 or width < 8 or height < 3:
        return canvas
    logs = np.log10(np.maximum(np.asarray(norms, float), 1e-30))
    lo = min(-2.0, float(np.floor(logs.min())))
    hi = max(2.0, float(np.ceil(logs.max())))
    label = max(len(f"1e{int(lo)}"), len(f"1e{int(hi)}"))
    canvas.text(0, 0, f"1e{int(hi)}", colors.AXIS)
    canvas.text(0, height - 2, f"1e{int(lo)}", colors.AXIS)
    one = height - 2 - int(round((0.0 - lo) / (hi - lo) * (height - 2)))  # the row of 1 = 1e0
    if 0 < one < height - 2:
        canvas.text(0, one, "1".rjust(label), colors.AXIS)
    room = width - label - 1
    bar_w = max(1, min(4, (room + 1) // len(logs) - 1))
    ids = np.where(np.abs(logs) <= 1.0, colors.GOOD, colors.BAD).astype(np.int32)
    vbars(canvas, label + 1, 0, height - 1, logs - lo, hi - lo, ids, bar_w=bar_w, gap=1)
    canvas.text(label + 1, height - 1, "out → in"[: max(0, room)], colors.AXIS)
    return canvas


class LayersView(GanView):
    def headline(self, frame: Frame) -> str:
        r = frame.metrics.get("grad_norm_ratio")
        return f"in/out {r:.0e}" if r is not None else super().headline(frame)

    def picture(self, panel: Panel, frame: Frame, width: int, height: int) -> Canvas:
        """The critic's value surface under the samples on top, the per-layer bars below."""
        panel.set_title(self.titled(frame, ("critic f(x) · gradient per layer (log)", "critic · per layer")))
        layers, heat, arrows = self._layers(panel, frame)
        canvas = Canvas(width, height)
        bars = max(4, height // 3) if height >= 12 else 0
        canvas.paste(scatter_chart(width, height - bars, layers, frame.bounds, heat=heat, arrows=arrows), 0, 0)
        if bars:
            canvas.paste(layer_bars(frame, width, bars), 0, height - bars)
        return canvas

    def lesson_legend(self, panel: Panel, frame: Frame) -> Text:
        return legend([("in/out", int(colors.CATEGORICAL[0])), ("Lipschitz (log10)", int(colors.CATEGORICAL[1]))],
                      glyph="━")

    def lesson(self, panel: Panel, frame: Frame, width: int, height: int) -> Canvas:
        """Per-layer bars on the left; log10 of grad_norm_ratio and lipschitz_est against steps."""
        panel.set_title("the critic's gradient, layer by layer")
        m = frame.metrics
        canvas = Canvas(width, height)
        ratio, lip = m.get("grad_norm_ratio"), m.get("lipschitz_est")
        canvas.text(1, 0, f"in/out {fmt_value(ratio)}  Lipschitz ≥ {fmt_value(lip)}", 0)
        half = min(width // 2, 6 + 5 * len(frame.payload.grad_norms)) if frame.payload.grad_norms is not None else 0
        if half:
            canvas.paste(layer_bars(frame, half, height - 1), 0, 1)
        series = []
        for name, color in (("grad_norm_ratio", colors.CATEGORICAL[0]), ("lipschitz_est", colors.CATEGORICAL[1])):
            c = frame.history.get(name)
            if c is not None and len(c.values):
                logs = np.log10(np.maximum(np.abs(c.values.astype(np.float64)), 1e-30))
                series.append(Series(f"log10 {name}", c.steps, logs, color))
        if series and width - half > 12:
            markers = [Marker(e.step, f"{e.knob}={e.new}") for e in frame.events]
            xr = (0.0, max(float(frame.step), 10.0))
            canvas.paste(line_chart(width - half, height - 1, series, markers, xrange=xr), half, 1)
        return canvas


register_view("gan", GanView)
register_view("gan-disjoint", DisjointView)
register_view("gan-layers", LayersView)
