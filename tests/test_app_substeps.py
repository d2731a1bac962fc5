"""The sub-step keys, through the real engine in its training process: `D` updates the critic alone
once, `G` the generator alone once, the status line counts both, and rewinding (the `g` dialog)
across sub-steps lands on exactly the state a headless run reaches with the same operations."""

import asyncio

import numpy as np
import pytest

pytest.importorskip("torch")

from textual.widgets import Input  # noqa: E402

from genstep.engine import Session, load_scenario  # noqa: E402
from fakes import FakeFactory, screen_text  # noqa: E402
from genstep.tui.app import EngineFactory, GenstepApp  # noqa: E402
from genstep.tui.screens.dashboard import DashboardScreen  # noqa: E402
from genstep.tui.screens.dialogs import ValueDialog  # noqa: E402
from genstep.tui.widgets.status import StatusBar  # noqa: E402

SCENARIO = "tests/data/tiny-gan.toml"


async def until(pilot, condition, timeout=60.0):
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("timed out waiting for the app")


def headless(ops: list[str]):
    """The same operations on a Session: "n" a step, "D" / "G" an update of the critic / generator alone."""
    s = Session(load_scenario(SCENARIO), seed=3, device="cpu")
    for op in ops:
        s.step(1) if op == "n" else s.substep({"D": "critic", "G": "generator"}[op])
    return s.frame()


def test_sub_step_keys_count_in_the_status_line_and_rewind_across_them_is_exact():
    keys = ["n", "n", "n", "D", "D", "G", "n", "n"]

    async def drive():
        app = GenstepApp(SCENARIO, seed=3, device="cpu", session_factory=EngineFactory())
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, DashboardScreen) and app.screen.frame is not None)
            screen = app.screen
            await pilot.pause(0.3)
            footer = next((line for line in screen_text(app).splitlines() if "Quit" in line), "")
            done = 0
            for key in keys:  # one at a time: each lands before the next is pressed
                await pilot.press(key)
                done += 1
                want = sum(1 for k in keys[:done] if k == "n"), keys[:done].count("D") + keys[:done].count("n")
                await until(pilot, lambda: (screen.frame.step, screen.frame.updates.get("D")) == want)
            await until(pilot, lambda: screen.frame.updates == {"D": 7, "G": 6})
            await pilot.pause(0.2)
            status = str(screen.query_one(StatusBar).render())
            end = screen.frame
            await pilot.press("g")  # rewind to step 4: from the checkpoint at 0, across the sub-steps at 3
            await until(pilot, lambda: isinstance(app.screen, ValueDialog))
            app.screen.query_one(Input).value = "4"
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, DashboardScreen) and screen.frame.step == 4)
            rewound = screen.frame
            await pilot.press("n")  # and on again to 5: the same state as before the rewind
            await until(pilot, lambda: screen.frame.step == 5)
            again = screen.frame
            await pilot.press("q")
        return footer, status, end, rewound, again

    footer, status, end, rewound, again = asyncio.run(drive())
    assert "Quit" in footer and "D/G" not in footer, footer  # 80 columns: no room; D and G work all the same
    assert "step 5 · D 7 G 6" in status

    for frame, ops in ((end, keys), (rewound, keys[:-1]), (again, keys)):
        want = headless(ops)
        assert frame.step == want.step and frame.updates == want.updates
        assert [(e.step, e.knob, e.new) for e in frame.events] == [(3, "substep", "critic"), (3, "substep", "critic"),
                                                                    (3, "substep", "generator")]
        assert np.array_equal(frame.fake, want.fake) and np.array_equal(frame.payload.heat, want.payload.heat)
        assert frame.metrics == want.metrics


def test_d_g_join_the_footer_when_it_has_room_and_the_help_lists_them_only_for_models_with_players():
    async def drive(name, factory):
        app = GenstepApp(name, seed=3, device="cpu", session_factory=factory)
        async with app.run_test(size=(120, 36)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, DashboardScreen) and app.screen.frame is not None)
            await pilot.pause(0.3)
            footer = next((line for line in screen_text(app).splitlines() if "Quit" in line), "")
            await pilot.press("D")
            await pilot.pause(0.3)
            updates, step = dict(app.screen.frame.updates), app.screen.frame.step
            await pilot.press("question_mark")
            await until(pilot, lambda: not isinstance(app.screen, DashboardScreen))
            await pilot.pause(0.2)
            shown = " ".join(screen_text(app).split())
            await pilot.press("escape", "q")
        return footer, updates, step, shown

    footer, updates, step, shown = asyncio.run(drive(SCENARIO, EngineFactory()))
    assert "D/G solo" in footer and "Quit" in footer, footer
    assert updates == {"D": 1, "G": 0} and step == 0
    assert "One update of the critic (D) alone" in shown and "One update of the generator (G) alone" in shown

    footer, updates, step, shown = asyncio.run(drive("fake-vae", FakeFactory()))
    assert "Quit" in footer and "D/G" not in footer and updates == {} and step == 0, footer
    assert "One update of the critic" not in shown
