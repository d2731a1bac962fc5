"""The base of every live panel: draws a Canvas from the latest Frame, shows it line by line.

A subclass implements `draw(frame, width, height) -> Canvas` (and may set a legend). Strips are
rebuilt only when the frame, the size or an option changed, so a redraw timer that fires without
news costs nothing.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from genstep.engine.frame import Frame
from genstep.tui.render.canvas import Canvas


class ChartView(Widget):
    """A panel drawn by the project's renderers (Textual's Line API)."""

    DEFAULT_CSS = """
    ChartView {
        border: round $primary-darken-2;
        border-title-color: $text;
        border-subtitle-color: $text-muted;
        height: 1fr;
        width: 1fr;
        padding: 0;
    }
    ChartView:focus { border: round $accent; }
    """

    frame: reactive[Frame | None] = reactive(None, always_update=True, layout=False)
    """The Frame to draw (None until the first one arrives)."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._strips: list[Strip] = []
        self._key: tuple | None = None
        self._options: tuple = ()

    def set_title(self, title: str) -> None:
        """Set the border title only when it changes: Textual repaints the panel on every
        assignment, and panels are redrawn ~10 times a second (measured at 80x24: setting it
        every frame doubled the bytes written, 56 -> 28 KB/s in low-bandwidth mode once fixed)."""
        if self.border_title != title:
            self.border_title = title

    def watch_frame(self, frame: Frame | None) -> None:
        self._update_legend()
        self.refresh()

    def _update_legend(self) -> None:
        legend = self.legend(self.frame) if self.frame is not None else ""
        key = str(legend)
        if key != getattr(self, "_legend_key", None):
            self._legend_key = key
            self.border_subtitle = legend

    def set_options(self, *options: Any) -> None:
        """Options that change the picture (toggles); a change redraws."""
        if options != self._options:
            self._options = options
            self._update_legend()
            self.refresh()

    def redraw(self) -> None:
        """Draw the same frame again (its view's state changed, e.g. a cursor moved)."""
        self._key = None
        self._update_legend()
        self.refresh()

    # -- to implement -----------------------------------------------------------------------

    def draw(self, frame: Frame, width: int, height: int) -> Canvas:
        raise NotImplementedError

    def legend(self, frame: Frame) -> Text | str:
        return ""

    # -- rendering --------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width, height = self.size
        key = (id(self.frame), width, height, self._options)
        if key != self._key:
            self._key = key
            self._strips = self._build(width, height)
        if 0 <= y < len(self._strips):
            return self._strips[y]
        return Strip.blank(width, self.rich_style)

    def _build(self, width: int, height: int) -> list[Strip]:
        frame = self.frame
        base = self.rich_style
        if frame is None or width <= 0 or height <= 0:
            canvas = Canvas(width, height)
            canvas.text(1, 0, "waiting for the first frame…", 0)
            return canvas.strips(base)
        return self.draw(frame, width, height).strips(base)
