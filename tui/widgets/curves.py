"""Curves of the run: one group of metrics (losses, or divergences: estimates solid, closed forms
dashed beside them), as the frame's view (tui/views/) groups and colours them.

Every knob change is a labelled vertical marker at its step; after a rewind, a "now" marker shows
where the run stands when the history reaches beyond it.
"""

from __future__ import annotations

from rich.text import Text

from genstep.engine.frame import Frame
from genstep.tui.render import colors
from genstep.tui.render.axes import fmt_value
from genstep.tui.render.canvas import Canvas
from genstep.tui.render.charts import Marker, Series, line_chart

from genstep.tui.views import ViewSet

BRANCH_COLORS = (colors.CATEGORICAL[0], colors.CATEGORICAL[1], colors.CATEGORICAL[3], colors.CATEGORICAL[6])

from .chart import ChartView

def knob_label(knob: str, value) -> str:
    return f"{knob}={fmt_value(value) if isinstance(value, float) else value}"


class CurvesPanel(ChartView):
    """One group of metric histories against steps."""

    def __init__(self, group: str = "losses", views: ViewSet | None = None, *, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.group = group
        self.views = views or ViewSet()

    def set_group(self, group: str) -> None:
        self.group = group
        self.set_options(group)

    def _names(self, frame: Frame) -> tuple[str, list[str]]:
        return self.views.for_frame(frame).curves(self.group, frame)

    def legend(self, frame: Frame) -> Text:
        """Every series with its latest value; where that does not fit the border, names only
        (cutting the last series off would hide the one a lesson may be about)."""
        room = max(0, self.size.width - 4) if self.size.width else 10_000
        if len(frame.branches) > 1:
            return self._branch_legend(frame, room)
        for with_values in (True, False):
            text = Text(no_wrap=True, overflow="ellipsis")
            view = self.views.for_frame(frame)
            for i, name in enumerate(self._names(frame)[1]):
                color, dashed = view.style(name, i)
                if len(text):
                    text.append(" ")
                text.append("┅ " if dashed else "━ ", style=colors.style_of(int(color), 0))
                value = frame.metrics.get(name) if with_values else None
                text.append(f"{name} {fmt_value(value)}" if value is not None else name)
            if text.cell_len <= room:
                break
        return text

    def _branch_legend(self, frame: Frame, room: int) -> Text:
        """Compare mode: each branch in its colour with its knob change; then which dash is which metric."""
        names = self._names(frame)[1]
        for with_values in (True, False):
            text = Text(no_wrap=True, overflow="ellipsis")
            for k, b in enumerate(frame.branches):
                if len(text):
                    text.append("  ")
                text.append("━ ", style=colors.style_of(int(BRANCH_COLORS[k]), 0))
                value = b.metrics.get(names[0]) if with_values and names else None
                text.append(b.branch + (f" {fmt_value(value)}" if value is not None else ""))
            if len(names) > 1:
                text.append("  (" + ", ".join(f"{'━' if i == 0 else '┅'} {n}" for i, n in enumerate(names)) + ")")
            if text.cell_len <= room:
                break
        return text

    def draw(self, frame: Frame, width: int, height: int) -> Canvas:
        title, names = self._names(frame)
        self.set_title(title)
        series = []
        last = float(frame.step)
        view = self.views.for_frame(frame)
        branches = frame.branches if len(frame.branches) > 1 else (frame,)
        for k, b in enumerate(branches):
            for i, name in enumerate(names):
                curve = b.history.get(name)
                if curve is None:
                    continue
                if len(branches) > 1:  # a colour per branch, a dash per metric
                    color, dashed = BRANCH_COLORS[k], i > 0
                else:
                    color, dashed = view.style(name, i)
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
