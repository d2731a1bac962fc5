"""The app under stress, as a user meets it: odd text, a run that blows up, a tiny terminal, quitting
at awkward moments. Driven with Pilot against the numpy fake engine (tests/fakes.py); the same with
the real engine is in tests/test_app_engine.py.
"""

import asyncio

from textual.command import CommandPalette
from textual.widgets import Input
from textual.widgets._toast import Toast

from fakes import FakeFactory, KnobError, aio, open_dashboard, screen_text, until
from genstep.tui.app import GenstepApp
from genstep.tui.screens import dashboard
from genstep.tui.screens.dashboard import DashboardScreen
from genstep.tui.screens.dialogs import TextDialog, ValueDialog
from genstep.tui.widgets.status import ProblemBar, StatusBar

dashboard.POLL_S = 0.02  # the redraw timer at 50 Hz: tests see each new frame sooner

ODD = "[/red]x [bold]y[/bold] [link=file:///etc]"  # markup a user or a scenario file can produce


def make_app(name="fake-gan", **kw):
    factory = FakeFactory()
    return GenstepApp(name, session_factory=factory, **kw), factory


async def type_value(pilot, key, value):
    """Open a value dialog with `key`, type `value`, press enter; returns the dialog."""
    app = pilot.app
    await pilot.press(key)
    await until(pilot, lambda: isinstance(app.screen, ValueDialog))
    dialog = app.screen
    dialog.query_one(Input).value = value
    await pilot.press("enter")
    return dialog


def toasts(app) -> str:
    """The text of the notifications on screen now (run_test needs notifications=True)."""
    return "\n".join(str(toast.render()) for toast in app.screen.query(Toast))


def dialog_error(dialog) -> str:
    return str(dialog.query_one("#dialog-error").render())


# -- 1. markup: user text is shown as typed, never parsed ---------------------------------------


@aio
async def test_a_refused_value_with_markup_is_shown_verbatim_in_the_dialog():
    app, factory = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_dashboard(pilot)
        dialog = await type_value(pilot, "e", ODD)
        await until(pilot, lambda: "expected a number" in dialog_error(dialog))
        await pilot.pause(0.05)
        assert "[/red]x [bold]y[/bold]" in screen_text(app)
        assert factory.opened[0].knob_values["lr_g"] == 1e-3


@aio
async def test_an_engine_refusal_with_markup_reaches_the_screen_whole():
    app, factory = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_dashboard(pilot)
        session = factory.opened[0]

        def refuse(knob, direction):
            raise KnobError(f"{knob}: [/red] closes nothing and [bold] opens nothing")

        session.bump = refuse
        await pilot.press("plus")
        await until(pilot, lambda: "[/red] closes nothing" in toasts(app))
        assert "lr_g: [/red] closes nothing and [bold] opens nothing" in toasts(app)
        assert isinstance(app.screen, DashboardScreen)


@aio
async def test_a_scenario_title_and_summary_with_markup_show_as_written():
    factory = FakeFactory()
    real_call = factory.__call__

    class OddFactory(FakeFactory):
        def __call__(self, name, seed=0, device="auto", overrides=()):
            scenario, session = real_call(name, seed, device, overrides)
            scenario.lesson.title = "Odd [/red] title"
            scenario.lesson.summary = "E_q[log p(x|z)] and [bold]beta[/]"
            return scenario, session

    app = GenstepApp("fake-gan", session_factory=OddFactory())
    async with app.run_test(size=(120, 36)) as pilot:
        await open_dashboard(pilot)
        await until(pilot, lambda: "Odd [/red] title" in str(app.screen.query_one(StatusBar).render()))
        await pilot.press("i")
        await until(pilot, lambda: isinstance(app.screen, TextDialog))
        await pilot.pause(0.05)
        text = screen_text(app)
        assert "Odd [/red] title" in text and "E_q[log p(x|z)] and [bold]beta[/]" in text


@aio
async def test_the_command_palette_lists_a_lesson_title_with_markup_as_written():
    class OddTitles(FakeFactory):
        def scenarios(self):
            return [("fake-gan", "Mode [/red] collapse [bold]"), ("fake-vae", "Posterior collapse")]

    app = GenstepApp("fake-gan", session_factory=OddTitles())
    async with app.run_test(size=(100, 30)) as pilot:
        await open_dashboard(pilot)
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"lesson")
        await until(pilot, lambda: "Mode [/red] collapse [bold]" in screen_text(app))
        assert app._exception is None


# -- 2. divergence: the run pauses, says what happened, and b rewinds to the last good step ------


