"""How long a dashboard frame costs to draw, at 120x36 (4 panels) and 80x24 (2 panels).

Run: .venv/bin/python bench/bench_render.py [--fake]

1. renderers only: each panel's Canvas and its Strips, from a realistic GAN frame
   (2,500 data + 2,500 generated points, 48x48 critic grid, curve histories, knob markers);
2. the whole Textual pipeline, headless: hand the frame to the panels and have the compositor
   render every visible line (what one redraw tick costs the UI thread, terminal output aside).
Prints figures; nothing is asserted (timings belong to the machine, not to the tests).
"""

from __future__ import annotations

import asyncio
import dataclasses
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from engine.frame import Event  # noqa: E402


def realistic_frame(fake: bool):
    """A GAN frame from the real engine after some steps (or a fake one, with 2,500 points)."""
    if not fake:
        try:
            from engine import Session, load_scenario

            session = Session(load_scenario("gan-8gaussians"), seed=0)
            session.step(30)
            session.set("lr_g", "0.002")
            session.step(30)
            return session.frame(), "engine gan-8gaussians"
        except Exception as exc:  # the engine may be mid-change; the fake keeps the bench alive
            print(f"(engine unavailable: {exc}; using the fake)")
    from fakes import fake_frame, load_scenario

    f = fake_frame(load_scenario("fake-gan"), step=1500)
    rng = np.random.default_rng(0)
    pts = lambda a: np.repeat(a, 5, axis=0)[:2500] + rng.normal(0, 0.02, (2500, 2)).astype(np.float32)  # noqa: E731
    hist = {k: dataclasses.replace(c, steps=np.linspace(0, 1500, 500), values=np.interp(
        np.linspace(0, 1500, 500), c.steps, c.values)) for k, c in f.history.items()}
    events = (Event(500, "lr_g", 1e-3, 2e-3), Event(1000, "loss", "ns", "wgan-gp"))
    return dataclasses.replace(f, real=pts(f.real), fake=pts(f.fake), history=hist, events=events), "fake"


def timeit(fn, n=30) -> float:
    fn()
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def bench_renderers(frame) -> None:
    from tui.widgets.curves import CurvesPanel
    from tui.widgets.lesson import LessonPanel
    from tui.widgets.picture import PicturePanel

    picture, losses, divs, lesson = PicturePanel(), CurvesPanel("losses"), CurvesPanel("divergences"), LessonPanel()
    for layout, panels in {
        "120x36": [(picture, 58, 20), (losses, 58, 9), (divs, 58, 9), (lesson, 58, 10)],
        "80x24": [(picture, 43, 19), (losses, 34, 19)],
    }.items():
        total = 0.0
        for panel, w, h in panels:
            ms = timeit(lambda: panel.draw(frame, w, h).strips())
            total += ms
            print(f"  {layout} {type(panel).__name__:<12} {w}x{h:<3} {ms:6.2f} ms")
        print(f"  {layout} all panels: {total:.2f} ms (canvas + strips)")


async def bench_pipeline(frame, size) -> float:
    from fakes import FakeFactory
    from tui.app import GenstepApp

    app = GenstepApp("fake-gan", session_factory=FakeFactory())
    async with app.run_test(size=size) as pilot:
        while app.screen.__class__.__name__ != "DashboardScreen" or app.screen.frame is None:
            await pilot.pause(0.05)
        screen = app.screen
        screen.driver.stop()
        await pilot.pause(0.2)
        times = []
        for i in range(30):
            f = dataclasses.replace(frame, step=frame.step + i + 1)
            await pilot.pause()
            t = time.perf_counter()
            screen.show_frame(f)  # what the poll timer does with a new frame
            app.screen._compositor.render_update(full=True)  # every visible line, through Textual
            times.append(time.perf_counter() - t)
        return statistics.median(times[3:]) * 1000


def main() -> None:
    frame, source = realistic_frame("--fake" in sys.argv)
    print(f"frame from {source}: {len(frame.real)} + {len(frame.fake)} points, heat "
          f"{None if frame.heat is None else frame.heat.shape}, {len(frame.history)} curves")
    print("renderers (median of 30):")
    bench_renderers(frame)
    print("whole Textual redraw, headless (median of 30):")
    for size in ((120, 36), (80, 24)):
        print(f"  {size[0]}x{size[1]}: {asyncio.run(bench_pipeline(frame, size)):.2f} ms per frame")


if __name__ == "__main__":
    main()
