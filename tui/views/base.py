"""A view: how the frames of one family (or one kind of lesson) are drawn.

The panels (tui/widgets/picture.py, lesson.py, curves.py) know nothing about families: each asks the
view registered for the frame (`tui.views.view_for`) to draw. A view draws:
- the picture panel: `picture()` and `picture_legend()`; the title leads with `headline()`, the
  lesson's number, so it survives a narrow terminal where the lesson panel is hidden;
- the lesson panel: `lesson()` and `lesson_legend()`;
- the two curve panels: `curve_groups` (group -> title and metric names), `styles` (metric ->
  colour and dashed);
- optionally a cursor the user moves with `{` and `}` (a time step, a slice): `cursor` names it and
  `move_cursor()` moves it; the view keeps its own state (one instance per dashboard).

`GenericView` draws any family: samples against data, and every scalar metric as a curve. A new
family is visible with it before it has a view of its own.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from rich.text import Text

from genstep.engine.frame import Frame
from genstep.tui.render import colors
from genstep.tui.render.axes import fmt_value, legend
from genstep.tui.render.canvas import Canvas
from genstep.tui.render.charts import scatter_chart

C = colors.CATEGORICAL
# metric -> (colour, dashed), shared by every view; a closed form shares its estimate's colour, dashed
STYLES: dict[str, tuple[int, bool]] = {
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


class Panel(Protocol):
    """What a view may ask of the panel it draws in."""

    show_heat: bool  # the user's heat-map toggle (off in low-bandwidth mode)
    show_arrows: bool

    def set_title(self, title: str) -> None: ...

    def hold(self, layer: np.ndarray | None) -> np.ndarray | None:
        """A slow layer (a heat map) held for a while as training runs, so it redraws at ~2.5 Hz."""


class View:
    """Base view; subclasses override what they draw differently."""

    curve_groups: dict[str, tuple[str, tuple[str, ...]]] = {}
    styles: dict[str, tuple[int, bool]] = STYLES
    cursor: str = ""  # what `{` / `}` move ("" = nothing)
    picture_caption = ("data vs model samples", "data vs samples")  # (long, short)
    lesson_title = "metrics"

    # -- the picture ----------------------------------------------------------------------------
    def headline(self, frame: Frame) -> str:
        """The lesson's number, e.g. "modes 2/8" ("" for none)."""
        return ""

    def picture(self, panel: Panel, frame: Frame, width: int, height: int) -> Canvas:
        panel.set_title(self.titled(frame))
        return scatter_chart(width, height, [(frame.real, colors.REAL), (frame.fake, colors.FAKE)], frame.bounds)

    def picture_legend(self, panel: Panel, frame: Frame) -> Text:
        return legend([("data", colors.REAL), ("model", colors.FAKE)])

    def titled(self, frame: Frame, caption: tuple[str, str] | None = None) -> str:
        long, short = caption or self.picture_caption
        head = self.headline(frame)
        return f"{head} · {short}" if head else long

    # -- the lesson panel -------------------------------------------------------------------------
    def lesson(self, panel: Panel, frame: Frame, width: int, height: int) -> Canvas:
        """Every scalar metric with its latest value, in columns."""
        panel.set_title(self.lesson_title)
        canvas = Canvas(width, height)
        items = [(k, v) for k, v in frame.metrics.items() if isinstance(v, (int, float))]
        col_w = max((len(k) + 10 for k, _ in items), default=20)
        cols = max(1, width // col_w)
        for i, (name, value) in enumerate(items):
            row, col = divmod(i, cols)
            if row >= height:
                break
            canvas.text(1 + col * col_w, row, f"{name} {fmt_value(value)}", 0)
        return canvas

    def lesson_legend(self, panel: Panel, frame: Frame) -> Text:
        return Text("")

    # -- curves ---------------------------------------------------------------------------------
    def curves(self, group: str, frame: Frame) -> tuple[str, list[str]]:
        title, names = self.curve_groups.get(group, ("", ()))
        return title, [n for n in names if n in frame.history]

    def style(self, name: str, index: int) -> tuple[int, bool]:
        """A metric's colour and dash: its own where it has one, else the index-th categorical colour."""
        return self.styles.get(name, (C[index % len(C)], False))

    # -- the cursor -----------------------------------------------------------------------------
    def move_cursor(self, frame: Frame | None, direction: int) -> str:
        """Move the cursor; returns what it now shows (for a short message), "" when there is none."""
        return ""


class GenericView(View):
    """Any family: samples against data; losses in one panel, every other scalar in the other."""

    lesson_title = "latest metrics"

    LOSSY = ("loss", "nll", "elbo", "recon")  # what reads as an objective, by name

    def curves(self, group: str, frame: Frame) -> tuple[str, list[str]]:
        names = [n for n in frame.history if any(w in n for w in self.LOSSY)] or list(frame.history)[:1]
        if group == "losses":
            return "losses", names
        return "metrics", [n for n in frame.history if n not in names]
