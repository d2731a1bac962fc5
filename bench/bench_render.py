"""How long a dashboard frame costs to draw, at 120x36 (4 panels) and 80x24 (2 panels).

Run alone: .venv/bin/python bench/bench_render.py [--fake]   (or `python -m bench --only frame`)

1. renderers only: each panel's Canvas and its Strips, from a realistic GAN frame
   (2,500 data + 2,500 generated points, 48x48 critic grid, curve histories, knob markers);
2. the whole Textual pipeline, headless: hand the frame to the panels and have the compositor
   render every visible line (what one redraw tick costs the UI thread, terminal output aside);
   this is `frame_ms_p50` (at 120x36);
3. everything the UI thread does for one new frame until it is idle again (the redraw's
   show_frame, every refresh it sets off, the compositor), less the same wait with no new frame.

Times are CPU time of the thread that draws (`time.thread_time`), medians; the wall-clock time is
printed beside them and, on a loaded machine, mostly measures the other processes. Nothing is
asserted (timings belong to the machine, not to the tests).
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
for _p in (str(ROOT), str(ROOT / "tests")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from genstep.engine.frame import Event  # noqa: E402


def realistic_frame(fake: bool):
    """A GAN frame from the real engine after some steps (or a fake one, with 2,500 points)."""
    if not fake:
        try:
            from genstep.engine import Session, load_scenario

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
    """Median CPU milliseconds of fn() over n runs (after one warm-up)."""
    return timeit2(fn, n)[0]


def timeit2(fn, n=30) -> tuple[float, float]:
    """(median CPU ms, median wall ms) of fn() over n runs, after one warm-up."""
    fn()
    cpu, wall = [], []
    for _ in range(n):
        c, w = time.thread_time(), time.perf_counter()
        fn()
        cpu.append(time.thread_time() - c)
        wall.append(time.perf_counter() - w)
    return statistics.median(cpu) * 1000, statistics.median(wall) * 1000


LAYOUTS = {
    "120x36": [("picture", 58, 20), ("losses", 58, 9), ("divergences", 58, 9), ("lesson", 58, 10)],
    "80x24": [("picture", 43, 19), ("losses", 34, 19)],
}


def bench_renderers(frame, n=30, show=True) -> dict[str, float]:
    """CPU ms per layout for every panel's canvas and strips (no Textual)."""
    from genstep.tui.widgets.curves import CurvesPanel
    from genstep.tui.widgets.lesson import LessonPanel
    from genstep.tui.widgets.picture import PicturePanel

    panels = {"picture": PicturePanel(), "losses": CurvesPanel("losses"),
              "divergences": CurvesPanel("divergences"), "lesson": LessonPanel()}
    totals = {}
    for layout, items in LAYOUTS.items():
        total = 0.0
        for name, w, h in items:
            panel = panels[name]
            ms = timeit(lambda: panel.draw(frame, w, h).strips(), n)
            total += ms
            if show:
                print(f"  {layout} {type(panel).__name__:<12} {w}x{h:<3} {ms:6.2f} ms CPU")
        totals[layout] = total
        if show:
            print(f"  {layout} all panels: {total:.2f} ms CPU (canvas + strips)")
    return totals


async def bench_pipeline(frame, size, n=30) -> dict[str, float]:
    """The Textual pipeline for one frame, headless: CPU and wall ms, and the settled UI cost."""
    from fakes import FakeFactory
    from genstep.tui.app import GenstepApp

    app = GenstepApp("fake-gan", session_factory=FakeFactory())
    async with app.run_test(size=size) as pilot:
        while app.screen.__class__.__name__ != "DashboardScreen" or app.screen.frame is None:
            await pilot.pause(0.05)
        screen = app.screen
        screen.driver.stop()
        await pilot.pause(0.2)
        cpu, wall, settled, idle = [], [], [], []
        for i in range(n):
            f = dataclasses.replace(frame, step=frame.step + i + 1)
            await pilot.pause()
            c, w = time.thread_time(), time.perf_counter()
            screen.show_frame(f)  # what a redraw does with a new frame
            app.screen._compositor.render_update(full=True)  # every visible line, through Textual
            cpu.append(time.thread_time() - c)
            wall.append(time.perf_counter() - w)
            # 3. the whole UI-thread cost of a new frame, against the same wait without one
            f = dataclasses.replace(frame, step=frame.step + 1000 + i)
            await pilot.pause(0.05)
            c = time.thread_time()
            screen.show_frame(f)
            await pilot.pause(0.05)
            settled.append(time.thread_time() - c)
            c = time.thread_time()
            await pilot.pause(0.05)
            idle.append(time.thread_time() - c)
        k = min(3, n // 4)
        med = lambda xs: statistics.median(xs[k:]) * 1000  # noqa: E731
        return {"cpu": med(cpu), "wall": med(wall), "settled": med(settled) - med(idle)}


def probe_cost(n=15) -> float | None:
    """CPU ms of Session.frame() (the worker thread's side of a frame), or None without the engine."""
    try:
        from genstep.engine import Session, load_scenario

        session = Session(load_scenario("gan-8gaussians"), seed=0)
        session.step(30)
    except Exception:
        return None
    return timeit(session.frame, n)


def frame_cost(quick: bool = False, fake: bool = False) -> dict:
    """The figures `python -m bench` reports (frame_ms_p50 is the 120x36 pipeline, CPU)."""
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass
    n = 12 if quick else 30
    frame, source = realistic_frame(fake)
    renderers = bench_renderers(frame, n, show=False)
    big = asyncio.run(bench_pipeline(frame, (120, 36), n))
    small = asyncio.run(bench_pipeline(frame, (80, 24), n))
    return {"frame_ms_p50": round(big["cpu"], 2), "frame_ms_p50_wall": round(big["wall"], 2),
            "frame_ms_80x24": round(small["cpu"], 2), "frame_ui_settled_ms_120x36": round(big["settled"], 2),
            "frame_ui_settled_ms_80x24": round(small["settled"], 2),
            "renderers_ms_120x36": round(renderers["120x36"], 2), "renderers_ms_80x24": round(renderers["80x24"], 2),
            "probe_ms": None if (p := probe_cost(8 if quick else 15)) is None else round(p, 2),
            "frame_source": source, "frame_runs": n}


def main() -> None:
    frame, source = realistic_frame("--fake" in sys.argv)
    print(f"frame from {source}: {len(frame.real)} + {len(frame.fake)} points, heat "
          f"{None if frame.payload is None or frame.payload.heat is None else frame.payload.heat.shape}, {len(frame.history)} curves")
    print("renderers (median of 30, CPU):")
    bench_renderers(frame)
    print("whole Textual redraw, headless (median of 30):")
    for size in ((120, 36), (80, 24)):
        r = asyncio.run(bench_pipeline(frame, size))
        print(f"  {size[0]}x{size[1]}: {r['cpu']:.2f} ms CPU per frame (wall {r['wall']:.2f} ms); "
              f"the UI thread's whole cost of a new frame: {r['settled']:.2f} ms CPU")


if __name__ == "__main__":
    main()
