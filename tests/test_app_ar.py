"""The `ar-8gaussians` lesson in the app: its own view at 80x24 and 120x36 (SVG snapshots), the
conditional's slice moved from the keyboard with `{` and `}`, and `c` applying the cure.

The frames come from a real Session in this process, stepped a fixed number of steps before the
app opens it (deterministic on the CPU): the K = 1 smear at 80x24, and at 120x36 the cured model
(K = 16 from step 100) with the slice moved to x1 = 1.38, where the data's conditional has its two
bumps at +-1.41. Both are taken right after the frame arrives, while the lesson notes that fired
before it are still marked (within the notes panel's and the toast's few seconds).
Update after an intended change with: pytest tests/test_app_ar.py --snapshot-update
"""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from fakes import open_dashboard, screen_text
from genstep.tui.app import GenstepApp

pytest.importorskip("torch")

NAME = "ar-8gaussians"


class SteppedEngine:
    """The real engine, opened in this process at a fixed step (`changes`: step -> knob=value)."""

    def __init__(self, steps: int, changes: dict[int, str] | None = None):
        self.steps, self.changes = steps, changes or {}

    def __call__(self, name, seed=0, device="auto", overrides=()):
        from genstep.engine.knobs import parse_assignment
        from genstep.tui.run.build import open_session

        scenario, session = open_session(name, seed, "cpu", overrides)
        for at, change in sorted(self.changes.items()):
            session.schedule(at, *parse_assignment(change))
        session.step(self.steps)
        return scenario, session

    def scenarios(self):
        from genstep.engine import list_scenarios

        return list(list_scenarios())

    def summaries(self):
        return {}


async def loaded(pilot, keys=()):
    screen = await open_dashboard(pilot, timeout=60)
    for key in keys:
        await pilot.press(key)
    await pilot.pause(0.3)
    return screen


def test_the_smear_at_80x24(snap_compare):
    app = GenstepApp(NAME, session_factory=SteppedEngine(300))
    assert snap_compare(app, terminal_size=(80, 24), run_before=loaded)


def test_the_cure_with_a_moved_slice_at_120x36(snap_compare):
    app = GenstepApp(NAME, session_factory=SteppedEngine(700, {100: "components=16"}))

    async def slice_moved(pilot):
        await loaded(pilot, "}" * 12)
        pilot.app.clear_notifications()  # the "slice x1 = ..." messages: the snapshot shows the panels
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=(120, 36), run_before=slice_moved)


def test_the_slice_moves_with_the_keyboard_and_c_cures():
    async def drive():
        app = GenstepApp(NAME, session_factory=SteppedEngine(20))
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await loaded(pilot)
            view = screen.views.for_frame(screen.frame)
            start = screen.frame.payload.slices[view._slice(screen.frame)]
            before = screen_text(app)
            await pilot.press("}", "}", "}")
            await pilot.pause(0.3)
            moved = screen.frame.payload.slices[view._slice(screen.frame)]
            after = screen_text(app)
            await pilot.press("{")
            await pilot.pause(0.3)
            back = screen.frame.payload.slices[view._slice(screen.frame)]
            await pilot.press("c")
            for _ in range(200):
                if screen.frame.knobs.get("components") == 16:
                    break
                await pilot.pause(0.05)
            knobs = dict(screen.frame.knobs)
            await pilot.press("q")
        return start, moved, back, before, after, knobs

    start, moved, back, before, after, knobs = asyncio.run(drive())
    assert start == pytest.approx(0.0, abs=1e-6)
    step = moved / 3
    assert step > 0.05 and back == pytest.approx(2 * step)
    assert "p(x2 | x1 = 0.00)" in before and f"p(x2 | x1 = {moved:.2f})" in after
    assert knobs["components"] == 16
    assert np.isfinite(moved)
