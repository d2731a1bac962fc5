"""The diffusion family's view: "mess it up, then Ctrl+Z".

- The picture, cursor at t = 0 (the default): data (white) and the model's samples (yellow), with
  the reverse trajectories of a few dozen points drawn as trails from noise (dark) to sample
  (bright). Cursor at t > 0 (`{` / `}` move it through 0..T): the forward process, the data noised
  to x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps (blue), against where the reverse
  chain's points are at that t (yellow): with enough small steps the two clouds look alike.
- The lesson panel: the noise-prediction loss in bands of t (the band under the cursor marked),
  and the schedule's readouts (signal_T, prior_kl, nll_bound, x0_gain) with the sampler in force.
- Curves: the training loss; W1 against its data-to-data floor (dashed).

Everything here is numpy on the Frame's arrays: the forward process at any t is computed from the
payload's alpha_bar and fixed noise, so moving the cursor needs no probe.
"""

from __future__ import annotations

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

NOISED = colors.PRIOR  # the forward process's x_t (sky blue)
TRAIL_SHADES = 4  # trails are drawn in this many shades, dark (noise) to bright (sample)
TRAIL_DOTS = 12  # dots per trail, at least, spread over its segments (a long jump still reads as a line)
CELLS_PER_TRAIL = 120  # picture cells per trail drawn: a small picture shows fewer, or they hide the data


