"""The diffusion family's numerics, checked against closed forms.

For Gaussian data N(0, s^2 I) everything is known: alpha_bar and its readouts follow from the
schedule's definition, the Bayes-optimal noise predictor is E[eps | x_t] = sqrt(1 - a) x_t / (a s^2 +
1 - a), the entropy is log(2 pi e s^2) nats, and a sampler driven by the optimal predictor must
return data of variance s^2. So the bound and the samplers are tested with that predictor plugged
in, no training involved; the family's Session-level contracts (rewind replays exactly across a
schedule change, frames between probes reuse the last probe) with a tiny model.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from genstep.engine import Session, load_scenario
from genstep.engine.families.diffusion import schedule
from genstep.engine.families.diffusion import sampling

TINY = ["model.hidden=16", "model.depth=2", "model.bound_points=16", "model.trails=4", "train.T=20",
        "probe.samples=100", "probe.every=10", "probe.w1_points=50", "probe.checkpoint_every=10"]


class OptimalDenoiser(torch.nn.Module):
    """E[eps | x_t] for x_0 ~ N(0, s^2 I): the best any network can predict."""

    def __init__(self, ab: np.ndarray, s: float):
        super().__init__()
        self.ab, self.s, self.T = torch.tensor(ab, dtype=torch.float32), s, len(ab) - 1

    def forward(self, x, frac):
        a = self.ab[torch.round(frac * self.T).long()][:, None]
        return (1 - a).sqrt() * x / (a * self.s**2 + 1 - a)


def test_schedules_follow_their_definitions():
    # linear: Ho et al.'s 1e-4 .. 0.02 over T = 1000 leaves alpha_bar_T ~ 4e-5 (signal 0.0064)
    ab = schedule.alpha_bar("linear", 1000, 1e-4, 0.02)
    assert ab[0] == 1.0 and len(ab) == 1001 and np.all(np.diff(ab) < 0)
    assert ab[-1] == pytest.approx(np.prod(1 - np.linspace(1e-4, 0.02, 1000)))
    assert schedule.signal_T(ab) == pytest.approx(0.0064, abs=5e-4)
    # the number: the same betas over only 50 steps leave 78% of x_0 in x_T
    assert schedule.signal_T(schedule.alpha_bar("linear", 50, 1e-4, 0.02)) == pytest.approx(0.78, abs=0.005)
    # cosine: alpha_bar_t = f(t)/f(0), f = cos^2((t/T + s)/(1 + s) pi/2), the same curve in t/T for any T
    for T in (10, 100, 1000):
        ab = schedule.alpha_bar("cosine", T)
        t = np.arange(T + 1) / T
        f = np.cos((t + 0.008) / 1.008 * np.pi / 2) ** 2
        np.testing.assert_allclose(ab[:-1], (f / f[0])[:-1], rtol=1e-9)  # the last beta is clipped
        assert 1 - ab[-1] / ab[-2] == pytest.approx(0.999)
        assert ab[T // 2] == pytest.approx(schedule.alpha_bar("cosine", 10)[5])


def test_prior_kl_is_the_kl_of_two_gaussians():
    ab = schedule.alpha_bar("linear", 50, 1e-4, 0.02)
    a = ab[-1]
    x0 = np.array([[1.0, -2.0], [0.5, 0.0]])
    # KL(N(sqrt(a) x0, (1 - a) I) || N(0, I)) per point, by the textbook formula, then averaged
    want = np.mean([0.5 * np.sum((1 - a) + a * x**2 - 1 - np.log(1 - a)) for x in x0])
    assert schedule.prior_kl(ab, x0) == pytest.approx(want)
    assert schedule.prior_kl(schedule.alpha_bar("cosine", 100), x0) < 1e-6


def test_strided_steps_visit_both_ends_evenly():
    assert schedule.strided(100, 4).tolist() == [0, 25, 50, 75, 100]
    assert schedule.strided(100, 1).tolist() == [0, 100]
    assert schedule.strided(10, 1000).tolist() == list(range(11))  # capped at T
    assert len(schedule.strided(100, 7)) == 8


@pytest.mark.parametrize("kind,T,b0,b1", [("cosine", 100, 0, 0), ("linear", 100, 1e-3, 0.2), ("linear", 1000, 1e-4, 0.02)])
@pytest.mark.parametrize("s", [0.5, 1.0])
def test_the_bound_of_the_optimal_denoiser_meets_the_entropy(kind, T, b0, b1, s):
    """A valid bound lies above the entropy, and a tight one close to it: within 0.06 nats with the
    Bayes-optimal predictor (trapezoid rule, 4,096 points). A wrong weight or constant moves it by
    a nat or more."""
    ab = schedule.alpha_bar(kind, T, b0, b1)
    g = torch.Generator().manual_seed(0)
    x0 = torch.randn(4096, 2, generator=g) * s
    err = sampling.errors_by_t(OptimalDenoiser(ab, s), x0, torch.tensor(ab, dtype=torch.float32), T, 1)
    bound = sampling.nll_bound(err.double().numpy(), ab, x0.numpy())
    entropy = math.log(2 * math.pi * math.e * s**2)
    print(kind, T, s, "bound", round(bound, 4), "entropy", round(entropy, 4))
    assert entropy - 0.01 < bound < entropy + 0.06


@pytest.mark.parametrize("eta", [None, 0.0, 1.0])
def test_many_small_steps_give_the_data_and_one_big_step_gives_its_mean(eta):
    s = 0.7
    ab = schedule.alpha_bar("cosine", 100)
    net = OptimalDenoiser(ab, s)
    with torch.no_grad():
        many = sampling.sample(net, ab, 100, 100, eta, 4000, 5, seed=3, device="cpu")
        one = sampling.sample(net, ab, 100, 1, eta, 4000, 5, seed=3, device="cpu")
    var = many.samples.double().var(dim=0)
    print("eta", eta, "variance with 100 steps", var.tolist(), "with 1 step", one.samples.var(dim=0).tolist())
    assert torch.allclose(var, torch.full((2,), s**2, dtype=torch.float64), rtol=0.08)
    # one step returns x0_hat = E[x_0 | x_T]: the data's mean, whatever x_T was
    assert one.samples.abs().max() < 0.01 and torch.equal(one.samples, one.first_x0)
    assert many.trails.shape == (5, 101, 2) and many.trail_t[0] == 100 and many.trail_t[-1] == 0
    assert torch.equal(many.trails[:, -1], many.samples[:5])


def test_rewind_across_a_schedule_change_replays_exactly():
    sc = load_scenario("ddpm-swissroll", TINY)
    a = Session(sc, seed=3, device="cpu")
    a.schedule(25, "T", 40)
    a.schedule(25, "schedule", "cosine")
    a.step(60)
    ref = a.history.curves()
    b = Session(sc, seed=3, device="cpu")
    b.schedule(25, "T", 40)
    b.schedule(25, "schedule", "cosine")
    b.step(45)
    b.rewind(12)  # before the change: replays it on the way
    b.step(48)
    got = b.history.curves()
    for name in ("loss", "w1", "nll_bound", "signal_T"):
        np.testing.assert_array_equal(ref[name].values, got[name].values, err_msg=name)
    assert a.latest()["signal_T"] == pytest.approx(schedule.signal_T(schedule.alpha_bar("cosine", 40)))


def test_a_schedule_change_keeps_the_network():
    s = Session(load_scenario("ddpm-swissroll", TINY), seed=0, device="cpu")
    s.step(20)
    before = {k: v.clone() for k, v in s.family.net.state_dict().items()}
    s.set("T", 50)
    s.set("schedule", "cosine")
    for k, v in s.family.net.state_dict().items():
        assert torch.equal(v, before[k]), k
    f = s.frame()  # the frame follows the new schedule at once
    assert len(f.payload.alpha_bar) == 51 and f.payload.loss_by_t.shape == (10,)


def test_frames_between_probes_reuse_the_last_probe_and_a_sampling_knob_shows_at_once():
    s = Session(load_scenario("ddpm-swissroll", TINY), seed=0, device="cpu")
    s.step(10)
    first = s.frame()
    assert first.payload.probe_step == 10
    s.step(5)  # no probe at step 15: the frame shows step 10's samples, and says so
    again = s.frame()
    assert again.payload.probe_step == 10 and np.array_equal(again.fake, first.fake)
    s.set("sample_steps", 2)  # a sampling knob: resampled from the current network at once
    f = s.frame()
    assert f.payload.probe_step == 15 and f.payload.trails.shape[1] == 3
    assert f.payload.sampler == "ddpm, 2 steps" and not np.array_equal(f.fake, first.fake)
    s.step(5)
    assert s.latest()["reverse_steps"] == 2
