"""The lesson in words: its summary, what to watch for, and the notes that fired, newest first."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from engine.frame import Note


def lesson_text(summary: str, watch: str, notes: tuple[Note, ...], cure: list[str]) -> Text:
    """The text of the notes panel (also shown full-screen by the lesson dialog)."""
    text = Text()
    if summary:
        text.append(summary.strip() + "\n\n")
    if watch:
        text.append("Watch: ", style="bold")
        text.append(watch.strip() + "\n")
    if cure:
        text.append("Cure (c): ", style="bold")
        text.append(", ".join(cure) + "\n")
    if notes:
        text.append("\nNotes so far\n", style="bold")
        for note in reversed(notes):
            text.append(f"step {note.step} ", style="bold")
            text.append(note.text.strip())
            if note.trigger:
                text.append(f"  ({note.trigger})", style="dim")
            text.append("\n")
    return text


class NotesPanel(VerticalScroll):
    """Scrollable lesson text; it changes only when a note fires or the scenario changes."""

    DEFAULT_CSS = """
    NotesPanel { border: round $primary-darken-2; height: 1fr; padding: 0 1; }
    NotesPanel > Static { width: 1fr; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.border_title = "lesson"
        self._shown: tuple = ()

    def compose(self) -> ComposeResult:
        yield Static("", id="notes-text")

    def show(self, summary: str, watch: str, notes: tuple[Note, ...], cure: list[str]) -> None:
        key = (summary, watch, len(notes), tuple(cure))
        if key != self._shown:
            self._shown = key
            self.query_one("#notes-text", Static).update(lesson_text(summary, watch, notes, cure))
