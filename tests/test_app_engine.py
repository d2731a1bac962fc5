"""The app drives the real engine exactly as a headless run would.

Pausing, stepping and turning a knob in the app must give the same metrics as a Session run
headless with the same seed and the same knob change at the same step (bit-identical on CPU).
"""

import asyncio
import math

import pytest

pytest.importorskip("torch")

from textual.widgets import Input  # noqa: E402

from engine import Session, load_scenario  # noqa: E402
from tui.app import EngineFactory, GenstepApp  # noqa: E402
from tui.screens.dashboard import DashboardScreen  # noqa: E402
from tui.screens.dialogs import ValueDialog  # noqa: E402

SCENARIO = "gan-8gaussians"


async def until(pilot, condition, timeout=60.0):
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("timed out waiting for the app")


def headless_metrics() -> tuple[int, dict]:
    session = Session(load_scenario(SCENARIO), seed=3, device="cpu")
    session.step(4)
    session.set("lr_g", "0.002")
    session.step(3)
    frame = session.frame()
    return frame.step, frame.metrics


def test_app_metrics_equal_a_headless_run_with_the_same_seed_and_knob_change():
    async def drive():
        app = GenstepApp(SCENARIO, seed=3, device="cpu", session_factory=EngineFactory())
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, DashboardScreen) and app.screen.frame is not None)
            screen = app.screen
            await pilot.press("n", "n", "n", "n")
            await until(pilot, lambda: screen.frame.step == 4)
            screen.knob = "lr_g"
            await pilot.press("e")
            await until(pilot, lambda: isinstance(app.screen, ValueDialog))
            app.screen.query_one(Input).value = "0.002"
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, DashboardScreen) and screen.frame.knobs["lr_g"] == 0.002)
            await pilot.press("n", "n", "n")
            await until(pilot, lambda: screen.frame.step == 7)
            frame = screen.frame
            await pilot.press("q")
        return frame

    frame = asyncio.run(drive())
    step, expected = headless_metrics()
    assert frame.step == step
    assert [(e.step, e.knob, e.new) for e in frame.events] == [(4, "lr_g", 0.002)]
    assert set(frame.metrics) == set(expected)
    for name, value in expected.items():
        got = frame.metrics[name]
        assert got == value or (math.isnan(got) and math.isnan(value)), name
