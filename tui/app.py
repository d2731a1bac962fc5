"""genstep's Textual app: pick a lesson, then watch it train, step it, turn its knobs.

`run_app()` is what `genstep` / `genstep tui` call. `GenstepApp` takes a session factory so
tests can hand it a fake (tests/fakes.py) or a tiny real session; the default one, `EngineFactory`,
trains each lesson in a child process of its own (`tui.run.remote`), or, with GENSTEP_WORKER=thread,
opens the engine in this process, imported lazily (torch costs a second) from the dashboard's
worker thread after the first paint.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from functools import partial
from typing import Any, Protocol

from textual.app import App, ComposeResult, SystemCommand
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import Static

from genstep.tui.screens.dashboard import DashboardScreen
from genstep.tui.screens.picker import PickerScreen


class SessionFactory(Protocol):
    """Opens sessions for the app: `factory(name, seed, device, overrides) -> (scenario, session)`."""

    def __call__(self, name: str, seed: int, device: str, overrides: Sequence[str]) -> tuple[Any, Any]: ...

    def scenarios(self) -> list[tuple[str, str]]: ...

    def summaries(self) -> dict[str, str]: ...


class EngineFactory:
    """The real engine, in a training process of its own (`open_run`: a `tui.run.RemoteRun`), or,
    with `worker="thread"` (or GENSTEP_WORKER=thread, or where no process can be started), in this
    process (`open_run` says None and the dashboard calls the factory itself, from its worker).

    `prestarted` is a RemoteRun the command line started before importing the app (it validated
    the scenario while Textual was imported); the first lesson opened with the same request uses it."""

    def __init__(self, worker: str | None = None, prestarted: Any = None) -> None:
        from genstep.tui.run import wanted

        self.worker = "process" if wanted(worker) else "thread"
        self.prestarted = prestarted

    def open_run(self, name: str, seed: int = 0, device: str = "auto", overrides: Sequence[str] = (),
                 autoplay: bool = False):
        """A RemoteRun for the lesson (validating it already), or None to train in this process."""
        from genstep.tui.run.messages import Open
        from genstep.tui.run.remote import RemoteRun

        request = Open(name, int(seed), str(device), tuple(str(o) for o in overrides), bool(autoplay))
        if self.prestarted is not None and self.prestarted.request == request:
            run, self.prestarted = self.prestarted, None
            return run
        if self.worker != "process":
            return None
        return RemoteRun(name, seed, device, list(overrides), autoplay)

    def __call__(self, name: str, seed: int = 0, device: str = "auto", overrides: Sequence[str] = ()):
        """(scenario, Session), built in the calling thread (`tui.run.build.open_session`)."""
        from genstep.tui.run.build import open_session

        return open_session(name, seed, device, overrides)

    def scenarios(self) -> list[tuple[str, str]]:
        from genstep.engine import list_scenarios

        return list(list_scenarios())

    def summaries(self) -> dict[str, str]:
        """Each shipped lesson's summary, by name ("" where a file cannot be read)."""
        from genstep.engine.catalog import scenario_dir
        from genstep.engine.config import ScenarioError
        from genstep.engine.loading import read_toml

        out = {}
        for name, _ in self.scenarios():
            try:
                lesson = read_toml(scenario_dir() / f"{name}.toml").get("lesson", {})
            except ScenarioError:
                lesson = {}
            summary = lesson.get("summary", "") if isinstance(lesson, dict) else ""
            out[name] = summary if isinstance(summary, str) else ""
        return out


class LessonCommands(Provider):
    """Command palette: open another lesson by name or title."""

    async def startup(self) -> None:
        app = self.app
        assert isinstance(app, GenstepApp)
        try:
            self._lessons = await asyncio.to_thread(app.factory.scenarios)
        except Exception:
            self._lessons = []

    async def discover(self) -> Hits:
        for name, title in self._lessons:
            yield DiscoveryHit(Content(f"Open lesson: {name}"), partial(self.app.open_scenario, name),
                               help=escape(title))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, title in self._lessons:
            text = f"Open lesson: {name} — {title}"
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(escape(text)), partial(self.app.open_scenario, name),
                          help=escape(title))


