"""The lesson's own evidence (mode coverage, theta's gradient, latent codes, ...), drawn by the
frame's view (tui/views/)."""

from __future__ import annotations

from rich.text import Text

from genstep.engine.frame import Frame
from genstep.tui.render.canvas import Canvas
from genstep.tui.views import ViewSet

from .chart import ChartView


class LessonPanel(ChartView):
    """What the lesson is about, as its view draws it."""

    def __init__(self, views: ViewSet | None = None, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.views = views or ViewSet()
        self.show_heat, self.show_arrows = True, False  # a view may ask (the Panel protocol)

    def hold(self, layer):
        return layer

    def legend(self, frame: Frame) -> Text:
        return self.views.for_frame(frame).lesson_legend(self, frame)

    def draw(self, frame: Frame, width: int, height: int) -> Canvas:
        return self.views.for_frame(frame).lesson(self, frame, width, height)
