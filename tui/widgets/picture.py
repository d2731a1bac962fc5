"""The 2D picture: what the model makes of the plane, drawn by the frame's view (tui/views/)."""

from __future__ import annotations

import time

import numpy as np
from rich.text import Text

from genstep.engine.frame import Frame
from genstep.tui.render import colors
from genstep.tui.render.canvas import Canvas
from genstep.tui.views import ViewSet

from .chart import ChartView

HEAT_EVERY_S = 0.4  # the heat map follows the run at ~2.5 Hz; the points at the full rate


class PicturePanel(ChartView):
    """Samples over the plane; a slow layer (the heat map) refreshes more slowly than the points."""

    DEFAULT_CSS = """
    PicturePanel { width: 1fr; }
    """

    def __init__(self, views: ViewSet | None = None, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.views = views or ViewSet()
        self.show_arrows = False
        self.show_heat = True
        self.live = False  # while training runs, the slow layer is held for HEAT_EVERY_S
        self._held: np.ndarray | None = None
        self._held_t = 0.0

    def configure(self, *, arrows: bool, heat: bool, live: bool) -> None:
        self.show_arrows, self.show_heat, self.live = arrows, heat, live
        self.set_options(arrows, heat)

    def hold(self, layer: np.ndarray | None) -> np.ndarray | None:
        if layer is None:
            return None
        now = time.monotonic()
        if self._held is None or not self.live or now - self._held_t >= HEAT_EVERY_S:
            self._held, self._held_t = layer, now
        return self._held

    def legend(self, frame: Frame) -> Text:
        return self.views.for_frame(frame).picture_legend(self, frame)

    def draw(self, frame: Frame, width: int, height: int) -> Canvas:
        view = self.views.for_frame(frame)
        branches = frame.branches
        if len(branches) < 2:
            return view.picture(self, frame, width, height)
        if width < SIDE_BY_SIDE_MIN * len(branches) or height < 6:  # one at a time; w swaps
            canvas = view.picture(_Titled(self), frame, width, height)
            self.set_title(f"{frame.branch} (w swaps) · {_Titled.last}")
            return canvas
        canvas = Canvas(width, height)
        cols = width // len(branches)
        for i, b in enumerate(branches):
            mark = "▶ " if i == frame.selected else "  "
            canvas.text(i * cols + 1, 0, (mark + b.branch)[: cols - 2], colors.NOW if i == frame.selected else 0)
            canvas.paste(view.picture(_Titled(self), b, cols - 1, height - 1), i * cols, 1)
        self.set_title(f"branches side by side · {_Titled.last} (w selects)")
        return canvas


SIDE_BY_SIDE_MIN = 26  # columns a branch's picture needs to be read beside another (two fit at 120x36)


class _Titled:
    """The panel as a view sees it while drawing one branch: its title is kept, not shown, and a
    slow layer is not held (each branch has its own)."""

    last = ""

    def __init__(self, panel: PicturePanel) -> None:
        self.show_heat, self.show_arrows = panel.show_heat, panel.show_arrows

    def set_title(self, title: str) -> None:
        _Titled.last = title

    def hold(self, layer):
        return layer