class BlankScreen(Screen):
    """Under everything: shown only for the moment before the first lesson or the picker."""

    def compose(self) -> ComposeResult:
        yield Static("genstep", id="blank")


class GenstepApp(App[int]):
    """The whole app: a dashboard per opened lesson, the picker, the command palette."""

    CSS_PATH = "app.tcss"
    TITLE = "genstep"
    COMMANDS = App.COMMANDS | {LessonCommands}

    def __init__(
        self,
        scenario: str | None = None,
        seed: int = 0,
        device: str = "auto",
        overrides: Sequence[str] = (),
        session_factory: SessionFactory | None = None,
        autoplay: bool = False,
    ) -> None:
        super().__init__()
        self.factory: SessionFactory = session_factory or EngineFactory()
        self.start_scenario = scenario
        self.seed, self.device, self.overrides, self.autoplay = seed, device, list(overrides), autoplay

    def get_default_screen(self) -> Screen:
        return BlankScreen()

    def on_mount(self) -> None:
        if self.start_scenario:
            self.open_scenario(self.start_scenario)
        else:
            self.action_pick()

    def get_system_commands(self, screen: Screen):
        yield from super().get_system_commands(screen)
        yield SystemCommand("Pick a lesson", "List the shipped lessons and open one", self.action_pick)
        if isinstance(screen, DashboardScreen):
            for title, help_, action in (
                ("Apply the cure", "Set the knobs the lesson says cure it", screen.action_cure),
                ("Save SVG screenshot", "Write the screen to an .svg file", screen.action_screenshot),
                ("Export metrics", "Write the run's metrics to a .jsonl file", screen.action_export),
                ("Toggle low-bandwidth mode", "Fewer redraws, no heat map (for SSH)", screen.action_low_bandwidth),
                ("Rewind to step…", "Restore a checkpoint and replay", screen.action_goto),
            ):
                yield SystemCommand(title, help_, action)

    @property
    def dashboard(self) -> DashboardScreen | None:
        for screen in reversed(self.screen_stack):
            if isinstance(screen, DashboardScreen):
                return screen
        return None

    def open_scenario(self, name: str) -> None:
        """Open a lesson in a fresh dashboard, replacing (and stopping) the current one."""
        screen = DashboardScreen(self.factory, name, self.seed, self.device, self.overrides, self.autoplay)
        while len(self.screen_stack) > 1 and not isinstance(self.screen, DashboardScreen):
            self.pop_screen()
        if isinstance(self.screen, DashboardScreen):
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    def action_pick(self) -> None:
        def picked(name: str | None) -> None:
            if name:
                self.overrides = []  # overrides belong to the lesson named on the command line
                self.open_scenario(name)
            elif self.dashboard is None:
                self.exit(0)

        if not isinstance(self.screen, PickerScreen):
            self.push_screen(PickerScreen(self.factory), picked)

    async def action_quit(self) -> None:
        dashboard = self.dashboard
        if dashboard is not None:
            await dashboard.shutdown()
        self.exit(0)


def run_app(scenario: str | None, seed: int = 0, device: str = "auto", overrides: Sequence[str] = (),
            run: Any = None) -> int:
    """Run the app in this terminal; returns the exit code. `run`: a RemoteRun already started for
    this very lesson (see EngineFactory)."""
    app = GenstepApp(scenario, seed=seed, device=device, overrides=overrides,
                     session_factory=EngineFactory(prestarted=run))
    result = app.run()
    return int(result or app.return_code or 0)


if __name__ == "__main__":  # `python -m genstep.tui.app [NAME]`: what `genstep serve` runs per browser tab
    sys.exit(run_app(sys.argv[1] if len(sys.argv) > 1 else None))
