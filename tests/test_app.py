"""The app driven from the keyboard with Pilot, against the numpy fake engine (tests/fakes.py)."""

import asyncio
import functools
import json

import pytest
from textual.widgets import Input, OptionList

from fakes import FakeFactory, screen_text
from genstep.tui.app import GenstepApp
from genstep.tui.screens import dashboard
from genstep.tui.screens.dashboard import DashboardScreen
from genstep.tui.screens.dialogs import TextDialog, ValueDialog
from genstep.tui.screens.picker import PickerScreen
from genstep.tui.widgets.curves import CurvesPanel
from genstep.tui.widgets.status import KnobBar, StatusBar


dashboard.POLL_S = 0.02  # the redraw timer at 50 Hz: tests see each new frame sooner


def aio(test):
    """Run an async test in its own event loop (no pytest-asyncio needed)."""

    @functools.wraps(test)
    def run(*args, **kwargs):
        asyncio.run(test(*args, **kwargs))

    return run


async def until(pilot, condition, timeout=5.0):
    """Let the app run until `condition()` holds (the worker and the redraw timer are real)."""
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError("timed out waiting for the app")


def status_text(app) -> str:
    return str(app.screen.query_one(StatusBar).render())


async def open_dashboard(pilot, name="fake-gan"):
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, DashboardScreen) and app.screen.frame is not None)
    return app.screen


def make_app(name="fake-gan", **kw):
    factory = FakeFactory()
    return GenstepApp(name, session_factory=factory, **kw), factory


@aio
async def test_status_line_shows_title_step_state_device_and_seed():
    app, _ = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_dashboard(pilot)
        await until(pilot, lambda: "Mode collapse" in status_text(app))
        text = status_text(app)
        for part in ("step 0", "paused", "steps/s", "cpu", "seed 0"):
            assert part in text


@aio
async def test_n_steps_once_and_capital_n_a_hundred_times():
    app, factory = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_dashboard(pilot)
        await pilot.press("n")
        await until(pilot, lambda: screen.frame.step == 1)
        assert "step 1" in status_text(app)
        await pilot.press("N")
        await until(pilot, lambda: screen.frame.step == 101)
        assert factory.opened[0].steps == 101


@aio
async def test_space_plays_and_pauses_and_step_is_disabled_while_playing():
    app, factory = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_dashboard(pilot)
        await pilot.press("space")
        await until(pilot, lambda: screen.frame.step > 5 and "running" in status_text(app))
        assert screen.check_action("step", (1,)) is None
        await pilot.press("space")
        await until(pilot, lambda: not screen.driver.running)
        await pilot.pause(0.3)
        stopped_at = factory.opened[0].steps
        await pilot.pause(0.3)
        assert factory.opened[0].steps == stopped_at
        assert "paused" in status_text(app)


@aio
async def test_speed_keys_change_steps_per_tick():
    app, _ = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_dashboard(pilot)
        before = screen.driver.speed
        await pilot.press("full_stop")
        assert screen.driver.speed > before
        assert f"×{screen.driver.speed}/tick" in status_text(app)
        await pilot.press("comma", "comma")
        assert screen.driver.speed < before


@aio
async def test_knob_select_and_bump_lands_between_steps_and_marks_the_curves():
    app, factory = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_dashboard(pilot)
        await pilot.press("n")
        await until(pilot, lambda: screen.frame.step == 1)
        assert screen.knob == "lr_g"
        await pilot.press("right_square_bracket")
        assert screen.query_one(KnobBar).selected == "n_critic"
        await pilot.press("plus")
        await until(pilot, lambda: screen.frame.knobs["n_critic"] == 2)
        event = screen.frame.events[-1]
        assert (event.step, event.knob, event.new) == (1, "n_critic", 2)
        await pilot.press("minus")
        await until(pilot, lambda: screen.frame.knobs["n_critic"] == 1)
        curves = screen.query_one("#curves-a", CurvesPanel)
        await pilot.pause(0.1)
        assert any("n_critic=1" in strip.text for strip in curves._strips)  # newest label wins


@aio
async def test_typed_knob_value_is_applied_and_a_refused_one_says_why():
    app, factory = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_dashboard(pilot)
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, ValueDialog))
        dialog = app.screen
        dialog.query_one(Input).value = "5"  # lr_g range is [1e-05, 1]
        await pilot.press("enter")
        await until(pilot, lambda: "out of range" in str(dialog.query_one("#dialog-error").render()))
        assert isinstance(app.screen, ValueDialog)
        assert factory.opened[0].knob_values["lr_g"] == 1e-3
        dialog.query_one(Input).value = "0.004"
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await until(pilot, lambda: screen.frame.knobs["lr_g"] == 0.004)


@aio
async def test_escape_cancels_the_knob_dialog():
    app, factory = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_dashboard(pilot)
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, ValueDialog))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, DashboardScreen))
        assert factory.opened[0].events == []


@aio
async def test_reset_and_reseed():
    app, _ = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_dashboard(pilot)
        await pilot.press("N")
        await until(pilot, lambda: screen.frame.step == 100)
        await pilot.press("r")
        await until(pilot, lambda: screen.frame.step == 0)
        await pilot.press("R")
        await until(pilot, lambda: screen.frame.seed == 1)
        assert "seed 1" in status_text(app)


