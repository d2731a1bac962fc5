"""A lesson note firing, at the two sizes that matter: 80x24 (a small SSH window) and 120x36 (a
projector). The note must hide no plot and not the status line's step count: at 80x24 it takes the
Footer's row for a few seconds; at 120x36 the lesson panel lists it and marks it, and no toast shows.

The fake engine's note fires at step 200; the run opens at 199 and `n` takes the one step.
Update after an intended change with: pytest tests/test_app_notes_snapshots.py --snapshot-update
"""

import asyncio
import functools

import pytest
from textual.widgets._toast import Toast

from genstep.engine.frame import Note
from fakes import FakeFactory
from genstep.tui.app import GenstepApp
from genstep.tui.screens.dashboard import DashboardScreen
from genstep.tui.widgets.notes import NotesPanel, NoteToast
from genstep.tui.widgets.status import StatusBar



def aio(test):
    """Run an async test in its own event loop (no pytest-asyncio needed)."""

    @functools.wraps(test)
    def run(*args, **kwargs):
        asyncio.run(test(*args, **kwargs))

    return run


async def until(pilot, cond, tries: int = 250) -> None:
    for _ in range(tries):
        if cond():
            return
        await pilot.pause(0.02)
    raise AssertionError("the app never got there")


async def note_fires(pilot) -> None:
    """Loaded at step 199, one step: the note fires at step 200."""
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, DashboardScreen) and app.screen.frame is not None)
    await pilot.press("n")
    await until(pilot, lambda: app.screen.frame.step == 200 and app.screen._seen_notes == 1)
    await pilot.pause(0.1)


def app_at_199() -> GenstepApp:
    return GenstepApp("fake-gan", session_factory=FakeFactory(start_step=199))


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
def test_note_firing_covers_no_plot(snap_compare, size):
    assert snap_compare(app_at_199(), terminal_size=size, run_before=note_fires)


@pytest.mark.parametrize("size, toast", [((80, 24), True), ((120, 24), True), ((80, 36), True),
                                          ((120, 36), False)])
@aio
async def test_one_note_at_a_time_and_the_step_count_stays_visible(size, toast):
    """What a user sees while a note fires: the status line with its step count, every panel, the
    note once (on the Footer's row, or marked in the lesson panel when that is on screen)."""
    app = app_at_199()
    async with app.run_test(size=size, notifications=True) as pilot:
        await note_fires(pilot)
        screen = app.screen
        assert not list(screen.query(Toast)), "a note came as a stacked toast"
        note_toast, panel = screen.query_one(NoteToast), screen.query_one(NotesPanel)
        assert note_toast.display is toast and panel.display is not toast
        status = screen.query_one(StatusBar)
        assert "step 200" in str(status.render())
        for name in ("#picture", "#curves-a", "#curves-b", "#lesson", "#notes"):
            shown = screen.query_one(name)
            if shown.display:  # nothing drawn over it: the note's row is below every panel
                assert shown.region.bottom <= note_toast.region.y or not toast
        if toast:
            assert note_toast.region.y == size[1] - 1 and note_toast.region.height == 1
            assert "step 200" in str(note_toast.render()) and "Two modes left" in str(note_toast.render())
        else:
            assert panel.fresh == 1
            assert "Two modes left" in str(panel.query_one("#notes-text").render())


@aio
async def test_a_second_note_replaces_the_first_and_counts_it():
    """Two notes in quick succession (wgan-disjoint fires two at step 1): the newest shows, the other
    is counted and left to `i`; after the timeout the Footer is back."""
    app = app_at_199()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await note_fires(pilot)
        toast = app.screen.query_one(NoteToast)
        toast.show(Note(201, "A second note, to replace the first one on the same row.", "step 201"))
        await pilot.pause(0.05)
        text = str(toast.render())
        assert "step 201" in text and "A second note" in text and "(1 more: i)" in text
        assert "Two modes left" not in text
        footer = app.screen.query_one("Footer")
        assert not footer.display
        toast.hide()
        await pilot.pause(0.05)
        assert footer.display and not toast.display
