"""Comparison in the app: fork a run, change a knob in one branch only, and the branches differ as
the knob predicts; run until a condition; save a run and continue it; the replay command. Through
the in-process runner and the default training process."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")

from textual.widgets import Input  # noqa: E402

from fakes import open_dashboard, screen_text, until  # noqa: E402
from genstep.tui.app import EngineFactory, GenstepApp  # noqa: E402
from genstep.tui.screens.dialogs import TextDialog, ValueDialog  # noqa: E402

DATA = Path(__file__).parent / "data"
VAE = str(DATA / "tiny-vae.toml")
COLLAPSING = ["model.decoder_sd=2.0"]  # beta 1 collapses this tiny VAE; beta 0.2 keeps its latent


async def _type(pilot, app, key, text):
    await pilot.press(key)
    await until(pilot, lambda: isinstance(app.screen, ValueDialog), timeout=20)
    app.screen.query_one(Input).value = text
    await pilot.press("enter")


@pytest.mark.parametrize("worker", ["thread", "process"])
def test_fork_and_change_beta_in_one_branch_only(worker, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    async def drive():
        app = GenstepApp(VAE, seed=1, device="cpu", overrides=COLLAPSING, session_factory=EngineFactory(worker=worker))
        async with app.run_test(size=(120, 36)) as pilot:
            screen = await open_dashboard(pilot, timeout=90)
            await pilot.press("N")  # 100 steps
            await until(pilot, lambda: screen.frame.step == 100, timeout=90)
            await pilot.press("f")
            await until(pilot, lambda: len(screen.frame.branches) == 2, timeout=30)
            assert screen.frame.selected == 1  # the new branch: the knob keys act on it
            screen.knob = "beta"
            await _type(pilot, app, "e", "0.2")
            await until(pilot, lambda: screen.frame.knobs["beta"] == 0.2, timeout=30)
            await pilot.press("N", "N")
            await until(pilot, lambda: screen.frame.step == 300, timeout=120)
            await pilot.pause(0.3)
            frame, text = screen.frame, screen_text(app)
            await pilot.press("w")  # back to main: its knobs are untouched
            await until(pilot, lambda: screen.frame.selected == 0, timeout=30)
            main_knobs = dict(screen.frame.knobs)
            await pilot.press("q")
        return frame, text, main_knobs

    frame, text, main_knobs = asyncio.run(drive())
    main, fork = frame.branches
    assert main.knobs["beta"] == 1.0 and main_knobs["beta"] == 1.0 and fork.knobs["beta"] == 0.2
    assert fork.branch == "fork 1 @100: beta=0.2" and main.branch == "main"
    # the knob's prediction: beta 0.2 keeps the latent in use, beta 1 lets it collapse
    assert fork.metrics["kl"] > 0.05 and main.metrics["kl"] < 0.002, (fork.metrics, main.metrics)
    assert fork.metrics["active_units"] >= 1 and main.metrics["active_units"] == 0
    assert "branches side by side" in text and "fork 1 @100: beta=0.2" in text


def test_until_stops_the_run_where_the_condition_holds():
    async def drive():
        app = GenstepApp(VAE, seed=1, device="cpu", overrides=COLLAPSING, session_factory=EngineFactory(worker="thread"))
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await open_dashboard(pilot, timeout=60)
            await _type(pilot, app, "u", "nope < 1")
            await until(pilot, lambda: "never reported by the vae family" in str(
                app.screen.query_one("#dialog-error").render()), timeout=20)
            app.screen.query_one(Input).value = "step >= 137"
            await pilot.press("enter")
            await until(pilot, lambda: screen.state.notice == "step >= 137: held at step 137", timeout=60)
            await until(pilot, lambda: not screen.state.running and screen.frame.step == 137, timeout=20)
            await pilot.press("q")

    asyncio.run(drive())


def test_save_in_the_app_then_continue_headless_bit_identically(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    async def drive():
        app = GenstepApp(VAE, seed=2, device="cpu", session_factory=EngineFactory(worker="thread"))
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await open_dashboard(pilot, timeout=60)
            await pilot.press("N")
            await until(pilot, lambda: screen.frame.step == 100, timeout=60)
            screen.knob = "beta"
            await _type(pilot, app, "e", "0.5")
            await until(pilot, lambda: screen.frame.knobs["beta"] == 0.5, timeout=30)
            await pilot.press("S", "y")
            await until(pilot, lambda: isinstance(app.screen, TextDialog), timeout=30)
            shown = str(app.screen._body)
            await pilot.press("escape", "q")
        return shown

    shown = asyncio.run(drive())
    saved = tmp_path / "genstep-tiny-vae-seed2-step100.genstep"
    script = tmp_path / "genstep-tiny-vae-seed2-step100.sh"
    command = script.read_text().splitlines()[-1]
    assert command == f"genstep run {VAE} --seed 2 --at 100:beta=0.5 --steps 100" and "--at 100:beta=0.5" in shown

    def run(*args):
        r = subprocess.run([sys.executable, "-m", "genstep.tui.cli", "run", *args, "--device", "cpu", "--json"],
                           capture_output=True, text=True, timeout=180)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout.strip().splitlines()[-1])

    resumed = run("--load", str(saved), "--steps", "160")
    straight = run(VAE, "--seed", "2", "--at", "100:beta=0.5", "--steps", "160")
    assert resumed["final"] == straight["final"] and resumed["events"] == straight["events"]
