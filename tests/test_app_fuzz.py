"""Odd input typed into the app's dialogs (hypothesis): always a message on screen, never a crash.

One app (the real engine on tests/data/tiny-gan.toml) runs in a thread of its own for the whole
module; each example opens the knob or the rewind dialog there, enters a value, and checks what the
user is told: the refusal under the input, or a notification that it was applied. The dialogs are
opened and submitted through their actions, not key presses (Pilot waits ~0.1 s per key for the
app to go idle; the keys themselves are tested in test_app.py).
"""

import asyncio
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("torch")

from textual._context import active_app  # noqa: E402
from textual.widgets import Input  # noqa: E402

from fakes import open_dashboard, until  # noqa: E402
from genstep.tui.app import EngineFactory, GenstepApp  # noqa: E402
from genstep.tui.screens import dashboard  # noqa: E402
from genstep.tui.screens.dashboard import DashboardScreen  # noqa: E402
from genstep.tui.screens.dialogs import ValueDialog  # noqa: E402
from genstep.tui.widgets.status import KnobBar  # noqa: E402

dashboard.POLL_S = 0.02

ODD = [
    "nan", "NaN", "-nan", "inf", "-inf", "+Infinity", "1e999", "-1e999", "1e-999", "", " ", "0", "-0",
    "1_000", "0x10", "١٢٣", "½", "1,5", "[/red]", "[bold]x", "[/red]x [bold]", "[link=file:///etc/passwd]",
    "\\", "[", "]", "\x00", "\x1b[31mred", "🙂", "é", "1" * 5000, "9" * 5000, "x" * 10_000, "wgan-gp", "ns",
    " NS ", "True", "None", "1e-5", "0.5", "10", "-3", "7.0", "2.5", "$text", "%s%s", "{}",
]
VALUES = st.one_of(
    st.sampled_from(ODD),
    st.text(max_size=120),
    st.text(alphabet="[]/=bold red0123456789.e-+nafi ", max_size=30),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)
KNOBS = ["loss", "lr_g", "lr_d", "n_critic", "clip", "gp"]


class AppInThread:
    """The app under run_test, on an event loop in its own thread; `call(fn)` runs fn(pilot) there."""

    def __init__(self, app: GenstepApp) -> None:
        self.app = app
        self.ready = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        if not self.ready.wait(60):
            raise RuntimeError(f"the app did not start: {self.error!r}")

    def _run(self) -> None:
        async def main():
            self.loop = asyncio.get_running_loop()
            self.done = asyncio.Event()
            async with self.app.run_test(size=(80, 24)) as pilot:
                self.pilot = pilot
                await open_dashboard(pilot, timeout=60)
                self.ready.set()
                await self.done.wait()
                await pilot.press("q")

        try:
            asyncio.run(main())
        except BaseException as exc:  # surfaced by the test that is running
            self.error = exc
            self.ready.set()

    def call(self, fn, timeout: float = 30.0):
        async def in_app_context():
            active_app.set(self.app)  # as in the app's own tasks: widgets made here find their app
            return await fn(self.pilot)

        return asyncio.run_coroutine_threadsafe(in_app_context(), self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.done.set)
        self.thread.join(30)


@pytest.fixture(scope="module")
def running():
    app = GenstepApp("tests/data/tiny-gan.toml", device="cpu", session_factory=EngineFactory())
    runner = AppInThread(app)
    runner.call(step_a_little)
    yield runner
    runner.close()
    assert runner.error is None and app.return_code == 0


async def step_a_little(pilot):
    screen = pilot.app.screen
    await pilot.press("N")
    await until(pilot, lambda: screen.frame.step == 100, timeout=30)


def typed(dialog_key: str, knob: str, values: list[str]):
    """Open a dialog and enter `values` one after another, as a user retrying after a refusal would
    (reopening it when one was accepted); returns what the user was told for each."""

    async def run(pilot):
        app = pilot.app
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        screen.knob = screen.query_one(KnobBar).selected = knob
        told = []
        dialog = None
        for value in values:
            if dialog is None:
                screen.action_edit_knob() if dialog_key == "e" else screen.action_goto()
                await until(pilot, lambda: isinstance(app.screen, ValueDialog) and app.screen.query(Input),
                            every=0.005)
                dialog = app.screen
            seen = {n.identity for n in app._notifications}  # (old ones expire meanwhile)
            error = dialog.query_one("#dialog-error")
            error.update("")
            dialog.query_one(Input).value = value
            await dialog.query_one(Input).action_submit()
            await until(pilot, lambda: app.screen is not dialog or str(error.render()), timeout=10, every=0.005)
            if app.screen is dialog:  # refused: the reason is under the input
                await until(pilot, lambda: error.region.height > 0, every=0.005)
                told.append(str(error.render()))
            else:  # accepted: a notification says what changed
                new = lambda: [n for n in app._notifications if n.identity not in seen]  # noqa: E731
                await until(pilot, new, every=0.005)
                told.append(new()[-1].message)
                dialog = None
        if dialog is not None:
            dialog.action_cancel()
            await until(pilot, lambda: app.screen is screen, every=0.005)
        return told, app._exception

    return run


@settings(max_examples=100, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(dialog=st.sampled_from(["e", "g"]), knob=st.sampled_from(KNOBS),
       values=st.lists(VALUES, min_size=1, max_size=2))
def test_odd_values_typed_into_a_dialog_get_a_message_not_a_crash(running, dialog, knob, values):
    told, exception = running.call(typed(dialog, knob, values))
    assert exception is None
    assert len(told) == len(values)
    for message in told:
        assert message.strip()
        assert len(message) <= 400  # a pasted novel is not echoed back whole
