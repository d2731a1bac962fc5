"""The two text lines at the top: where the run stands, and the knobs (the selected one marked)."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from tui.render.axes import fmt_value


class StatusBar(Static):
    """Scenario title · step N · running/paused · steps/s · speed · device · seed."""

    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; color: $text; padding: 0 1; }
    StatusBar.-diverged { background: $error 40%; }
    """

    title: reactive[str] = reactive("loading…")
    step: reactive[int] = reactive(0)
    running: reactive[bool] = reactive(False)
    rate: reactive[float] = reactive(0.0)
    speed: reactive[int] = reactive(1)
    device: reactive[str] = reactive("")
    seed: reactive[int] = reactive(0)
    problem: reactive[str] = reactive("")
    """Why the run stopped (non-finite value), or empty."""
    low_bandwidth: reactive[bool] = reactive(False)

    def watch_problem(self, problem: str) -> None:
        self.set_class(bool(problem), "-diverged")

    def render(self) -> Text:
        if self.problem:
            state = ("■ stopped", "bold")
        elif self.running:
            state = ("▶ running", "bold")
        else:
            state = ("⏸ paused", "")
        right = Text.assemble(
            f"step {self.step}",
            "  ",
            state,
            f"  {self.rate:.0f} steps/s  ×{self.speed}/tick  {self.device or '…'}  seed {self.seed}",
            "  [low-bw]" if self.low_bandwidth else "",
        )
        if self.problem:
            right.append(f"  {self.problem}", style="bold")
        width = max(0, self.size.width - right.cell_len - 2)
        title = self.title if len(self.title) <= width else self.title[: max(0, width - 1)] + "…"
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
        tail = Text("   [ ] pick  +/- change  e type", style="dim")
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
        out.append_text(tail)
        out.truncate(width, overflow="ellipsis")
        return out
