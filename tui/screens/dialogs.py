"""Small dialogs: type a value (a knob, a step to rewind to), the key list, the lesson text.

What they show may come from the user (a scenario's knob help, an engine refusal quoting the typed
value), so nothing here is parsed as markup.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

Submit = Callable[[str], Awaitable[str | None]]

MAX_SHOWN = 400  # a refusal quoting a pasted novel is cut to this many characters


class ValueDialog(ModalScreen[str | None]):
    """Asks for one value; `submit(value)` returns None when accepted, else why it was refused.

    A refused value keeps the dialog open with the reason under the input, so the user can fix it.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    DEFAULT_CSS = """
    ValueDialog { align: center middle; }
    ValueDialog > Vertical {
        width: 64; max-width: 95%; height: auto; padding: 1 2;
        border: round $accent; background: $surface;
    }
    ValueDialog #dialog-info { color: $text-muted; margin-bottom: 1; }
    ValueDialog #dialog-error { color: $error; height: auto; }
    """

    def __init__(self, title: str, info: str, initial: str, submit: Submit) -> None:
        super().__init__()
        self._title, self._info, self._initial, self._submit = title, info, initial, submit

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self._title, style="bold"), id="dialog-title")
            yield Static(self._info, id="dialog-info", markup=False)
            yield Input(value=self._initial, id="dialog-input", select_on_focus=True)
            yield Static("", id="dialog-error", markup=False)
            yield Static(Text("enter apply · escape cancel", style="dim"))

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip()
        try:
            refusal = await self._submit(value)
        except Exception as exc:  # whatever went wrong, say it here rather than crash the app
            refusal = f"{type(exc).__name__}: {exc}"
        if refusal:
            if len(refusal) > MAX_SHOWN:
                refusal = refusal[: MAX_SHOWN - 1] + "…"
            self.query_one("#dialog-error", Static).update(refusal)
            self.query_one(Input).focus()
        else:
            self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class TextDialog(ModalScreen[None]):
    """A scrollable page of text (the keys, the lesson); escape, q or ? closes it."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("q", "close", "Close", show=False),
        Binding("question_mark", "close", "Close", show=False),
    ]

    DEFAULT_CSS = """
    TextDialog { align: center middle; }
    TextDialog > VerticalScroll {
        width: 76; max-width: 98%; height: auto; max-height: 90%; padding: 0 1;
        border: round $accent; background: $surface;
    }
    """

    def __init__(self, title: str, body: Text) -> None:
        super().__init__()
        self._title, self._body = title, body

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = Content(self._title)
            scroll.border_subtitle = "escape closes"
            yield Static(self._body)

    def action_close(self) -> None:
        self.dismiss(None)


def keys_text(rows: list[tuple[str, str]], knobs: list[tuple[str, str]], device: str = "") -> Text:
    """The help page: every key with what it does, the knobs of this lesson, why this device."""
    text = Text()
    width = max((len(k) for k, _ in rows), default=4) + 2
    for key, what in rows:
        text.append(key.ljust(width), style="bold")
        text.append(what + "\n")
    if knobs:
        text.append("\nKnobs of this lesson\n", style="bold")
        for name, desc in knobs:
            text.append(f"{name:<12}", style="bold")
            text.append(desc + "\n")
    if device:
        text.append("\nDevice ", style="bold")
        text.append(f"(--device auto) {device}\n")
    return text
