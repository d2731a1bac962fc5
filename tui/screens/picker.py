"""Pick a lesson: the shipped scenarios with their titles and the gist of each summary (listed in
a thread: reading the scenario files takes a moment)."""

from __future__ import annotations

import re
import textwrap
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option


GIST_CHARS = 170  # about two lines of the picker
GIST_MIN = 60  # a first "sentence" shorter than this (a citation) takes the next one along


def gist(summary: str, limit: int = GIST_CHARS) -> str:
    """The first sentence or so of a summary (whitespace collapsed), cut at a word near `limit`."""
    sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z])", " ".join(str(summary).split()))
    text = ""
    for sentence in sentences:
        text = f"{text} {sentence}".strip()
        if len(text) >= GIST_MIN:
            break
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + " …"


class PickerScreen(Screen[str | None]):
    """A list of lessons; enter opens one, escape goes back (or quits when nothing is open)."""

    BINDINGS = [
        Binding("escape", "cancel", "Back"),
        Binding("q", "app.quit", "Quit"),
    ]

    DEFAULT_CSS = """
    PickerScreen { align: center middle; }
    PickerScreen > Vertical {
        width: 90; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; padding: 0 1;
    }
    PickerScreen OptionList, PickerScreen OptionList:focus { height: auto; max-height: 30; border: none; }
    PickerScreen #picker-hint { color: $text-muted; }
    """

    def __init__(self, factory: Any) -> None:
        super().__init__()
        self.factory = factory

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "genstep · pick a lesson"
            yield Static("loading the lessons…", id="picker-hint")
            yield OptionList(id="picker-list")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.list_scenarios()

    @work(thread=True, exclusive=True, exit_on_error=False, group="picker")
    def list_scenarios(self) -> None:
        try:
            items = self.factory.scenarios()
        except Exception as exc:
            self.app.call_from_thread(self._fill, [], str(exc))
            return
        try:
            summaries = self.factory.summaries()
        except Exception:  # the titles are enough to pick from
            summaries = {}
        self.app.call_from_thread(self._fill, items, "", summaries)

    def _fill(self, items: list[tuple[str, str]], error: str, summaries: dict[str, str] | None = None) -> None:
        hint = self.query_one("#picker-hint", Static)
        options = self.query_one(OptionList)
        if error:
            hint.update(Text(f"could not list the lessons: {error}", style="bold"))
            return
        hint.update("↑/↓ choose · enter open · escape back · q quit")
        width = max((len(n) for n, _ in items), default=10) + 2
        room = min(90, self.app.size.width) - 7  # inside the box's border, padding and the list's
        options.add_options([Option(self._prompt(name, title, (summaries or {}).get(name, ""), width, room), id=name)
                             for name, title in items])
        options.highlighted = 0
        options.focus()

    @staticmethod
    def _prompt(name: str, title: str, summary: str, width: int, room: int) -> Text:
        """The name, its title beside it, and the gist of the summary under the title."""
        text = Text.assemble((name.ljust(width), "bold"), str(title))
        shown = gist(summary)
        if shown:
            indent = width if room - width >= 30 else 2
            for line in textwrap.wrap(shown, max(20, room - indent)):
                text.append("\n" + " " * indent)
                text.append(line, style="dim")
        return text

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