@aio
async def test_a_diverged_run_pauses_says_why_and_b_rewinds_to_the_last_good_step():
    app, factory = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_dashboard(pilot)
        await pilot.press("N")
        await until(pilot, lambda: screen.frame.step == 100)
        await type_value(pilot, "e", "0.5")  # lr_g > 0.05 makes the fake diverge at the next step
        await until(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press("space")
        bar = screen.query_one(ProblemBar)
        await until(pilot, lambda: bar.display)
        await pilot.pause(0.05)
        text = " ".join(screen_text(app).split())
        assert "■ loss_d became nan at step 101; stopped at step 100, the last good state" in text
        assert "b rewind to step 100" in text
        assert "stopped" in str(screen.query_one(StatusBar).render())
        assert not screen.driver.running
        await pilot.press("space")  # playing a stopped run says how to get it going instead
        await until(pilot, lambda: any("b rewinds to step 100" in n.message for n in app._notifications))
        await pilot.press("b")
        await until(pilot, lambda: not bar.display)
        assert factory.opened[0].status == "ok" and screen.frame.step == 100
        assert "stopped" not in str(screen.query_one(StatusBar).render())


@aio
async def test_after_a_divergence_the_rewind_dialog_offers_the_last_good_step():
    app, factory = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_dashboard(pilot)
        await pilot.press("N", "N")
        await until(pilot, lambda: screen.frame.step == 200)
        await type_value(pilot, "e", "0.5")
        await until(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press("n")
        await until(pilot, lambda: screen.driver.diverged)
        await pilot.press("g")
        await until(pilot, lambda: isinstance(app.screen, ValueDialog))
        assert app.screen.query_one(Input).value == "200"
        assert "step 200 is the last good state" in screen_text(app)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DashboardScreen) and not screen.driver.diverged)
        await type_value(pilot, "e", "0.001")  # a sane rate: the run goes on from there
        await until(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press("n")
        await until(pilot, lambda: screen.frame.step == 201)


# -- 3. terminal sizes -------------------------------------------------------------------------


@aio
async def test_below_60x20_the_dashboard_says_how_big_it_needs_to_be_and_comes_back():
    app, _ = make_app(autoplay=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_dashboard(pilot)
        for size in [(40, 12), (59, 24), (80, 19), (60, 20), (200, 60), (1, 1), (40, 12)]:
            await pilot.resize_terminal(*size)
            await pilot.pause(0.05)
            small = size[0] < 60 or size[1] < 20
            assert screen.has_class("-too-small") == small, size
            text = " ".join(screen_text(app).split())
            if small and size != (1, 1):
                assert f"genstep needs at least 60x20; this terminal is {size[0]}x{size[1]}" in text
            elif not small:
                assert "step " in text and "genstep needs" not in text
        line = next(row for row in screen_text(app).splitlines() if "this terminal is 40x12" in row)
        left, right = len(line) - len(line.lstrip()), len(line) - len(line.rstrip())
        assert left > 3 and abs(left - right) <= 1  # centred
        await pilot.press("e")  # a dialog over a tiny terminal still works
        await until(pilot, lambda: isinstance(app.screen, ValueDialog))
        await pilot.resize_terminal(30, 8)
        await pilot.pause(0.05)
        await pilot.press("escape")
        await pilot.resize_terminal(80, 24)
        await until(pilot, lambda: isinstance(app.screen, DashboardScreen) and not screen.has_class("-too-small"))
        await pilot.pause(0.1)
        assert screen.query_one("#picture").display and screen.query_one("#picture").size.width > 20
        assert app._exception is None


@aio
async def test_the_app_opens_in_a_tiny_terminal_and_grows_into_the_dashboard():
    app, _ = make_app()
    async with app.run_test(size=(40, 12)) as pilot:
        screen = await open_dashboard(pilot)
        await pilot.pause(0.05)
        assert "this terminal is 40x12" in screen_text(app)
        await pilot.resize_terminal(120, 36)
        await pilot.pause(0.1)
        assert not screen.has_class("-too-small")
        assert {w.id for w in screen.query("#picture, #curves-a, #lesson") if w.display} == {"picture", "curves-a",
                                                                                            "lesson"}


# -- 4. exit: status 0 and the training thread joined, whatever is going on ---------------------


def quit_and_join(drive):
    """Run `drive(pilot)` in an app, let it quit; return (app, driver) after the event loop closed."""

    async def main():
        app, factory = make_app(autoplay=True)
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await open_dashboard(pilot)
            await until(pilot, lambda: screen.frame.step > 3)
            await drive(pilot, factory.opened[0])
            await until(pilot, lambda: screen._train_done.is_set())
        return app, screen.driver

    app, driver = asyncio.run(main())
    assert app.return_code == 0
    assert driver.finished.is_set() and driver.thread is not None
    assert not driver.thread.is_alive()
    return app, driver


def test_quit_while_training_exits_0_and_joins_the_worker():
    async def drive(pilot, session):
        await pilot.press("q")

    quit_and_join(drive)


def test_quit_during_a_rewind_waits_for_it_then_exits_0():
    seen = {}

    async def drive(pilot, session):
        session.rewind_s = 0.6
        await pilot.press("space")
        await pilot.press("b")
        await pilot.pause(0.2)  # the rewind is under way in the worker
        seen["steps"] = session.steps
        await pilot.press("ctrl+q")

    quit_and_join(drive)
    assert seen["steps"] > 3


def test_quit_with_a_value_dialog_open_exits_0():
    async def drive(pilot, session):
        await pilot.press("e")
        await until(pilot, lambda: isinstance(pilot.app.screen, ValueDialog))
        await pilot.press("ctrl+q")

    quit_and_join(drive)


def test_quit_with_a_rewind_dialog_waiting_on_a_slow_rewind_exits_0():
    async def drive(pilot, session):
        session.rewind_s = 0.6
        await type_value(pilot, "g", "1")
        await pilot.pause(0.1)
        await pilot.press("ctrl+q")

    quit_and_join(drive)


def test_quit_with_the_help_open_exits_0():
    async def drive(pilot, session):
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(pilot.app.screen, TextDialog))
        await pilot.press("ctrl+q")

    quit_and_join(drive)
