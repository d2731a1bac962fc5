"""The `gan-25grid` and `wgan-clip-vs-gp` lessons in the app: SVG snapshots at 80x24 and 120x36.

- gan-25grid: the standard GAN dropping modes (80x24), and after the cure (120x36, with the
  lesson panel's map of the 25 modes, captured or missed);
- wgan-clip-vs-gp: clip = 0.01, the bars under the critic's value surface falling a decade per
  layer (80x24), and after the cure (120x36: bars near 1, the surface following the ring, and in
  the lesson panel log10 grad_norm_ratio and lipschitz_est against steps), with two sub-steps
  taken at the end, so the status line counts D and G apart.

Fed with the real engine: each lesson's Session is opened on the CPU, taken through a fixed plan
before the app opens it (shorter than the lessons' horizons: these are pictures of the app, the
claims are tested in tests/test_lesson_*.py), and served paused. Update after an intended change
with: pytest tests/test_app_gan_scale_snapshots.py --snapshot-update
"""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

from fakes import open_dashboard  # noqa: E402
from genstep.tui.app import GenstepApp  # noqa: E402

# (lesson, plan): steps, knob=value, or "D" / "G" (one update of the critic / generator alone)
PLANS = {
    ("gan-25grid", "collapsed"): ["500"],
    ("gan-25grid", "cured"): ["500", "cure", "500"],
    ("wgan-clip-vs-gp", "clipped"): ["100"],
    ("wgan-clip-vs-gp", "cured"): ["100", "cure", "200", "D", "D", "G"],
}


class SteppedEngine:
    """The engine at a fixed point of a plan; each plan's Session is built once and shared."""

    sessions: dict[tuple, tuple] = {}

    def __init__(self, name: str, plan: str):
        self.key = (name, plan)

    def __call__(self, name, seed=0, device="auto", overrides=()):
        if self.key not in self.sessions:
            from genstep.engine.knobs import parse_assignment
            from genstep.engine.session import use_one_cpu_thread
            from genstep.tui.run.build import open_session

            use_one_cpu_thread()
            sc, s = open_session(name, 0, "cpu", overrides)
            for item in PLANS[self.key]:
                if item == "cure":
                    for c in sc.lesson.cure:
                        s.set(*parse_assignment(c))
                elif item in ("D", "G"):
                    s.substep({"D": "critic", "G": "generator"}[item])
                else:
                    s.step(int(item))
            self.sessions[self.key] = (sc, s)
        return self.sessions[self.key]

    def scenarios(self):
        return [(self.key[0], self.key[0])]

    def summaries(self):
        return {}


async def loaded(pilot):
    await open_dashboard(pilot, timeout=120)
    await pilot.pause(0.3)


@pytest.mark.parametrize("name, plan, size", [
    ("gan-25grid", "collapsed", (80, 24)),
    ("gan-25grid", "cured", (120, 36)),
    ("wgan-clip-vs-gp", "clipped", (80, 24)),
    ("wgan-clip-vs-gp", "cured", (120, 36)),
])
def test_the_lesson_in_the_app(snap_compare, name, plan, size):
    engine = SteppedEngine(name, plan)
    engine(name)  # stepped before the app opens, so the first frame is the planned one
    app = GenstepApp(name, seed=0, device="cpu", session_factory=engine)
    assert snap_compare(app, terminal_size=size, run_before=loaded)
