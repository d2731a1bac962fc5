"""Details a user notices: nine clusters in nine colours, the gist of each lesson in the picker, and
why the app chose its device."""

import dataclasses
import itertools

import numpy as np
from rich.color import Color, ColorSystem
from textual.widgets import OptionList

from fakes import FakeFactory, aio, fake_frame, load_scenario, open_dashboard, screen_text, until
from genstep.tui.app import GenstepApp
from genstep.tui.render import colors
from genstep.tui.screens.dialogs import TextDialog
from genstep.tui.screens.picker import PickerScreen, gist
from genstep.tui.widgets.lesson import LessonPanel

# sRGB -> simulated colour vision (Machado et al. 2009, severity 1), in linear RGB
DEUTAN = np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]])
PROTAN = np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]])
TRITAN = np.array([[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]])


def _lab(rgb, vision=np.eye(3)):
    c = np.asarray(rgb, float) / 255
    linear = np.clip(vision @ np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4), 0, 1)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ linear
    f = np.cbrt(xyz / np.array([0.95047, 1.0, 1.08883]))
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def test_nine_cluster_colours_stay_apart_in_256_colours_and_for_colour_blind_eyes():
    rgbs = [colors.rgb_of(int(c)) for c in colors.CLUSTERS]
    assert len(set(rgbs)) >= 9
    for rgb in rgbs:  # exactly a 256-colour palette entry: no terminal shifts it
        snapped = Color.from_rgb(*rgb).downgrade(ColorSystem.EIGHT_BIT).get_truecolor()
        assert (snapped.red, snapped.green, snapped.blue) == rgb
        assert _lab(rgb)[0] >= 50  # light enough for dots on a dark background
    for vision in (np.eye(3), DEUTAN, PROTAN, TRITAN):
        closest = min(np.linalg.norm(_lab(a, vision) - _lab(b, vision)) for a, b in itertools.combinations(rgbs, 2))
        assert closest >= 20


def test_the_vae_latent_panel_draws_nine_clusters_in_nine_colours():
    labels = np.arange(900) % 9
    grid = np.stack([labels % 3 - 1.0, labels // 3 - 1.0], 1)
    latent = (grid + np.random.default_rng(0).normal(0, 0.1, grid.shape)).astype(np.float32)
    base = fake_frame(load_scenario("fake-vae"))
    frame = dataclasses.replace(base, real_labels=labels, payload=dataclasses.replace(base.payload, latent=latent))
    canvas = LessonPanel().draw(frame, 60, 14)
    drawn = {int(c) for c in np.unique(canvas.fg)}
    assert {colors.cluster_color(k) for k in range(9)} <= drawn
    assert len({colors.cluster_color(k) for k in range(9)}) == 9


def test_gist_is_the_first_sentence_or_so():
    assert gist("A VAE learns a grid of blobs from data by maximising the ELBO, step by step. It then collapses.") == (
        "A VAE learns a grid of blobs from data by maximising the ELBO, step by step.")
    assert gist("Arjovsky et al. (2017), Example 1. The data are a vertical segment at x = 0. More.") == (
        "Arjovsky et al. (2017), Example 1. The data are a vertical segment at x = 0.")
    long = gist("word " * 100)
    assert len(long) <= 172 and long.endswith(" …")


@aio
async def test_the_picker_shows_each_lessons_summary_under_its_title():
    app = GenstepApp(None, session_factory=FakeFactory())
    async with app.run_test(size=(100, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, PickerScreen)
                    and app.screen.query_one(OptionList).option_count == 3)
        await pilot.pause(0.05)
        lines = screen_text(app).splitlines()
        row = next(i for i, line in enumerate(lines) if "Posterior collapse (fake)" in line)
        assert "What Posterior collapse (fake) shows." in lines[row + 1]


@aio
async def test_help_says_why_the_device_was_chosen_when_it_was_auto():
    app = GenstepApp("fake-gan", device="auto", session_factory=FakeFactory())
    async with app.run_test(size=(80, 40)) as pilot:
        await open_dashboard(pilot)
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, TextDialog))
        await pilot.press("end")
        await pilot.pause(0.05)
        assert "(--device auto) cpu: the fake engine has no GPU" in " ".join(screen_text(app).split())
