"""The lesson in words: its summary, what to watch for, and the notes that fired, newest first.

The panel beside the run (`live`) puts the notes that fired first, then what to watch for and the
cure, and the long summary last; the lesson dialog (`i`) reads top to bottom like a page.

A note that fires is shown once, where it covers no plot: the panel, when it is on screen, marks
the newest note for a few seconds; otherwise (small terminals) `NoteToast` shows it for a few
seconds on the Footer's row, one note at a time, never over the status line or a panel.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.timer import Timer
from textual.widgets import Static

from genstep.engine.frame import Note

FRESH_S = 6.0
"""How long the panel marks the newest note."""
TOAST_S = 8.0
"""How long a note stays on the Footer's row."""
FRESH_STYLE = "bold reverse"


def lesson_text(summary: str, watch: str, notes: tuple[Note, ...], cure: list[str], live: bool = False,
                fresh: int = 0) -> Text:
    """The lesson as text: the notes panel's (`live`: notes first) or the lesson dialog's.
    `fresh`: how many of the newest notes just fired (marked, so the eye finds them)."""
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
        for i, note in enumerate(reversed(notes)):
            parts["notes"].append(f"step {note.step} ", style=FRESH_STYLE if i < fresh else "bold")
            parts["notes"].append(" ".join(note.text.split()), style=FRESH_STYLE if i < fresh else "")
            if note.trigger:
                parts["notes"].append(f"  ({note.trigger})", style="dim")
            parts["notes"].append("\n")
    order = ("notes", "watch", "summary") if live else ("summary", "watch", "notes")
    return Text("\n").join(parts[k] for k in order if parts[k])


class NotesPanel(VerticalScroll):
    """Scrollable lesson text; it changes only when a note fires or the scenario changes.
    A note that just fired is marked for `FRESH_S` seconds at the top (newest first)."""

    DEFAULT_CSS = """
    NotesPanel { border: round $primary-darken-2; height: 1fr; padding: 0 1; }
    NotesPanel > Static { width: 1fr; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.border_title = "lesson"
        self._shown: tuple = ()
        self._args: tuple = ()
        self.fresh = 0
        """How many of the newest notes are marked as just fired."""
        self._calm_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="notes-text")

    def show(self, summary: str, watch: str, notes: tuple[Note, ...], cure: list[str]) -> None:
        key = (summary, watch, len(notes), tuple(cure))
        if key == self._shown:
            return
        same_lesson = bool(self._shown) and self._shown[:2] + self._shown[3:] == key[:2] + key[3:]
        before = self._shown[2] if same_lesson else 0
        self._shown, self._args = key, (summary, watch, notes, cure)
        if len(notes) > before:
            self.fresh = min(len(notes), self.fresh + len(notes) - before)
            if self._calm_timer is not None:
                self._calm_timer.stop()
            self._calm_timer = self.set_timer(FRESH_S, self._calm)
        else:  # rewound past a note, or another lesson: nothing is new
            self.fresh = 0
        self._draw()
        self.scroll_home(animate=False)

    def _calm(self) -> None:
        self.fresh, self._calm_timer = 0, None
        self._draw()

    def _draw(self) -> None:
        summary, watch, notes, cure = self._args
        self.query_one("#notes-text", Static).update(
            lesson_text(summary, watch, notes, cure, live=True, fresh=self.fresh))


class NoteToast(Static):
    """The note that just fired, on the Footer's row for `TOAST_S` seconds (the Footer comes back
    after): one note at a time, so it never stacks over the panels or the status line. Used where
    the notes panel is not on screen; `i` shows the whole note."""

    DEFAULT_CSS = """
    NoteToast { dock: bottom; height: 1; background: $warning 35%; color: $text; display: none; }
    NoteToast.-shown { display: block; }
    Screen.-note-shown Footer { display: none; }
    Screen.-too-small NoteToast { display: none; }
    """
    SCOPED_CSS = False  # the rule that hides the Footer meanwhile is about the screen

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.note: Note | None = None
        self.more = 0
        """Notes that fired while this one was on screen (or with it): they are in `i`."""
        self._hide_timer: Timer | None = None

    def show(self, note: Note, fired: int = 1) -> None:
        """Show `note`, the newest of the `fired` notes that just fired, in place of the one shown."""
        self.more = (self.more + 1 if self.note is not None else 0) + fired - 1
        self.note = note
        self.set_class(True, "-shown")
        self.screen.set_class(True, "-note-shown")
        if self._hide_timer is not None:
            self._hide_timer.stop()
        self._hide_timer = self.set_timer(TOAST_S, self.hide)
        self.refresh()

    def hide(self) -> None:
        self.note, self.more, self._hide_timer = None, 0, None
        self.set_class(False, "-shown")
        self.screen.set_class(False, "-note-shown")

    def render(self) -> Text:
        if self.note is None:
            return Text("")
        width = max(1, self.size.width)
        head = Text(f" step {self.note.step} ", style="bold reverse")
        flat = " ".join(self.note.text.split())
        more = f"  ({self.more} more: i)" if self.more else ""
        room = width - head.cell_len - 1 - len(more)
        if len(flat) > room:  # as much of it as fits, cut at a word; `i` has the rest
            more = more or "  (i: the whole note)"
            room = width - head.cell_len - 1 - len(more)
            flat = flat[: max(0, room - 1)].rsplit(" ", 1)[0] + "…"
        line = Text.assemble(head, " ", flat, (more, "bold"))
        line.truncate(width, overflow="ellipsis")
        return line
