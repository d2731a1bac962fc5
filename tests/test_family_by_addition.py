"""Proof by addition (issue 11): a family that exists only in tests/ (tests/toy_family.py, with its
scenario tests/data/toy-gauss.toml) runs headless with --json and shows in the app, with a view of
its own and with the generic view, without any edit outside tests/."""

import asyncio
import io
import json
import math
from contextlib import redirect_stdout
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")

import toy_family  # noqa: E402
from genstep.engine.families import FAMILIES, unregister  # noqa: E402
from genstep.tui.views import VIEWS  # noqa: E402

SCENARIO = str(Path(__file__).parent / "data" / "toy-gauss.toml")
# the 3x3 grid at spacing 2 with sd 0.1: per-axis variance 8/3 + 0.01 around a mean of 0
TRUE_SD = math.sqrt(8 / 3 + 0.01)


@pytest.fixture
def toy():
    toy_family.register_toy()
    yield
    unregister(toy_family.NAME)
    VIEWS.pop(toy_family.NAME, None)


def test_the_family_is_unknown_until_registered():
    from genstep.tui.cli import main

    assert toy_family.NAME not in FAMILIES
    err = io.StringIO()
    from contextlib import redirect_stderr

    with redirect_stderr(err):
        assert main(["check", SCENARIO]) == 2
    assert "family: expected one of" in err.getvalue() and "'gan'" in err.getvalue()


def test_a_family_added_in_tests_runs_headless_with_json(toy):
    from genstep.tui.cli import main

    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["run", SCENARIO, "--steps", "300", "--seed", "4", "--device", "cpu", "--json", "--at", "100:lr=0.02"])
    assert code == 0
    summary = json.loads(out.getvalue().strip().splitlines()[-1])
    assert summary["status"] == "ok" and summary["steps"] == 300
    assert summary["events"] == [{"step": 100, "knob": "lr", "old": 0.05, "new": 0.02}]
    final = summary["final"]
    # maximum likelihood finds the data's per-axis sd (the closed form), from 0.5 at the start
    assert abs(final["sd_x"] - TRUE_SD) < 0.05 * TRUE_SD and abs(final["sd_y"] - TRUE_SD) < 0.05 * TRUE_SD, final
    # and the NLL of a Gaussian with that sd: log(2 pi e) / 2 + log sd per axis, up to batch noise
    assert abs(final["nll"] - 2 * (0.5 * math.log(2 * math.pi * math.e) + math.log(TRUE_SD))) < 0.15, final


def _screen_in_app() -> tuple[str, object]:
    from fakes import open_dashboard, screen_text
    from genstep.tui.app import EngineFactory, GenstepApp

    async def drive():
        app = GenstepApp(SCENARIO, seed=1, device="cpu", session_factory=EngineFactory(worker="thread"))
        async with app.run_test(size=(120, 36)) as pilot:
            screen = await open_dashboard(pilot, timeout=60)
            await pilot.press(*"NN")
            for _ in range(600):
                if screen.frame.step >= 200:
                    break
                await pilot.pause(0.05)
            await pilot.pause(0.3)
            text, frame = screen_text(app), screen.frame
            await pilot.press("q")
        return text, frame

    return asyncio.run(drive())


def test_the_app_shows_the_family_with_its_own_view(toy):
    toy_family.register_toy_view()
    text, frame = _screen_in_app()
    assert frame.family == toy_family.NAME and frame.step == 200
    assert isinstance(frame.payload, toy_family.ToyPayload) and frame.payload.sd.shape == (2,)
    for words in ("data vs fit", "the maximum-likelihood fit", "negative log-likelihood", "fitted sd", "mean ("):
        assert words in text, words
    # the headline in the picture's title is the fitted sd, as the view draws it
    assert f"sd {float(frame.payload.sd[0]):.3g}"[:6] in text


def test_the_app_shows_a_family_without_a_view_with_the_generic_one(toy):
    assert toy_family.NAME not in VIEWS
    text, frame = _screen_in_app()
    assert frame.family == toy_family.NAME and frame.step == 200
    assert "data vs model samples" in text and "latest metrics" in text
    # every scalar is a curve: the loss in one panel, the other metrics in the next
    assert "no such metrics" not in text
    assert "━ nll" in text and "━ sd_x" in text and "━ sd_y" in text
    assert np.isfinite(frame.metrics["nll"])