@aio
async def test_back_rewinds_to_the_previous_checkpoint_and_goto_to_a_typed_step():
    app, _ = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_dashboard(pilot)
        await pilot.press("N", "N", "n")
        await until(pilot, lambda: screen.frame.step == 201)
        await pilot.press("b")
        await until(pilot, lambda: screen.frame.step == 200)
        await pilot.press("g")
        await until(pilot, lambda: isinstance(app.screen, ValueDialog))
        dialog = app.screen
        dialog.query_one(Input).value = "900"
        await pilot.press("enter")
        await until(pilot, lambda: "between 0 and 200" in str(dialog.query_one("#dialog-error").render()))
        dialog.query_one(Input).value = "150"
        await pilot.press("enter")
        await until(pilot, lambda: screen.frame.step == 150)


@aio
async def test_cure_sets_the_lessons_knobs():
    app, _ = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_dashboard(pilot)
        await pilot.press("c")
        await until(pilot, lambda: screen.frame.knobs["loss"] == "wgan-gp")
        assert screen.frame.knobs["n_critic"] == 5


@aio
async def test_a_diverging_run_stops_and_says_which_quantity():
    app, _ = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_dashboard(pilot)
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, ValueDialog))
        app.screen.query_one(Input).value = "0.5"
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press("space")
        await until(pilot, lambda: "loss_d became nan" in " ".join(screen_text(app).split()))
        assert not screen.driver.running and "stopped" in status_text(app)


@aio
async def test_toggles_arrows_curves_and_low_bandwidth():
    app, _ = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_dashboard(pilot)
        await pilot.press("a")
        assert screen.query_one("#picture").show_arrows
        curves = screen.query_one("#curves-a", CurvesPanel)
        await pilot.press("v")
        assert curves.group == "divergences"
        await pilot.pause(0.05)
        assert "divergences" in str(curves.border_title)
        await pilot.press("l")
        assert "low-bw" in status_text(app)
        assert not screen.query_one("#picture").show_heat


@aio
async def test_screenshot_and_metrics_export_write_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app, _ = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_dashboard(pilot)
        await pilot.press("n")
        await until(pilot, lambda: screen.frame.step == 1)
        await pilot.press("s")
        await until(pilot, lambda: list(tmp_path.glob("*.svg")))
        await pilot.press("m")
        await until(pilot, lambda: any(p.stat().st_size for p in tmp_path.glob("*.jsonl")))
        path = next(tmp_path.glob("*.jsonl"))
        assert "step1" in path.name
        json.loads(path.read_text().splitlines()[0])


@aio
async def test_help_lists_every_key_and_lesson_dialog_shows_the_lesson():
    app, _ = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_dashboard(pilot)
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, TextDialog))
        text = str(app.screen.query_one("Static").render())
        for key in ("space", "Play/Pause", "Reseed", "Rewind to step", "Low bandwidth", "lr_g"):
            assert key in text
        await pilot.press("escape")
        await pilot.press("i")
        await until(pilot, lambda: isinstance(app.screen, TextDialog))
        assert "Watch" in str(app.screen.query_one("Static").render())


@aio
async def test_picker_at_start_opens_the_chosen_lesson():
    factory = FakeFactory()
    app = GenstepApp(None, session_factory=factory)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, PickerScreen)
                    and app.screen.query_one(OptionList).option_count == 3)
        await pilot.press("end", "enter")
        screen = await open_dashboard(pilot)
        assert screen.frame.family == "vae"
        assert factory.opened[0].scenario.name == "fake-vae"


@aio
async def test_picker_escape_without_a_lesson_quits():
    app = GenstepApp(None, session_factory=FakeFactory())
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, PickerScreen))
        await pilot.press("escape")
        await until(pilot, lambda: app.return_code == 0)


@aio
async def test_an_unknown_lesson_is_reported_and_the_picker_opens():
    app, _ = make_app("no-such-lesson")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, PickerScreen))
        assert any("unknown scenario" in n.message for n in app._notifications)


@aio
async def test_opening_another_lesson_stops_the_first_run():
    app, factory = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        first = await open_dashboard(pilot)
        await pilot.press("space")
        app.open_scenario("fake-disjoint")
        await until(pilot, lambda: isinstance(app.screen, DashboardScreen) and app.screen is not first
                    and app.screen.frame is not None)
        assert app.screen.frame.payload.theta is not None
        await until(pilot, lambda: first._train_done.is_set())


@aio
async def test_quit_while_training_stops_and_joins_the_worker():
    app, factory = make_app(autoplay=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_dashboard(pilot)
        await until(pilot, lambda: screen.frame.step > 3)
        await pilot.press("q")
        await until(pilot, lambda: screen._train_done.is_set())
    assert app.return_code == 0
    assert screen.driver.finished.is_set()


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
@aio
async def test_layout_shows_more_panels_as_the_terminal_grows(size):
    app, _ = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await open_dashboard(pilot)
        await pilot.pause(0.1)
        shown = {w.id for w in screen.query("#picture, #curves-a, #curves-b, #lesson, #notes") if w.display}
        if size == (80, 24):
            assert shown == {"picture", "curves-a"}
        else:
            assert shown == {"picture", "curves-a", "curves-b", "lesson", "notes"}
