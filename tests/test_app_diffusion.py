"""The diffusion lessons in the app: their view at 80x24 and 120x36 (SVG snapshots), the forward
process's t moved from the keyboard with `{` and `}`, and `c` applying the cure.

The frames come from a real Session in this process, stepped a fixed number of steps before the
app opens it (deterministic on the CPU): `ddpm-swissroll` at step 3000, the horizon (samples and
their reverse trails), and `diffusion-few-steps` at step 900 with the cursor moved to t = 25, where the data
noised to x_25 is drawn against the points of the 4-step reverse chain at t = 25.
Update after an intended change with: pytest tests/test_app_diffusion.py --snapshot-update
"""

from __future__ import annotations

import asyncio

import pytest

from fakes import open_dashboard, screen_text
from genstep.tui.app import GenstepApp
from genstep.tui.widgets.chart import ChartView

pytest.importorskip("torch")


class SteppedEngine:
    """The real engine, opened in this process and stepped `steps` steps before the app sees it."""

    def __init__(self, steps: int):
        self.steps = steps

    def __call__(self, name, seed=0, device="auto", overrides=()):
        from genstep.tui.run.build import open_session

        scenario, session = open_session(name, seed, "cpu", overrides)
        session.step(self.steps)
        return scenario, session

    def scenarios(self):
        from genstep.engine import list_scenarios

        return list(list_scenarios())

    def summaries(self):
        return {}


async def loaded(pilot):
    screen = await open_dashboard(pilot, timeout=60)
    await pilot.pause(0.3)
    return screen


def test_the_swiss_roll_with_its_trails_at_80x24(snap_compare):
    app = GenstepApp("ddpm-swissroll", session_factory=SteppedEngine(3000))
    assert snap_compare(app, terminal_size=(80, 24), run_before=loaded)


def test_few_steps_forward_process_against_the_chain_at_120x36(snap_compare):
    app = GenstepApp("diffusion-few-steps", session_factory=SteppedEngine(900))

    async def cursor_moved(pilot):  # set where `}` x 5 puts it, without the message it shows
        screen = await loaded(pilot)
        screen.views.for_frame(screen.frame).t = 25
        for panel in screen.query(ChartView):
            panel.redraw()
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=(120, 36), run_before=cursor_moved)


def test_t_moves_with_the_keyboard_and_c_applies_the_cure():
    async def drive():
        app = GenstepApp("diffusion-few-steps", session_factory=SteppedEngine(30))
        async with app.run_test(size=(120, 36)) as pilot:
            screen = await loaded(pilot)
            view = screen.views.for_frame(screen.frame)
            seen = [view.t]
            before = screen_text(app)
            await pilot.press("}", "}", "}")
            await pilot.pause(0.3)
            seen.append(view.t)
            moved = screen_text(app)
            await pilot.press("{", "{", "{", "{")
            await pilot.pause(0.3)
            seen.append(view.t)
            await pilot.press("c")
            for _ in range(200):
                if screen.frame.knobs.get("sample_steps") == 100 and screen.frame.payload.sampler == "ddpm, 100 steps":
                    break
                await pilot.pause(0.05)
            knobs, trails = dict(screen.frame.knobs), screen.frame.payload.trails.shape
            await pilot.press("q")
        return seen, before, moved, knobs, trails

    seen, before, moved, knobs, trails = asyncio.run(drive())
    assert seen == [0, 15, 0]  # T = 100: `}` moves t by T / 20, `{` stops at 0
    assert "reverse trails" in before and "x_t vs chain, t = 15/100 (chain at 25)" in moved
    assert knobs["sample_steps"] == 100 and trails[1] == 101  # the cure resampled at once: 100 steps
