"""The `ssl-collapse` lesson in the app: SVG snapshots at 80x24 (collapsed: the PCA of the
embeddings is one dot, the spectrum one bar) and 120x36 (after the cure: eight clusters apart in
the PCA, several singular values in use, and in the lesson panel the data with its two views and
the lesson's numbers); and `{` / `}` switching the picture between embeddings and data.

Fed with the real engine: the lesson's Session is opened on the CPU, stepped by a fixed plan
before the app opens it, and served paused (one torch thread, so the frame is the same on every
run). Update after an intended change with:
pytest tests/test_app_ssl_snapshots.py --snapshot-update
"""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

from fakes import aio, open_dashboard, screen_text  # noqa: E402
from genstep.tui.app import GenstepApp  # noqa: E402

NAME = "ssl-collapse"
# steps, or knob=value, in order: what the user did before the snapshot
PLANS = {
    "collapsed": ["500"],
    "cured": ["500", "stop_grad=on", "500"],
}


class SteppedEngine:
    """The engine at a fixed point of a plan; each plan's Session is built once and shared."""

    sessions: dict[str, tuple] = {}

    def __init__(self, plan: str):
        self.plan = plan

    def __call__(self, name, seed=0, device="auto", overrides=()):
        if self.plan not in self.sessions:
            from genstep.tui.run.build import open_session

            sc, s = open_session(name, 0, "cpu", overrides)
            for item in PLANS[self.plan]:
                knob, _, value = item.partition("=")
                s.set(knob, value) if value else s.step(int(knob))
            self.sessions[self.plan] = (sc, s)
        return self.sessions[self.plan]

    def scenarios(self):
        return [(NAME, NAME)]

    def summaries(self):
        return {}


async def loaded(pilot):
    await open_dashboard(pilot, timeout=60)
    await pilot.pause(0.3)


@pytest.mark.parametrize("plan, size", [("collapsed", (80, 24)), ("cured", (120, 36))])
def test_the_lesson_in_the_app(snap_compare, plan, size):
    engine = SteppedEngine(plan)
    engine(NAME)  # stepped before the app opens, so the first frame is the planned one
    app = GenstepApp(NAME, seed=0, device="cpu", session_factory=engine)
    assert snap_compare(app, terminal_size=size, run_before=loaded)


@aio
async def test_braces_switch_the_picture_between_embeddings_and_data():
    engine = SteppedEngine("collapsed")
    engine(NAME)
    app = GenstepApp(NAME, seed=0, device="cpu", session_factory=engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        assert "· PCA" in screen_text(app) and "σ/√N" in screen_text(app)
        await pilot.press("}")
        await pilot.pause(0.3)
        text = screen_text(app)
        assert "· views" in text and "view 1" in text and "σ/√N" not in text
        await pilot.press("{")
        await pilot.pause(0.3)
        assert "· PCA" in screen_text(app) and "σ/√N" in screen_text(app)
