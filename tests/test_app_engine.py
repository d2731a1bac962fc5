"""The app drives the real engine exactly as a headless run would.

Pausing, stepping and turning a knob in the app must give the same metrics as a Session run
headless with the same seed and the same knob change at the same step (bit-identical on CPU).
"""

import asyncio
import math
import re

import pytest

pytest.importorskip("torch")

from textual.widgets import Input  # noqa: E402

from genstep.engine import Session, load_scenario  # noqa: E402
from genstep.tui.app import EngineFactory, GenstepApp  # noqa: E402
from genstep.tui.screens.dashboard import DashboardScreen  # noqa: E402
from genstep.tui.screens.dialogs import ValueDialog  # noqa: E402

SCENARIO = "tests/data/tiny-gan.toml"  # a stable test scenario: the shipped lessons get retuned


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


DIVERGING = {
    "gan": ("tests/data/tiny-gan.toml", ["train.lr_g=10", 'train.opt_g="sgd"', "train.lr_d=10", 'train.opt_d="sgd"']),
    "vae": ("tests/data/tiny-vae.toml", ["train.lr=10", 'train.optimizer="sgd"']),
}


@pytest.mark.parametrize("family", ["gan", "vae"])
def test_a_diverging_real_run_pauses_names_the_quantity_and_b_rewinds_to_the_last_good_step(family):
    from fakes import screen_text
    from genstep.tui.widgets.status import ProblemBar

    path, overrides = DIVERGING[family]

    async def drive():
        app = GenstepApp(path, device="cpu", overrides=overrides, autoplay=True, session_factory=EngineFactory())
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, DashboardScreen) and app.screen.frame is not None)
            screen = app.screen
            bar = screen.query_one(ProblemBar)
            await until(pilot, lambda: bar.display and screen.frame.status == "diverged")
            await pilot.pause(0.1)
            shown = " ".join(screen_text(app).split())
            good = screen.driver.last_good
            assert not screen.driver.running
            await pilot.press("b")
            await until(pilot, lambda: not bar.display and screen.frame.status == "ok")
            after = screen.frame.step
            await pilot.press("q")
        return shown, good, after

    shown, good, after = asyncio.run(drive())
    # the engine's message: which quantity went non-finite, and the step it kept
    assert re.search(rf"■ \w+ became (nan|inf) at step {good + 1}; stopped at step {good}, the last good state", shown)
    assert f"b rewind to step {good}, the last good state" in shown
    assert after == good


def test_the_app_trains_on_one_cpu_thread():
    """torch's thread count is read per calling thread (OpenMP), so it is checked where the steps run."""
    import threading

    import torch

    seen = []

    class Recording(EngineFactory):
        def __call__(self, *args, **kwargs):
            scenario, session = super().__call__(*args, **kwargs)
            session.listeners.append(lambda step, row: seen.append((threading.current_thread(), torch.get_num_threads())))
            return scenario, session

    def two_threads():
        torch.set_num_threads(2)  # what a fresh process on a 2-core machine would use

    async def drive():
        app = GenstepApp("tests/data/tiny-gan.toml", device="cpu", session_factory=Recording(worker="thread"))
        await asyncio.to_thread(two_threads)  # the executor thread the worker will run in, too
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, DashboardScreen) and app.screen.frame is not None)
            await pilot.press("n")
            await until(pilot, lambda: app.screen.frame.step == 1)
            thread = app.screen.driver.thread
            await pilot.press("q")
        return thread

    thread = asyncio.run(drive())
    assert seen and all(t is thread and n == 1 for t, n in seen)


def test_a_dead_training_process_is_shown_with_the_way_on_and_quit_still_works():
    import os
    import signal

    from fakes import screen_text

    async def drive():
        app = GenstepApp("tests/data/tiny-gan.toml", device="cpu", session_factory=EngineFactory())
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, DashboardScreen) and app.screen.frame is not None)
            screen = app.screen
            os.kill(screen.driver.process.pid, signal.SIGKILL)
            await until(pilot, lambda: screen.driver.finished.is_set())
            await pilot.pause(0.3)
            shown = " ".join(screen_text(app).split())
            await pilot.press("space")
            await pilot.pause(0.1)
            await pilot.press("q")
        return shown

    shown = asyncio.run(drive())
    assert "■ the training process ended (exit code -9)" in shown
    assert "o open a lesson again q quit" in shown
