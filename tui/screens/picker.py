"""Pick a lesson: the shipped scenarios with their titles (listed in a thread: it imports torch)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option


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
    PickerScreen OptionList, PickerScreen OptionList:focus { height: auto; max-height: 20; border: none; }
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
        self.app.call_from_thread(self._fill, items, "")

    def _fill(self, items: list[tuple[str, str]], error: str) -> None:
        hint = self.query_one("#picker-hint", Static)
        options = self.query_one(OptionList)
        if error:
            hint.update(Text(f"could not list the lessons: {error}", style="bold"))
            return
        hint.update("↑/↓ choose · enter open · escape back · q quit")
        width = max((len(n) for n, _ in items), default=10) + 2
        options.add_options([Option(Text.assemble((name.ljust(width), "bold"), title), id=name)
                             for name, title in items])
        options.highlighted = 0
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