def trail_points(trails: np.ndarray, shades: int = TRAIL_SHADES) -> list[np.ndarray]:
    """Points along every trajectory, split into `shades` groups by progress (x_T first)."""
    k, s1, _ = trails.shape
    if k == 0 or s1 < 2:
        return [np.zeros((0, 2), np.float32) for _ in range(shades)]
    per_segment = max(1, -(-TRAIL_DOTS // (s1 - 1)))
    f = np.linspace(0.0, 1.0, per_segment, endpoint=False)[None, None, :, None]
    a, b = trails[:, :-1, None, :], trails[:, 1:, None, :]
    with np.errstate(invalid="ignore", over="ignore"):  # a blown-up chain (inf) gives NaN dots, never drawn
        pts = (a + (b - a) * f).reshape(k, -1, 2)  # (K, S * per_segment, 2), in order along the trail
    progress = np.arange(pts.shape[1]) * shades // pts.shape[1]
    return [pts[:, progress == i].reshape(-1, 2) for i in range(shades)]


def trail_colors(shades: int = TRAIL_SHADES) -> list[int]:
    """Dark to middle steps of the sequential map (violet to teal): the trails recede behind the data
    (white) and the samples (yellow)."""
    cmap = colors.SEQUENTIAL
    picks = np.linspace(len(cmap) * 0.1, len(cmap) * 0.5, shades).astype(int)
    return [int(cmap[i]) for i in picks]


def reverse_at(trails: np.ndarray, trail_t: np.ndarray, t: int) -> tuple[np.ndarray, int]:
    """Where the reverse chain's points are at step t: the last point visited at or above t."""
    i = int(np.flatnonzero(trail_t >= t)[-1]) if (trail_t >= t).any() else 0
    return trails[:, i], int(trail_t[i])


class DiffusionView(View):
    curve_groups = {
        "losses": ("noise-prediction loss (training batch)", ("loss",)),
        "divergences": ("W1 to the data (dashed: two data samples)", ("w1", "w1_floor")),
    }
    styles = {**STYLES, "w1_floor": (STYLES["w1"][0], True), "loss": (colors.CATEGORICAL[7], False)}
    cursor = "t"
    picture_caption = ("data · samples · reverse trails (noise → sample)", "data, samples, trails")
    lesson_title = "loss by t"

    def __init__(self) -> None:
        self.t = 0  # the forward process's step on show; 0 = the samples and their trails

    # -- the cursor -----------------------------------------------------------------------------
    def _T(self, frame: Frame | None) -> int:
        if frame is None or frame.payload is None:
            return 0
        return len(frame.payload.alpha_bar) - 1

    def move_cursor(self, frame: Frame | None, direction: int) -> str:
        T = self._T(frame)
        if T <= 0:
            return ""
        stride = max(1, T // 20)
        self.t = int(min(max(0, (self.t // stride + (1 if direction > 0 else -1)) * stride), T))
        if self.t == 0:
            return "t = 0: the samples and their reverse trails"
        ab = float(frame.payload.alpha_bar[self.t])
        return f"t = {self.t} of {T}: x_t keeps {np.sqrt(ab):.3g} of x_0, noise sd {np.sqrt(1 - ab):.3g}"

    # -- the picture ------------------------------------------------------------------------------
    def headline(self, frame: Frame) -> str:
        w1, floor = frame.metrics.get("w1"), frame.metrics.get("w1_floor")
        if w1 is None or not floor:
            return ""
        steps = frame.metrics.get("reverse_steps")
        return f"w1 {w1 / floor:.1f}× floor" + (f", {steps:.0f} steps" if steps is not None else "")

    def picture(self, panel: Panel, frame: Frame, width: int, height: int) -> Canvas:
        p = frame.payload
        T = len(p.alpha_bar) - 1
        t = min(self.t, T)
        if t > 0:
            ab = float(p.alpha_bar[t])
            noised = np.sqrt(ab) * frame.real + np.sqrt(1 - ab) * p.forward_noise
            chain, at = reverse_at(p.trails, p.trail_t, t)
            head = self.headline(frame)
            where = f"t = {t}/{T}" if at == t else f"t = {t}/{T} (chain at {at})"
            panel.set_title(f"{head + ' · ' if head else ''}x_t vs chain, {where}")
            layers = [(noised, NOISED), (chain, colors.FAKE)]
            return scatter_chart(width, height, layers, frame.bounds)
        off = _outside(frame.fake, frame.bounds)
        caption = self.picture_caption
        if off:
            caption = (f"{caption[0]} · {off} samples off the picture", f"{caption[1]} · {off} off")
        panel.set_title(self.titled(frame, caption))
        shown = p.trails[: max(4, width * height // CELLS_PER_TRAIL)]
        layers = [(pts, cid) for pts, cid in zip(trail_points(shown), trail_colors())]
        layers += [(frame.real, colors.REAL), (frame.fake, colors.FAKE)]
        return scatter_chart(width, height, layers, frame.bounds)

    def picture_legend(self, panel: Panel, frame: Frame) -> Text:
        if self.t > 0:
            return legend([("data noised to x_t", NOISED), ("reverse chain at t", colors.FAKE)])
        shades = trail_colors()
        text = legend([("data", colors.REAL), ("samples", colors.FAKE)])
        text.append("  trails: noise ")
        for cid in shades:
            text.append("⣿", style=colors.style_of(cid, 0))
        text.append(f" sample ({frame.payload.sampler})")
        return text

    # -- the lesson panel ---------------------------------------------------------------------------
    def lesson_legend(self, panel: Panel, frame: Frame) -> Text:
        return Text("loss per band of t; yellow: t of `{` `}`")

    def lesson(self, panel: Panel, frame: Frame, width: int, height: int) -> Canvas:
        p = frame.payload
        m = frame.metrics
        step = f" · probed at step {p.probe_step}" if p.probe_step != frame.step else ""
        panel.set_title(f"{self.lesson_title}{step}")
        canvas = Canvas(width, height)
        facts = _readouts(m, p.sampler)
        text_w = max(10 + len(value) for _, value in facts) + 2 if width >= 50 else 0
        bars_w = width - text_w
        _loss_bars(canvas, p, min(self.t, len(p.alpha_bar) - 1), bars_w, height)
        for row, (name, value) in enumerate(facts[:height] if text_w else ()):
            canvas.text(bars_w + 1, row, f"{name:<10}", colors.AXIS)  # padded: no segment starts with blanks
            canvas.text(bars_w + 11, row, value, 0)
        return canvas


def _outside(points: np.ndarray, bounds) -> int:
    xmin, xmax, ymin, ymax = bounds
    x, y = points[:, 0], points[:, 1]
    inside = (x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax)
    return int((~inside).sum())


def _readouts(m: dict, sampler: str) -> list[tuple[str, str]]:
    def v(name):
        return fmt_value(m.get(name)) if m.get(name) is not None else "—"

    return [("sampler", sampler), ("w1", f"{v('w1')} (floor {v('w1_floor')})"), ("nll_bound", f"{v('nll_bound')} nats"),
            ("signal_T", v("signal_T")), ("prior_kl", f"{v('prior_kl')} nats"), ("x0_gain", v("x0_gain")),
            ("x0_rms", v("x0_rms"))]


def _loss_bars(canvas: Canvas, p, t: int, width: int, height: int) -> None:
    """The loss in each band of t as vertical bars, t = 1 on the left, T on the right."""
    values = np.asarray(p.loss_by_t, float)
    n = len(values)
    if n == 0 or width < 8 or height < 3:
        return
    vmax = max(float(np.nanmax(values)), 1e-6)
    canvas.text(0, 0, fmt_value(vmax)[: width - 1], colors.AXIS)
    bar_w = max(1, min(4, (width - 1) // n - 1))
    edges = np.asarray(p.band_edges)
    band = int(np.searchsorted(edges, t, side="right")) - 1 if t > 0 else -1
    ids = np.full(n, colors.PRIOR, np.int32)
    if 0 <= band < n:
        ids[band] = colors.FAKE
    used = vbars(canvas, 0, 1, height - 2, values, vmax, ids, bar_w=bar_w, gap=1)
    T = int(edges[-1]) - 1
    canvas.text(0, height - 1, "t=1", colors.AXIS)
    label = f"{T}"
    canvas.text(max(4, used - len(label)), height - 1, label, colors.AXIS)


register_view("diffusion", DiffusionView)
