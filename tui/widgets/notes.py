"""The lesson in words: its summary, what to watch for, and the notes that fired, newest first.

The panel beside the run (`live`) puts the notes that fired first, then what to watch for and the
cure, and the long summary last; the lesson dialog (`i`) reads top to bottom like a page.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from engine.frame import Note


def lesson_text(summary: str, watch: str, notes: tuple[Note, ...], cure: list[str], live: bool = False) -> Text:
    """The lesson as text: the notes panel's (`live`: notes first) or the lesson dialog's."""
    parts = {"summary": Text(), "watch": Text(), "notes": Text()}
    if summary:
        parts["summary"].append(summary.strip() + "\n")
    if watch:
        parts["watch"].append("Watch: ", style="bold")
        parts["watch"].append(" ".join(watch.split()) + "\n")
    if cure:
        parts["watch"].append("Cure (c): ", style="bold")
        parts["watch"].append(", ".join(cure) + "\n")
    if notes:
        parts["notes"].append("Notes so far, newest first\n", style="bold")
        for note in reversed(notes):
            parts["notes"].append(f"step {note.step} ", style="bold")
            parts["notes"].append(" ".join(note.text.split()))
            if note.trigger:
                parts["notes"].append(f"  ({note.trigger})", style="dim")
            parts["notes"].append("\n")
    order = ("notes", "watch", "summary") if live else ("summary", "watch", "notes")
    return Text("\n").join(parts[k] for k in order if parts[k])


def note_gist(text: str, limit: int = 150) -> str:
    """A fired note, short enough for a toast: its first sentence, cut near `limit`."""
    flat = " ".join(text.split())
    end = next((i + 1 for i, ch in enumerate(flat) if ch in ".!?" and (i + 1 == len(flat) or flat[i + 1] == " ")
                and i >= 40), len(flat))
    first = flat[:end]
    if len(first) > limit:
        first = first[:limit].rsplit(" ", 1)[0] + " …"
    return first + (" (i: the whole note)" if len(first) < len(flat) else "")


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
            self.query_one("#notes-text", Static).update(lesson_text(summary, watch, notes, cure, live=True))
            self.scroll_home(animate=False)
