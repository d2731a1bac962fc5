"""The dashboard: one lesson's run and its panels; its keys are the RunKeys, CompareKeys and ViewKeys mixins.

The lesson trains behind one `RunHandle` (`tui.run`): in a training process of its own (a
`RemoteRun`, whose pipe this screen's thread worker reads) when the factory offers one, else in
this screen's thread worker (a `LocalRun`). Either way it is opened after the first paint, so torch
never delays it. This screen only sends named requests (`driver.call(op, ...)`) and draws what the
run reports: each new state reaches it as a `RunUpdated` message (coalesced: only the newest one
waiting is handled), and the panels are redrawn on a timer only when something changed, at most
10 times a second (3 in low-bandwidth mode).

Text that reaches the screen from outside (engine messages quoting what the user typed, knob values,
scenario titles and notes, file names) is never parsed as markup: every `notify` here passes
`markup=False`, and labels get `Text` objects.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Static

from genstep.tui.run import RunState
from genstep.tui.views import ViewSet
from genstep.tui.widgets.curves import CurvesPanel
from genstep.tui.widgets.lesson import LessonPanel
from genstep.tui.widgets.notes import NotesPanel, NoteToast
from genstep.tui.widgets.picture import PicturePanel
from genstep.tui.widgets.status import KnobBar, ProblemBar, StatusBar

from .compare_keys import CompareKeys
from .run_keys import RunKeys
from .view_keys import ViewKeys

POLL_S = 0.1  # the panels are redrawn at most this often, and only after a new state
LOW_BANDWIDTH_POLL_S = 0.33
MIN_SIZE = (60, 20)  # below this the panels cannot be read: the screen says so instead
WIDE_FOOTER = 100  # from this width the Footer has room for the sub-step keys (D/G)


class DashboardScreen(RunKeys, CompareKeys, ViewKeys, Screen):
    """Status, knobs, the picture, curves, lesson panels, notes; the panels shown grow with the terminal."""

    BINDINGS = [
        Binding("space", "toggle_run", "Play/Pause"),
        Binding("n", "step(1)", "Step"),
        Binding("N", "step(100)", "100 steps", show=False),
        Binding("D", "substep('critic')", "solo", key_display="D/G",
                tooltip="One update of the critic (D) alone: the generator stands still"),
        Binding("G", "substep('generator')", "G solo", show=False,
                tooltip="One update of the generator (G) alone: the critic stands still"),
        Binding("D", "substep_key('critic')", "", show=False),  # D while the Footer has no room for D/G
        Binding("full_stop,greater_than_sign", "speed(1)", "Faster", show=False),
        Binding("comma,less_than_sign", "speed(-1)", "Slower", show=False),
        Binding("right_square_bracket", "select_knob(1)", "Next knob", show=False),
        Binding("left_square_bracket", "select_knob(-1)", "Previous knob", show=False),
        Binding("plus,equals_sign", "bump(1)", "Knob +", key_display="+/-"),
        Binding("minus,underscore", "bump(-1)", "Knob -", show=False),
        Binding("e", "edit_knob", "Type knob"),
        Binding("c", "cure", "Cure"),
        Binding("b", "back", "Back to the previous checkpoint (after a divergence: to the last good step)",
                show=False),
        Binding("g", "goto", "Rewind to step…", show=False),
        Binding("r", "reset", "Reset", show=False),
        Binding("R", "reseed", "Reseed", show=False),
        Binding("a", "toggle_arrows", "Arrows", show=False),
        Binding("v", "cycle_curves", "Other curves", show=False),
        Binding("left_curly_bracket", "move_cursor(-1)", "Move the view's cursor back (a time step, a slice)",
                show=False),
        Binding("right_curly_bracket", "move_cursor(1)", "Move the view's cursor on", show=False),
        Binding("l", "low_bandwidth", "Low bandwidth", show=False),
        Binding("s", "screenshot", "Screenshot", show=False),
        Binding("m", "export", "Export metrics", show=False),
        Binding("i", "lesson", "Lesson", show=False),
        Binding("o", "app.pick", "Scenarios", show=False),
        Binding("f", "fork", "Fork", show=False),
        Binding("w", "switch_branch", "Swap branch (the knob keys act on it)", show=False),
        Binding("x", "close_branch", "Close the selected fork", show=False),
        Binding("u", "until", "Run until a condition holds…", show=False),
        Binding("S", "save_run", "Save the run (genstep tui --load FILE continues it)", show=False),
        Binding("y", "replay_command", "The command that replays this run", show=False),
        Binding("question_mark", "help", "Keys"),
        Binding("q", "quit", "Quit"),
    ]

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]

    running: reactive[bool] = reactive(False, bindings=True)
    """As the run last reported (or as a key just asked); "Step" is greyed out while the run plays."""

    class SessionLoaded(Message):
        """The lesson's run is open; `driver` is its RunHandle."""

        def __init__(self, scenario: Any, driver: Any, device_reason: str = "") -> None:
            super().__init__()
            self.scenario, self.driver, self.device_reason = scenario, driver, device_reason

    class RunUpdated(Message):
        """The run reported a new state (with its newest Frame); a newer one replaces it unhandled."""

        def __init__(self, state: RunState, frame: Any) -> None:
            super().__init__()
            self.state, self.frame = state, frame

        def can_replace(self, message: Message) -> bool:
            return type(message) is type(self)

    class LoadFailed(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    class CommandFinished(Message):
        """A queued command ran (`error` empty) or was refused (`error` says why)."""

        def __init__(self, done: str, error: str) -> None:
            super().__init__()
            self.done, self.error = done, error

    def __init__(self, factory: Any, scenario: str, seed: int = 0, device: str = "auto",
                 overrides: Sequence[str] = (), autoplay: bool = False) -> None:
        super().__init__()
        self.factory, self.scenario_name = factory, scenario
        self.seed, self.device, self.overrides, self.autoplay = seed, device, list(overrides), autoplay
        self.scenario: Any = None
        self.driver: Any = None  # the run's RunHandle (tui.run), set when the lesson has loaded
        self.state = RunState()  # the run's newest state, from RunUpdated
        self._driver: Any = None  # set by the worker as soon as it exists
        self.frame: Any = None  # the engine's Frame on screen
        self.knob = ""  # the selected knob
        self.arrows = False
        self.low_bandwidth = False
        self.views = ViewSet()  # the views drawing this lesson's frames, shared by the panels
        self._seen_version = 0
        self._seen_notes = 0
        self._seen_problem = ""
        self._seen_notice = ""
        self.device_reason = ""  # why the engine picked its device (shown by `?`)
        self._waiting: Any = None  # the newest Frame come with a RunUpdated, not drawn yet
        self._redraw_due = False  # a redraw is scheduled
        self._last_redraw = 0.0
        self._stopping = threading.Event()
        self._train_done = threading.Event()

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield KnobBar(id="knobs")
        yield ProblemBar(id="problem")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield PicturePanel(self.views, id="picture")
                yield LessonPanel(self.views, id="lesson")
            with Vertical(id="right"):
                yield CurvesPanel("losses", self.views, id="curves-a")
                yield CurvesPanel("divergences", self.views, id="curves-b")
                yield NotesPanel(id="notes")
        yield Footer(compact=True)
        yield NoteToast(id="note-toast")
        yield Static("", id="too-small", markup=False)

    def on_mount(self) -> None:
        self.query_one(StatusBar).title = f"loading {self.scenario_name}…"
        self._fit(self.app.size.width, self.app.size.height)
        # start training (and with it the ~1 s torch import) only once the first frame is
        # painted, so it does not compete with the first paint for the CPU
        self.call_after_refresh(self.train)

    def on_resize(self, event) -> None:
        self._fit(event.size.width, event.size.height)
        self.refresh_bindings()  # D/G joins the Footer when it fits

    def _fit(self, width: int, height: int) -> None:
        """Below MIN_SIZE, hide the panels and say how big the terminal needs to be."""
        small = width < MIN_SIZE[0] or height < MIN_SIZE[1]
        if small:
            self.query_one("#too-small", Static).update(
                f"genstep needs at least {MIN_SIZE[0]}x{MIN_SIZE[1]};\nthis terminal is {width}x{height}.\n\n"
                "Make it larger, or press q to quit.")
        self.set_class(small, "-too-small")

    async def on_unmount(self) -> None:
        await self.shutdown()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("step", "substep", "substep_key") and self.running:
            return None  # shown greyed out: stepping is for a paused run
        if action.startswith("substep") and not (self.frame is not None and self.frame.updates):
            return False  # this lesson's model has no players to update alone: not in the Footer
        if action == "substep" and parameters == ("critic",) and self.size.width < WIDE_FOOTER:
            return False  # no room for D/G in the Footer: D falls through to substep_key
        return True

    # -- the worker -------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="training", description="training loop")
    def train(self) -> None:
        """Open the run (a training process, or the loop in this thread) and stay in `run()`."""
        handle = None
        try:
            handle = self._open()
            if handle is None or self._stopping.is_set():
                return
            handle.watch(lambda state, frame: self.post_message(self.RunUpdated(state, frame)))
            self.post_message(self.SessionLoaded(handle.scenario, handle, handle.device_reason))
            handle.run()
        finally:
            if handle is not None and handle.thread is None:  # opened, never run: stop its process
                handle.join(5.0)
            self._train_done.set()

    def _open(self) -> Any:
        """The lesson's RunHandle, loaded; None (LoadFailed posted) when it cannot be opened."""
        opener = getattr(self.factory, "open_run", None)
        args = (self.scenario_name, self.seed, self.device, self.overrides)
        handle = opener(*args, self.autoplay) if opener is not None else None
        try:
            if handle is not None:  # a training process: it validates first, then builds on go()
                self._driver = handle  # for shutdown(); the UI uses self.driver, set once loaded
                handle.wait_valid()
                handle.scenario  # noqa: B018 - rebuilt from plain data here, not on the UI thread
                if self._stopping.is_set():
                    return handle
                handle.go()
            else:
                from genstep.tui.run.build import build

                _, handle = build(*args, autoplay=self.autoplay, opener=self.factory)
                self._driver = handle
        except Exception as exc:  # ScenarioError, RunRefused and friends: shown, never a traceback
            if handle is not None:
                handle.join(5.0)
            self.post_message(self.LoadFailed(str(exc) or type(exc).__name__))
            return None
        return handle

    async def shutdown(self) -> None:
        """Stop the training loop and wait for its thread (called on quit and when replaced)."""
        self._stopping.set()
        if self._driver is not None:
            self._driver.stop()
        if self.is_mounted or self._driver is not None:
            await asyncio.to_thread(self._train_done.wait, 30.0)

    # -- handlers ---------------------------------------------------------------------------

    def on_dashboard_screen_session_loaded(self, message: SessionLoaded) -> None:
        self.scenario, self.driver = message.scenario, message.driver
        self.device_reason = message.device_reason
        knobs = list(self.scenario.knobs)
        self.knob = knobs[0] if knobs else ""
        status = self.query_one(StatusBar)
        status.title = self.scenario.lesson.title
        status.speed = message.driver.speed
        self.query_one(KnobBar).selected = self.knob

    def on_dashboard_screen_load_failed(self, message: LoadFailed) -> None:
        self.app.notify(message.reason, title="could not open the lesson", severity="error", timeout=10, markup=False)
        self.query_one(StatusBar).title = f"could not open {self.scenario_name}"
        self.app.call_later(self.app.action_pick)

    def on_dashboard_screen_command_finished(self, message: CommandFinished) -> None:
        if message.error:
            self.notify(message.error, title="refused", severity="error", markup=False)
        elif message.done:
            self.notify(message.done, markup=False)

    def on_dashboard_screen_run_updated(self, message: RunUpdated) -> None:
        """Keep the newest state (keys decide by it at once); redraw once the rate cap allows."""
        self.state, self._waiting = message.state, message.frame
        if not self._redraw_due:
            self._redraw_due = True
            period = LOW_BANDWIDTH_POLL_S if self.low_bandwidth else POLL_S
            self.set_timer(max(0.001, self._last_redraw + period - time.monotonic()), self._redraw)

    def _redraw(self) -> None:
        """Draw the newest state; the panels only when its Frame is new."""
        self._redraw_due, self._last_redraw = False, time.monotonic()
        if self.driver is None:
            return
        state = self.state
        status = self.query_one(StatusBar)
        self.running = status.running = state.running
        status.rate, status.problem = state.rate, state.diverged  # the speed is the keys' to show
        self.query_one(ProblemBar).show(state.diverged, state.last_good, self._ended())
        if state.diverged and state.diverged != self._seen_problem:
            back = f"; b rewinds to step {state.last_good}" if state.last_good is not None else ""
            self.notify(state.diverged + back, title="the run stopped", severity="error", timeout=10, markup=False)
        self._seen_problem = state.diverged
        if state.notice and state.notice != self._seen_notice:  # e.g. a run-until condition held
            self.notify(state.notice, title="run until", timeout=8, markup=False)
        self._seen_notice = state.notice
        if state.version != self._seen_version and self._waiting is not None:
            self._seen_version = state.version
            self.show_frame(self._waiting)

    def show_frame(self, frame: Any) -> None:
        """Hand a Frame to every panel (also used by tests with fixed frames)."""
        had_players = bool(self.frame is not None and getattr(self.frame, "updates", None))
        self.frame = frame
        status = self.query_one(StatusBar)
        status.step, status.seed, status.device = frame.step, frame.seed, frame.device
        updates = getattr(frame, "updates", None) or {}  # updates per player: D and G for a GAN
        status.updates = " ".join(f"{who} {n}" for who, n in updates.items())
        if bool(updates) != had_players:
            self.refresh_bindings()  # the sub-step keys show only for models that have players
        if frame.status != "ok" and frame.message:
            status.problem = frame.message
        if self.scenario is None:
            status.title = frame.title
        self.query_one(KnobBar).values = dict(frame.knobs)
        if not self.knob and frame.knobs:
            self.knob = self.query_one(KnobBar).selected = next(iter(frame.knobs))
        self.query_one(PicturePanel).configure(arrows=self.arrows, heat=not self.low_bandwidth,
                                                live=self.running)
        self.query_one(PicturePanel).frame = frame
        for panel in (self.query_one("#curves-a"), self.query_one("#curves-b"), self.query_one(LessonPanel)):
            if panel.display:
                panel.frame = frame
        lesson = getattr(self.scenario, "lesson", None)
        self.query_one(NotesPanel).show(getattr(lesson, "summary", ""), getattr(lesson, "watch", ""),
                                        frame.notes, list(getattr(lesson, "cure", [])))
        fired = frame.notes[self._seen_notes:] if len(frame.notes) > self._seen_notes else ()
        if fired and not self.query_one(NotesPanel).display:  # else the panel marks them itself
            self.query_one(NoteToast).show(fired[-1], len(fired))
        self._seen_notes = len(frame.notes)

    async def action_quit(self) -> None:
        await self.shutdown()
        self.app.exit(0)
