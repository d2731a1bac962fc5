"""The lines at the top: where the run stands, the knobs (the selected one marked), and, when a run
stopped on a non-finite value, what happened and which keys get it going again.

Every string shown here may come from the user (scenario titles, knob values, engine messages that
quote what was typed), so it is drawn as plain `Text`, never parsed as markup.
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from genstep.tui.render.axes import fmt_value

# The state glyphs are from the set every terminal font and every browser's default monospace
# font draws (WGL4: box drawing and a few geometric shapes): the media-control signs (U+23F8 pause)
# and U+25B6 are missing from many, and come out as empty boxes, e.g. in `genstep serve`.
RUNNING, PAUSED, STOPPED = "\u25ba", "\u2551", "\u25a0"  # ► ║ ■


class StatusBar(Static):
    """Scenario title · step N · updates per player (D, G) · running/paused · steps/s · speed · device · seed."""

    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; color: $text; padding: 0 1; }
    StatusBar.-diverged { background: $error 40%; }
    """

    title: reactive[str] = reactive("loading…")
    step: reactive[int] = reactive(0)
    updates: reactive[str] = reactive("")
    """Updates per player so far, e.g. "D 6170 G 1234" (a GAN's sub-steps count), or empty."""
    running: reactive[bool] = reactive(False)
    rate: reactive[float] = reactive(0.0)
    speed: reactive[int] = reactive(1)
    device: reactive[str] = reactive("")
    seed: reactive[int] = reactive(0)
    problem: reactive[str] = reactive("")
    """Why the run stopped (non-finite value), or empty; the ProblemBar below says it in full."""
    low_bandwidth: reactive[bool] = reactive(False)

    def watch_problem(self, problem: str) -> None:
        self.set_class(bool(problem), "-diverged")

    def render(self) -> Text:
        if self.problem:
            state = (f"{STOPPED} stopped", "bold")
        elif self.running:
            state = (f"{RUNNING} running", "bold")
        else:
            state = (f"{PAUSED} paused", "")
        # what to leave out, in this order, before the title has to be cut
        optional = {"speed": f"  ×{self.speed}/tick", "seed": f"  seed {self.seed}",
                    "rate": f"  {self.rate:.0f} steps/s"}
        drop: set[str] = set()
        while True:
            right = Text.assemble(
                f"step {self.step}", f" · {self.updates}" if self.updates else "", "  ", state,
                *(optional[k] for k in ("rate", "speed") if k not in drop),
                f"  {self.device or '…'}",
                optional["seed"] if "seed" not in drop else "",
                "  [low-bw]" if self.low_bandwidth else "",
            )
            room = max(0, self.size.width - right.cell_len - 2)
            if len(self.title) <= room or len(drop) == len(optional):
                break
            drop.add(next(k for k in optional if k not in drop))
        title = self.title if len(self.title) <= room else self.title[: max(0, room - 1)] + "…"
        return Text.assemble((title, "bold"), " " * (self.size.width - len(title) - right.cell_len), right)


class KnobBar(Static):
    """The knobs and their values; the selected one is highlighted and its keys are named."""

    DEFAULT_CSS = """
    KnobBar { height: 1; background: $boost; color: $text-muted; padding: 0 1; }
    """

    values: reactive[dict] = reactive(dict, always_update=True)
    selected: reactive[str] = reactive("")

    def render(self) -> Text:
        if not self.values:
            return Text("knobs: —")
        parts: list[Text] = []
        for name, value in self.values.items():
            shown = fmt_value(value) if isinstance(value, float) else str(value)
            style = "reverse bold" if name == self.selected else ""
            parts.append(Text(f" {name} {shown} ", style=style))
        tails = ["   [ ] pick  +/- change  e type", "   [ ] +/- e", ""]
        # drop knobs from the left until the selected one fits
        names = list(self.values)
        start = 0
        width = self.size.width or 80
        chosen = names.index(self.selected) if self.selected in names else 0
        while start < chosen and sum(p.cell_len for p in parts[start : chosen + 1]) + 8 > width:
            start += 1
        out = Text("knobs", style="bold")
        if start:
            out.append(" …")
        for p in parts[start:]:
            out.append(" ")
            out.append_text(p)
        for tail in tails:  # the key hints as long as they fit, else shorter, else none
            if out.cell_len + len(tail) <= width:
                break
        out.append_text(Text(tail, style="dim"))
        out.truncate(width, overflow="ellipsis")
        return out


class ProblemBar(Static):
    """Shown only while the run is stopped on a non-finite value: what happened, and the way back."""

    DEFAULT_CSS = """
    ProblemBar { height: auto; max-height: 4; background: $error 30%; color: $text; padding: 0 1; display: none; }
    ProblemBar.-shown { display: block; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.shown = ""

    def show(self, message: str, last_good: int | None, ended: bool = False) -> None:
        """`message` is the engine's (it names the quantity and the last good step); "" hides the bar.
        `ended`: the training itself is gone (its process died): only reopening the lesson helps."""
        key = f"{message}|{last_good}|{ended}"
        if key == self.shown:
            return
        self.shown = key
        self.set_class(bool(message), "-shown")
        if not message:
            self.update("")
            return
        text = Text.assemble(("■ ", "bold"), (message.rstrip("."), "bold"), "\n")
        if ended:
            text.append_text(Text.assemble(("o", "bold reverse"), " open a lesson again  ",
                                           ("q", "bold reverse"), " quit"))
            self.update(text)
            return
        if last_good is not None:
            text.append_text(Text.assemble(("b", "bold reverse"), f" rewind to step {last_good}, the last good state  "))
        text.append_text(Text.assemble(("e", "bold reverse"), " change a knob  ", ("g", "bold reverse"), " rewind further"))
        self.update(text)
