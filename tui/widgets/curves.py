"""Curves of the run: losses, or divergences (estimates solid, closed forms dashed beside them).

Every knob change is a labelled vertical marker at its step; after a rewind, a "now" marker shows
where the run stands when the history reaches beyond it.
"""

from __future__ import annotations

from rich.text import Text

from engine.frame import Frame
from tui.render import colors
from tui.render.axes import fmt_value
from tui.render.canvas import Canvas
from tui.render.charts import Marker, Series, line_chart

from .chart import ChartView

C = colors.CATEGORICAL
# metric -> (colour, dashed); a closed form shares its estimate's colour, dashed
STYLE = {
    "loss_d": (C[1], False),
    "loss_g": (C[3], False),
    "loss": (C[7], False),
    "recon": (C[0], False),
    "kl": (C[1], False),
    "mi": (C[2], False),
    "js_grid": (C[0], False),
    "js_true": (C[0], True),
    "w1": (C[1], False),
    "w1_true": (C[1], True),
    "kl_grid": (C[2], False),
}
GROUPS = {
    ("gan", "losses"): ("losses", ["loss_d", "loss_g"]),
    ("gan", "divergences"): ("divergences (dashed: closed form)", ["js_grid", "js_true", "w1", "w1_true", "kl_grid"]),
    ("vae", "losses"): ("loss = recon + β·KL", ["loss", "recon", "kl"]),
    ("vae", "divergences"): ("KL and mutual information (nats)", ["kl", "mi"]),
}


def knob_label(knob: str, value) -> str:
    return f"{knob}={fmt_value(value) if isinstance(value, float) else value}"


class CurvesPanel(ChartView):
    """One group of metric histories against steps."""

    def __init__(self, group: str = "losses", *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.group = group

    def set_group(self, group: str) -> None:
        self.group = group
        self.set_options(group)

    def _names(self, frame: Frame) -> tuple[str, list[str]]:
        title, names = GROUPS.get((frame.family, self.group), ("", []))
        if frame.theta is not None:  # disjoint supports: JS and W1 with their closed forms; the grid
            names = [n for n in names if n != "kl_grid"]  # KL (several nats) would flatten them
        return title, [n for n in names if n in frame.history]

    def legend(self, frame: Frame) -> Text:
        """Every series with its latest value; where that does not fit the border, names only
        (cutting the last series off would hide the one a lesson may be about)."""
        room = max(0, self.size.width - 4) if self.size.width else 10_000
        for with_values in (True, False):
            text = Text(no_wrap=True, overflow="ellipsis")
            for name in self._names(frame)[1]:
                color, dashed = STYLE.get(name, (C[7], False))
                if len(text):
                    text.append(" ")
                text.append("┅ " if dashed else "━ ", style=colors.style_of(int(color), 0))
                value = frame.metrics.get(name) if with_values else None
                text.append(f"{name} {fmt_value(value)}" if value is not None else name)
            if text.cell_len <= room:
                break
        return text

    def draw(self, frame: Frame, width: int, height: int) -> Canvas:
        title, names = self._names(frame)
        self.set_title(title)
        series = []
        last = float(frame.step)
        for name in names:
            curve = frame.history[name]
            color, dashed = STYLE.get(name, (C[7], False))
            series.append(Series(name, curve.steps, curve.values, int(color), dashed))
            if len(curve.steps):
                last = max(last, float(curve.steps[-1]))
        markers = [Marker(e.step, knob_label(e.knob, e.new)) for e in frame.events]
        if last > frame.step:
            markers.append(Marker(frame.step, f"now {frame.step}", colors.NOW))
        canvas = line_chart(width, height, series, markers, xrange=(0.0, max(last, 10.0)))
        if not any(len(s.xs) for s in series):
            empty = not frame.history or frame.step == 0
            message = "curves start after the first step" if empty else "no such metrics in this lesson"
            canvas.text(max(0, (width - len(message)) // 2), height // 2, message, colors.AXIS)
        return canvas
