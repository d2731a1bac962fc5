"""The two diffusion lessons really happen: `ddpm-swissroll` and `diffusion-few-steps`.

Each claim runs the engine from three seeds and reads the horizon, the cure and the probe cadence
from the scenario files. The scenarios were tuned on seeds 0-5; SEEDS were not run while tuning.
One module-scoped run per lesson and seed (trained to the horizon, probing at the lesson's own
cadence) feeds every assertion about it, so the whole file costs six short trainings.

What is compared with what:
- w1 against w1_floor: both are the engine's own metrics (exact-OT W1 on `probe.w1_points`, and
  the mean W1 between two data samples of that size), as a user sees them.
- the loss plateau against the Bayes floor: the loss of the best possible noise predictor,
  E[eps | x_t], for this data and schedule, computed here by Monte Carlo from the data's own
  definition (engine/data.py: a curve with Gaussian noise of sd `noise`, i.e. a mixture of many
  small Gaussians along it, for which E[eps | x_t] is a closed form). No network can go below it.
- sampler and step-count comparisons: the same network at the horizon, sampled again through the
  frame after a knob change (a sampling knob needs no training step).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from genstep.engine import Session, load_scenario, metrics
from genstep.engine.families.diffusion import schedule
from genstep.engine.knobs import parse_assignment

ROLL, FEW = "ddpm-swissroll", "diffusion-few-steps"
SEEDS = (7, 8, 9)


# ---------------------------------------------------------------- the data's own numbers


def curve_mixture(kind: str, k: int = 2000) -> np.ndarray:
    """Centres of k equal-weight Gaussians along the data's curve (engine/data.py's definitions)."""
    u = (np.arange(k) + 0.5) / k
    if kind == "swissroll":
        t = 1.5 * math.pi * (1 + 2 * u)
        return np.stack([t * np.cos(t), t * np.sin(t)], 1) / 5.0
    t = (np.arange(k // 2) + 0.5) / (k // 2) * math.pi  # moons: two half circles, t uniform on each
    upper = np.stack([np.cos(t), np.sin(t)], 1)
    lower = np.stack([1 - np.cos(t), 0.5 - np.sin(t)], 1)
    return (np.concatenate([upper, lower]) - [0.5, 0.25]) * 1.5


def bayes_loss(sc, n: int = 20000, seed: int = 0) -> float:
    """The training loss of E[eps | x_t], the best any network can do, per coordinate."""
    c, sd = curve_mixture(sc.data.kind), sc.data.noise
    t_ = sc.train
    ab = schedule.alpha_bar(t_.schedule, t_.T, t_.beta_start, t_.beta_end)
    rng = np.random.default_rng(seed)
    x0 = c[rng.integers(len(c), size=n)] + sd * rng.standard_normal((n, 2))
    a = ab[rng.integers(1, t_.T + 1, size=n)][:, None]
    eps = rng.standard_normal((n, 2))
    xt = np.sqrt(a) * x0 + np.sqrt(1 - a) * eps
    v = a * sd**2 + 1 - a  # x_t given a centre c_k: N(sqrt(a) c_k, v I)
    loss = np.empty(n)
    for i in range(0, n, 500):
        s = slice(i, i + 500)
        logw = -((xt[s, None] - np.sqrt(a[s, None]) * c[None]) ** 2).sum(-1) / (2 * v[s])
        w = np.exp(logw - logw.max(1, keepdims=True))
        m = (w / w.sum(1, keepdims=True)) @ c
        x0_hat = m + np.sqrt(a[s]) * sd**2 / v[s] * (xt[s] - np.sqrt(a[s]) * m)
        loss[s] = ((eps[s] - (xt[s] - np.sqrt(a[s]) * x0_hat) / np.sqrt(1 - a[s])) ** 2).mean(1)
    return float(loss.mean())


def roll_entropy(sc) -> float:
    """Differential entropy of the swiss roll in the thin-noise limit, nats: the entropy of the
    position along the curve (t uniform on [1.5 pi, 4.5 pi], speed |gamma'(t)| = sqrt(1 + t^2) / 5)
    plus a 1D Gaussian of sd `noise` across it."""
    t = np.linspace(1.5 * math.pi, 4.5 * math.pi, 200001)
    along = math.log(3 * math.pi) + float(np.mean(np.log(np.sqrt(1 + t**2) / 5)))
    return along + 0.5 * math.log(2 * math.pi * math.e * sc.data.noise**2)


def w1_of(frame, sc) -> float:
    return metrics.wasserstein1(frame.real, frame.fake, n=sc.probe.w1_points)


def resample(s, sc, **knobs) -> float:
    """W1 of the same network sampled with other sampling knobs (through the frame, no training)."""
    for k, v in knobs.items():
        s.set(k, v)
    return w1_of(s.frame(), sc)


def train(name: str, seed: int):
    sc = load_scenario(name)
    s = Session(sc, seed=seed, device="cpu")
    ratios = []
    while s.steps < sc.lesson.steps:
        s.step(sc.probe.every)
        m = s.latest()
        ratios.append(m["w1"] / m["w1_floor"])
    return sc, s, ratios


def fmt(d: dict) -> str:
    return ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in d.items())


# ---------------------------------------------------------------- ddpm-swissroll


@pytest.fixture(scope="module")
def roll():
    out = {}
    for seed in SEEDS:
        sc, s, ratios = train(ROLL, seed)
        m = s.latest()
        loss = s.history.curves()["loss"].values
        f = s.frame()
        r = dict(seed=seed, floor=m["w1_floor"], ratio=ratios[-1], first_ratio=ratios[0], loss_last=float(loss[-500:].mean()),
                 loss_mid=float(loss[500:1000].mean()), nll=m["nll_bound"], signal_T=m["signal_T"], prior_kl=m["prior_kl"],
                 band_first=float(f.payload.loss_by_t[0]), band_last=float(f.payload.loss_by_t[-1]))
        r["w1_2"] = resample(s, sc, sample_steps=2) / m["w1_floor"]
        r["w1_50"] = resample(s, sc, sample_steps=50) / m["w1_floor"]
        r["w1_100"] = resample(s, sc, sample_steps=100) / m["w1_floor"]
        # the schedule note: Ho et al.'s beta_end with 100 steps leaves 59% of x_0 in x_T
        s.set("beta_end", 0.02)
        s.step(sc.probe.every)
        after = s.latest()
        r.update(mismatch_signal_T=after["signal_T"], mismatch_prior_kl=after["prior_kl"],
                 mismatch_nll=after["nll_bound"], mismatch_ratio=after["w1"] / after["w1_floor"])
        print(fmt(r))
        out[seed] = r
    return load_scenario(ROLL), out


@pytest.mark.slow
def test_swissroll_samples_come_within_2x_of_the_floor_while_the_loss_sits_on_its_plateau(roll):
    sc, runs = roll
    floor = bayes_loss(sc)
    print("Bayes floor of the loss", round(floor, 4))
    for r in runs.values():
        assert r["ratio"] < 2.0, r  # the lesson's claim, at the horizon
        assert r["ratio"] < 0.8 * r["first_ratio"], r  # and w1 got there by falling
        # the loss cannot go below the best denoiser's, and training sits just above it ...
        assert floor < r["loss_last"] < 1.15 * floor, (r, floor)
        # ... having come within 25% of it by steps 500-1000, while w1 kept falling
        assert r["loss_mid"] < 1.25 * floor, (r, floor)
        # nearly all of the loss is at small t
        assert r["band_first"] > 0.5 and r["band_last"] < 0.05 * r["band_first"], r


@pytest.mark.slow
def test_swissroll_two_steps_are_visibly_worse_than_fifty(roll):
    for r in roll[1].values():
        assert r["w1_2"] > 3.0 and r["w1_2"] > 2 * max(r["w1_50"], r["w1_100"]), r
        assert r["w1_50"] < 2.0 and r["w1_100"] < 2.0, r


@pytest.mark.slow
def test_swissroll_schedule_readouts(roll):
    sc, runs = roll
    ab = schedule.alpha_bar(sc.train.schedule, sc.train.T, sc.train.beta_start, sc.train.beta_end)
    for r in runs.values():
        assert r["signal_T"] == pytest.approx(math.sqrt(ab[-1])) and r["signal_T"] < 0.01
        assert 0 <= r["prior_kl"] < 1e-3, r
        # a bound on -log p: above the roll's entropy in the thin-noise limit (1.26 nats), and about
        # a nat above it at the horizon (0.5-1.2 on seeds 0-5)
        assert roll_entropy(sc) < r["nll"] < roll_entropy(sc) + 1.5, (r, roll_entropy(sc))


@pytest.mark.slow
def test_swissroll_a_schedule_that_leaves_signal_in_x_T_costs_little(roll):
    """The honest note: beta_end = 0.02 (Ho et al.'s, with 100 steps instead of 1,000) leaves
    signal_T = 0.59 and prior_kl ~0.75 nats, yet 300 steps later the samples are dented, not
    broken, and the bound moved by well under prior_kl (seeds 0-5: w1 1.4-2.2x the floor, the bound
    +0.01 to +0.26 nats)."""
    sc, runs = roll
    ab = schedule.alpha_bar("linear", sc.train.T, sc.train.beta_start, 0.02)
    for r in runs.values():
        assert r["mismatch_signal_T"] == pytest.approx(math.sqrt(ab[-1])) and r["mismatch_signal_T"] > 0.5
        assert r["mismatch_prior_kl"] > 0.5, r
        assert abs(r["mismatch_nll"] - r["nll"]) < 0.5 * r["mismatch_prior_kl"], r
        assert r["mismatch_ratio"] < 2.5, r


# ---------------------------------------------------------------- diffusion-few-steps


@pytest.fixture(scope="module")
def few():
    out = {}
    for seed in SEEDS:
        sc, s, ratios = train(FEW, seed)
        m = s.latest()
        r = dict(seed=seed, floor=m["w1_floor"], ratio=ratios[-1], x0_gain=m["x0_gain"], x0_rms=m["x0_rms"],
                 data_rms=float(np.sqrt((s.frame().real ** 2).sum(1).mean())))
        s.set("sample_steps", 1)
        f1 = s.frame()
        r["one_step_rms"] = float(np.sqrt((f1.fake.astype(np.float64) ** 2).sum(1).mean()))
        r["w1_1"] = w1_of(f1, sc) / m["w1_floor"]
        r["w1_2"] = resample(s, sc, sample_steps=2) / m["w1_floor"]
        for steps in (10, 100):
            r[f"ddpm_{steps}"] = resample(s, sc, sample_steps=steps, sampler="ddpm") / m["w1_floor"]
            r[f"ddim0_{steps}"] = resample(s, sc, sample_steps=steps, sampler="ddim", eta=0.0) / m["w1_floor"]
        for k, v in (("sampler", sc.train.sampler), ("eta", sc.train.eta), ("sample_steps", sc.train.sample_steps)):
            s.set(k, v)  # back to the lesson's settings, then the cure, as the app's `c` applies it
        for text in sc.lesson.cure:
            s.set(*parse_assignment(text))
        s.step(sc.probe.every)  # the first probe after the cure
        r["cured"] = s.latest()["w1"] / m["w1_floor"]
        print(fmt(r))
        out[seed] = r
    return load_scenario(FEW), out


def test_few_steps_lesson_is_a_sampling_lesson():
    sc = load_scenario(FEW)
    assert sc.train.sample_steps == 4 and sc.train.schedule == "cosine"
    assert [parse_assignment(c)[0] for c in sc.lesson.cure] == ["sample_steps"]  # no retraining
    assert sc.lesson.cure_steps == sc.probe.every and sc.lesson.steps % sc.probe.every == 0
    assert {"lr", "schedule", "T", "beta_end", "sample_steps", "sampler", "eta"} <= set(sc.knobs)
    assert all(k.help for k in sc.knobs.values())


@pytest.mark.slow
def test_four_steps_land_far_from_the_data_and_the_cure_needs_no_training(few):
    for r in few[1].values():
        assert r["ratio"] >= 3.0, r  # sample_steps 4 at the horizon
        assert r["cured"] < 2.0, r  # the first probe after sample_steps = 100


@pytest.mark.slow
def test_one_or_two_steps_blow_up_through_the_first_x0_prediction(few):
    sc, runs = few
    ab = schedule.alpha_bar("cosine", sc.train.T)
    for r in runs.values():
        assert r["x0_gain"] == pytest.approx(math.sqrt((1 - ab[-1]) / ab[-1]))  # 1/sqrt(SNR) at t = T: ~2,000
        assert r["x0_rms"] > 10 * r["data_rms"], r  # the first prediction of x_0, from nearly pure noise
        assert r["one_step_rms"] == pytest.approx(r["x0_rms"], rel=1e-4), r  # with 1 step it is the sample
        assert r["w1_1"] > 50 and r["w1_2"] > 10, r


@pytest.mark.slow
def test_ancestral_ddpm_beats_deterministic_ddim_here(few):
    for r in few[1].values():
        assert r["ddpm_100"] < 2.0 and r["ddim0_100"] > 1.5 * r["ddpm_100"], r
        assert r["ddim0_10"] > r["ddpm_10"], r
