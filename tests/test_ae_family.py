"""The autoencoder family: known answers for its own measures (the data's entropy, the
rate-distortion plane's bound; latent coverage, the prior mass outside every posterior), and the
engine's contract across its encoder switch (rewind and probing replay bit for bit). Fixed seeds;
every tolerance says where it comes from."""

from __future__ import annotations

import math

import numpy as np
import pytest

from genstep.engine import Session, load_scenario
from genstep.engine import data as datalib
from genstep.engine.families.ae.measures import latent_coverage
from genstep.engine.metrics import mixture_entropy


def gaussian_entropy(sd: float, d: int = 2) -> float:
    return 0.5 * d * math.log(2 * math.pi * math.e * sd * sd)


# ---------------------------------------------------------------- mixture_entropy


def test_separated_modes_have_log_k_plus_one_modes_entropy():
    """8 modes 15 sd apart barely overlap: h = log 8 + h(one mode) to within the Monte Carlo error."""
    d = datalib.ring(8, 2.0, 0.1)
    h, se = mixture_entropy(d, 100_000)
    want = math.log(8) + gaussian_entropy(0.1)
    assert 0.001 < se < 0.01  # sd of -log p (about 1 nat) / sqrt(1e5)
    assert abs(h - want) < 4 * se, (h, want, se)


def test_one_component_is_the_gaussian_entropy():
    class One:
        centres = np.zeros((1, 2))
        sd = 0.5

    h, se = mixture_entropy(One(), 50_000, np.random.default_rng(3))
    assert abs(h - gaussian_entropy(0.5)) < 4 * se, (h, se)


def test_overlapping_modes_lose_entropy_and_the_estimate_is_repeatable():
    """Modes closer than their sd overlap: h lies between one Gaussian's and log K more than that."""
    d = datalib.ring(8, 0.1, 0.3)
    h, se = mixture_entropy(d, 50_000)
    assert gaussian_entropy(0.3) < h < math.log(8) + gaussian_entropy(0.3) - 1.0, h
    assert mixture_entropy(d, 50_000) == (h, se)  # the default stream is fixed


def test_mixture_entropy_refuses_data_that_is_not_a_mixture():
    with pytest.raises(ValueError, match="Gaussian mixture"):
        mixture_entropy(datalib.moons(), 1000)


# ---------------------------------------------------------------- latent_coverage


def test_a_collapsed_posterior_covers_the_prior_as_its_own_3_sd_ball():
    """Every posterior equal to the prior: a prior sample is covered within radius 3, which holds
    1 - e^-4.5 of a 2D standard normal (3 binomial standard errors for 4,000 samples: 0.005)."""
    rng = np.random.default_rng(0)
    z = rng.standard_normal((4000, 2))
    c = latent_coverage(z, np.zeros((50, 2)), np.ones((50, 2)))
    p = 1 - math.exp(-4.5)
    assert abs(c - p) < 3 * math.sqrt(p * (1 - p) / 4000), c


def test_narrow_posteriors_leave_holes_and_points_cover_nothing():
    rng = np.random.default_rng(1)
    z = rng.standard_normal((3000, 2))
    mu = rng.standard_normal((1000, 2))
    # sd 0.01 balls of radius 0.03 around 1,000 points: at most 1000 * pi 0.03^2 * max density
    # (1 / 2 pi) = 0.45 of the mass even if none overlapped; in fact far less
    narrow = latent_coverage(z, mu, np.full((1000, 2), 0.01))
    wide = latent_coverage(z, mu, np.full((1000, 2), 0.3))
    assert narrow < 0.5 and wide > 0.95 and narrow < wide, (narrow, wide)
    assert latent_coverage(z, mu, None) == 0.0  # a deterministic encoder: point posteriors
    # exact check of the definition on a tiny case: a posterior N((2, 0), diag(1, 0.1^2))
    pts = np.array([[4.9, 0.0], [5.1, 0.0], [2.0, 0.29], [2.0, 0.31]])
    got = [latent_coverage(p[None], np.array([[2.0, 0.0]]), np.array([[1.0, 0.1]])) for p in pts]
    assert got == [1.0, 0.0, 1.0, 0.0]


# ---------------------------------------------------------------- the engine's contract


def small(seed=3):
    sc = load_scenario("ae-latent-holes", ["probe.every=25", "probe.samples=500", "probe.checkpoint_every=50"])
    s = Session(sc, seed=seed, device="cpu")
    s.schedule(60, "encoder", "stochastic")  # the cure, mid-run, as --at would
    s.schedule(60, "beta", "3")
    return s


def test_rewinding_across_the_encoder_switch_replays_bit_for_bit():
    s = small()
    s.step(120)
    want, curves = s.latest(), s.history.curves()
    assert "rate" in want and curves["rate"].steps[0] == 61 and curves["distortion"].steps[0] == 1
    s.rewind(40)  # before the switch: the events wait on the tape and fire again at step 60
    assert "rate" not in s.latest()
    s.step(80)
    assert s.latest() == want and [e.as_dict() for e in s.events] == [
        {"step": 60, "knob": "encoder", "old": "deterministic", "new": "stochastic"},
        {"step": 60, "knob": "beta", "old": 0.0, "new": 3.0}]
    again = s.history.curves()
    assert all((again[k].values == curves[k].values).all() for k in curves)


def test_probing_between_steps_changes_nothing():
    a, b = small(), small()
    a.step(120)
    for _ in range(12):
        b.step(10)
        b.frame()
    assert a.latest() == b.latest()
    fa, fb = a.frame(), b.frame()
    assert (fa.fake == fb.fake).all() and (fa.payload.codes == fb.payload.codes).all()
