"""The app with a real (tiny) engine behind each of its runners: the default training process
(`tui.run.remote`) and the in-process fallback (`tui.run.local`, GENSTEP_WORKER=thread).

The same keyboard session for both: play and pause, step, rewind with `b` and `g`, turn a knob
in the `e` dialog (a refusal first), open the `?` help, quit with `q`; afterwards no training
process or thread is left behind.
"""

from __future__ import annotations

import asyncio
import math

import pytest

pytest.importorskip("torch")

from textual.widgets import Input  # noqa: E402

from fakes import screen_text  # noqa: E402
from genstep.tui.app import EngineFactory, GenstepApp  # noqa: E402
from genstep.tui.run import RunHandle, available  # noqa: E402
from genstep.tui.screens.dashboard import DashboardScreen  # noqa: E402
from genstep.tui.screens.dialogs import TextDialog, ValueDialog  # noqa: E402

TINY = "tests/data/tiny-gan.toml"  # checkpoints every 50 steps
RUNNERS = [pytest.param("process", marks=pytest.mark.skipif(not available(), reason="needs POSIX fd passing")),
           "thread"]


async def until(pilot, condition, timeout=60.0):
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("timed out waiting for the app")


def training_children() -> list[str]:
    """This process's children that are training processes (their command lines)."""
    import psutil

    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            line = " ".join(child.cmdline())
        except psutil.Error:  # gone meanwhile
            continue
        if "genstep.tui.run.child" in line:
            found.append(line)
    return found


def told(app, text: str) -> bool:
    """Whether a toast saying `text` is on screen (toasts expire: looked for right after the key)."""
    return any(n.message == text for n in app._notifications)


def same_metrics(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(a[k] == b[k] or (math.isnan(a[k]) and math.isnan(b[k])) for k in a)


@pytest.mark.parametrize("worker", RUNNERS)
def test_play_step_rewind_dialogs_and_quit_through_each_runner(worker):
    async def drive():
        app = GenstepApp(TINY, seed=3, device="cpu", session_factory=EngineFactory(worker=worker))
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, DashboardScreen) and app.screen.frame is not None)
            screen = app.screen
            handle = screen.driver
            assert isinstance(handle, RunHandle)
            assert type(handle).__name__ == ("RemoteRun" if worker == "process" else "LocalRun")
            first = screen.frame
            assert first.step == 0

            await pilot.press("space")  # play, then pause: the state comes back as a message
            await until(pilot, lambda: screen.state.running and screen.frame.step > 0)
            await pilot.press("space")
            await until(pilot, lambda: not screen.state.running)
            await pilot.press("r")  # back to step 0, same initial weights
            await until(pilot, lambda: screen.frame.step == 0 and not screen.state.running)

            await pilot.press("N")  # 100 steps: checkpoints at 0, 50 and 100
            await until(pilot, lambda: screen.frame.step == 100 and screen.state.pending == 0)
            assert 50 in screen.state.checkpoints
            await pilot.press("b")  # back to the checkpoint before step 100
            await until(pilot, lambda: screen.frame.step == 50 and told(app, "rewound to the previous checkpoint"))

            await pilot.press("g")  # rewind to a typed step: 0, the very start
            await until(pilot, lambda: isinstance(app.screen, ValueDialog))
            app.screen.query_one(Input).value = "0"
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, DashboardScreen) and screen.frame.step == 0
                        and told(app, "rewound to step 0"))
            rewound = screen.frame

            screen.knob = "lr_g"
            await pilot.press("e")  # a refused value keeps the dialog open with the engine's reason
            await until(pilot, lambda: isinstance(app.screen, ValueDialog))
            dialog = app.screen
            dialog.query_one(Input).value = "5000"
            await pilot.press("enter")
            await until(pilot, lambda: "out of range" in screen_text(app))
            refusal = " ".join(screen_text(app).split())
            assert app.screen is dialog
            dialog.query_one(Input).value = "0.002"
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, DashboardScreen) and screen.frame.knobs["lr_g"] == 0.002
                        and told(app, "lr_g=0.002 from step 0"))

            await pilot.press("question_mark")
            await until(pilot, lambda: isinstance(app.screen, TextDialog))
            help_text = " ".join(screen_text(app).split())
            await pilot.press("escape")
            await until(pilot, lambda: isinstance(app.screen, DashboardScreen))

            await pilot.press("q")
            await until(pilot, lambda: screen._train_done.is_set())
        return app, handle, first, rewound, refusal, help_text

    app, handle, first, rewound, refusal, help_text = asyncio.run(drive())
    assert app.return_code == 0
    # rewinding restores the initial state exactly: the same probe, the same numbers
    assert same_metrics(rewound.metrics, first.metrics)
    assert "lr_g: 5000 is out of range" in refusal
    assert "space" in help_text and "Play/Pause" in help_text
    # nothing is left running: the training process is reaped, the training thread has left
    assert handle.finished.is_set()
    if worker == "process":
        assert handle.process.poll() is not None
        assert training_children() == []
    else:
        assert not handle.thread.is_alive()


def test_a_flood_of_states_is_coalesced_into_one_redraw_of_the_newest(monkeypatch):
    """States come faster than the screen handles them: only the newest waiting one is handled
    and drawn, so a burst of 200 costs one handler call, and keys are never queued behind it."""
    from fakes import FakeFactory, fake_frame, load_scenario
    from genstep.tui.run import RunState

    handled = []
    real = DashboardScreen.on_dashboard_screen_run_updated

    def counting(self, message):
        handled.append(message.state.version)
        real(self, message)

    monkeypatch.setattr(DashboardScreen, "on_dashboard_screen_run_updated", counting)

    async def drive():
        app = GenstepApp("fake-gan", session_factory=FakeFactory())
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, DashboardScreen) and app.screen.frame is not None)
            screen = app.screen
            screen.driver.stop()
            await until(pilot, lambda: screen.driver.finished.is_set())
            await pilot.pause(0.2)
            handled.clear()
            scenario = load_scenario("fake-gan")
            for k in range(1, 201):  # no await in between: all 200 wait in the queue together
                screen.post_message(DashboardScreen.RunUpdated(RunState(version=1000 + k),
                                                               fake_frame(scenario, step=5000 + k)))
            await until(pilot, lambda: screen.frame.step == 5200)
            await pilot.pause(0.2)
            return list(handled), " ".join(screen_text(app).split())

    seen, shown = asyncio.run(drive())
    assert seen == [1200]
    assert "step 5200" in shown
