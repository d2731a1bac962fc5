"""The `ar-8gaussians` lesson really happens, and the autoregressive family's likelihood is exact.

The lesson's claims run the engine from three seeds and read the horizon, cure and cure_steps from
the scenario's [lesson] table. The defaults were tuned on seeds 0-5 and screened on 20-31; SEEDS
were not run before the scenario was frozen (seeds 7-9 were: one of them showed that randomly
placed initial components could leave K = 16 stuck, which the evenly spaced start fixed). The
numbers the claims are measured against are computed here from the data's density (the best any
one-Gaussian conditional can do), not copied from the scenario.

The exactness tests write known mixtures into the weights and compare the family's `nll` with a
computation that shares no code with it (scipy's normal density on the same held-out points).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.special import logsumexp
from scipy.stats import norm

from genstep.engine import Session, load_scenario
from genstep.engine import data as datalib
from genstep.engine.catalog import resolve
from genstep.engine.config import validate
from genstep.engine.families.autoregressive import truth
from genstep.engine.loading import read_toml
from genstep.engine.knobs import parse_assignment
from per_seed import PerSeed

NAME = "ar-8gaussians"
SEEDS = (10, 11, 12)


def fmt(d: dict) -> str:
    return ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in d.items())


def one_gaussian_floor(sc) -> float:
    """The least KL(p_data || p_model) any model with K = 1 can reach, from the data's density alone.

    With one Gaussian per factor the best p(x1) matches x1's variance, and the best p(x2 | x1 = a)
    matches the variance of the data's conditional at a, for every a (a flexible network can): the
    cross-entropy is then E[1/2 log(2 pi e Var)] per factor. Numerical integration on a fine grid."""
    d = datalib.build(sc.data)
    a = np.linspace(-3.5, 3.5, 3501)
    g = np.linspace(-3.5, 3.5, 1751)
    pa = truth.marginal(d, 0, a)
    cond = truth.conditional(d, 0, a, g)
    dg, da = g[1] - g[0], a[1] - a[0]
    mean = (cond * g).sum(axis=1) * dg
    var = (cond * g * g).sum(axis=1) * dg - mean**2
    ce2 = float((pa * 0.5 * np.log(2 * math.pi * math.e * var)).sum() * da)
    ce1 = 0.5 * math.log(2 * math.pi * math.e * (d.centres[:, 0].astype(np.float64) ** 2 + d.sd**2).mean())
    h = math.log(len(d.centres)) + math.log(2 * math.pi * math.e * d.sd**2)  # separated modes
    return ce1 + ce2 - h


class Run:
    """One seed through the lesson: K = 1 to the horizon, then the cure for cure_steps. Every
    probe's metrics are kept (rows with `nll`), with the phase they belong to."""

    def __init__(self, sc, seed):
        self.s = Session(sc, seed=seed, device="cpu")
        self.probes: list[tuple[str, dict]] = []
        self.phase = "before"
        self.s.listeners.append(lambda step, row: "nll" in row and self.probes.append((self.phase, dict(row))))
        assert self.s.step(sc.lesson.steps) == sc.lesson.steps, self.s.message
        self.horizon, self.horizon_frame = dict(self.s.latest()), self.s.frame()
        self.phase = "cure"
        for text in sc.lesson.cure:
            self.s.set(*parse_assignment(text))
        assert self.s.step(sc.lesson.cure_steps) == sc.lesson.cure_steps, self.s.message
        self.cured, self.cured_frame = dict(self.s.latest()), self.s.frame()

    def fired(self, trigger):
        return [n for n in self.s.frame().notes if n.trigger == trigger]


@pytest.fixture(scope="module")
def sc():
    return load_scenario(NAME)


@pytest.fixture(scope="module")
def runs(sc):
    torch.set_num_threads(1)
    return PerSeed(lambda seed: Run(sc, seed))


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_one_gaussian_smears_the_two_bump_conditional(sc, runs, seed):
    r = runs[seed]
    m = r.horizon
    floor = one_gaussian_floor(sc)
    assert m["components"] == 1
    assert m["kl_data_model"] > 0.5, fmt(m)
    # no K = 1 model gets below the floor, and training gets it near
    assert m["kl_data_model"] > floor - 3 * m["entropy_se"], (floor, fmt(m))
    assert m["kl_data_model"] < floor + 0.5, (floor, fmt(m))
    assert m["hq"] < 0.3, fmt(m)
    assert r.fired("hq < 0.3"), "the smear note should have fired"
    # the picture: at the slice x1 = 0 the data has two bumps (x2 = +-2) and the model one, in the gap
    p = r.horizon_frame.payload
    i = int(np.abs(p.slices).argmin())
    gap, bump = np.abs(p.grid).argmin(), np.abs(p.grid - 2.0).argmin()
    assert p.conditional_true[i, gap] < 1e-3 * p.conditional_true[i, bump]
    assert p.conditional[i, gap] > p.conditional[i, bump], "one Gaussian should peak between the bumps"


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_sixteen_components_cure_it(sc, runs, seed):
    r = runs[seed]
    m = r.cured
    assert m["components"] == 16
    assert m["kl_data_model"] < 0.1, fmt(m)
    assert m["modes"] == 8 and m["hq"] > 0.9, fmt(m)
    assert r.fired("kl_data_model < 0.1")
    p = r.cured_frame.payload
    i = int(np.abs(p.slices).argmin())
    gap, bump = np.abs(p.grid).argmin(), np.abs(p.grid - 2.0).argmin()
    assert p.conditional[i, gap] < 0.05 * p.conditional[i, bump], "the conditional should split in two"


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_nll_never_below_entropy(sc, runs, seed):
    probes = runs[seed].probes
    assert len(probes) == (sc.lesson.steps + sc.lesson.cure_steps) // sc.probe.every  # every probe, both phases
    for phase, row in probes:
        assert row["nll"] >= row["entropy"] - 3 * row["entropy_se"], (phase, fmt(row))
        assert row["kl_data_model"] == pytest.approx(row["nll"] - row["entropy"], abs=1e-12)


def test_entropy_is_the_mixtures(sc):
    """Separated modes: h -> log K + log(2 pi e sd^2); the held-out estimate agrees within 3 se."""
    s = Session(sc, seed=0, device="cpu")
    m = s.family.measure(s.family.probe(s.knobs, full=False), s.knobs)
    d = s.data
    h = math.log(len(d.centres)) + math.log(2 * math.pi * math.e * d.sd**2)
    assert abs(m["entropy"] - h) < 3 * m["entropy_se"], fmt(m)
    assert 0.005 < m["entropy_se"] < 0.02


# ---- exactness: known parameters written into the weights ------------------------------------------


def set_heads(s, marginal, bias, weight=None):
    heads = s.family.heads
    with torch.no_grad():
        heads.marginal.copy_(torch.tensor(marginal, dtype=torch.float32))
        heads.bias.copy_(torch.tensor(bias, dtype=torch.float32))
        w = torch.zeros_like(heads.weight) if weight is None else torch.tensor(weight, dtype=torch.float32)
        heads.weight.copy_(w)


def nll_now(s):
    return s.family.measure(s.family.probe(s.knobs, full=False), s.knobs)


@pytest.mark.parametrize("order", ["x1x2", "x2x1"])
def test_a_true_mixture_in_the_weights_has_zero_kl(order):
    """A 5x5 grid of Gaussians is the product of two 5-component mixtures: written into p(x1) and into
    the conditional's bias (its weights zero), the model IS the data, so nll equals entropy."""
    raw = read_toml(resolve(NAME))
    raw["data"] = {"kind": "grid", "size": 5, "spacing": 1.0, "sd": 0.1}
    raw["train"].update(components=5, order=order)
    sc = validate(raw, "a 5x5 grid")
    s = Session(sc, seed=0, device="cpu")
    ticks = np.unique(s.data.centres[:, 0])
    mix = np.concatenate([np.zeros(5), ticks, np.full(5, math.log(0.1))])
    set_heads(s, mix, mix)
    m = nll_now(s)
    assert m["kl_data_model"] == pytest.approx(0.0, abs=1e-5), fmt(m)
    assert m["nll"] == pytest.approx(m["entropy"], abs=1e-5)


def test_nll_matches_an_independent_computation():
    """p(x1) a 3-component mixture; p(x2 | x1) a 2-component mixture whose means move with x1
    (a one-layer ReLU trunk whose units are relu(x1) and relu(-x1), so mean_k = m_k + 0.7 x1)."""
    sc = load_scenario(NAME, ["model.hidden=2", "model.depth=1", "model.activation=relu", "train.components=3"])
    s = Session(sc, seed=0, device="cpu")
    lin = s.family.trunk[0]
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[1.0], [-1.0]]))
        lin.bias.zero_()
    w1, m1, sd1 = np.array([0.2, 0.5, 0.3]), np.array([-1.0, 0.3, 1.5]), np.array([0.4, 0.8, 0.25])
    w2, m2, sd2 = np.array([0.5, 0.3, 0.2]), np.array([-0.5, 1.0, 0.2]), np.array([0.3, 0.6, 1.0])
    slope = 0.7
    weight = np.zeros((9, 2))
    weight[3:6, 0], weight[3:6, 1] = slope, -slope  # relu(x1) - relu(-x1) = x1
    set_heads(s, np.concatenate([np.log(w1), m1, np.log(sd1)]), np.concatenate([np.log(w2), m2, np.log(sd2)]), weight)
    x = s.family.held.cpu().numpy().astype(np.float64)
    lp1 = logsumexp(np.log(w1) + norm.logpdf(x[:, :1], m1, sd1), axis=1)
    lp2 = logsumexp(np.log(w2) + norm.logpdf(x[:, 1:], m2 + slope * x[:, :1], sd2), axis=1)
    expected = float(-(lp1 + lp2).mean())
    m = nll_now(s)
    assert m["nll"] == pytest.approx(expected, rel=1e-5), (m["nll"], expected)
    # the heat map is the same density on the grid
    f = s.frame()
    b, k = f.bounds, f.payload.density.shape[0]
    gx, gy = np.meshgrid(np.linspace(b[0], b[1], k), np.linspace(b[2], b[3], k))
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1)
    lpg = (logsumexp(np.log(w1) + norm.logpdf(grid[:, :1], m1, sd1), axis=1)
           + logsumexp(np.log(w2) + norm.logpdf(grid[:, 1:], m2 + slope * grid[:, :1], sd2), axis=1))
    np.testing.assert_allclose(f.payload.density.ravel(), lpg, rtol=1e-4, atol=1e-4)


# ---- K changes live: heads rebuilt, trunk kept, rewind and replay exact ------------------------------


def weights(s):
    return {f"{m}.{k}": v.clone() for m, mod in s.family.modules().items() for k, v in mod.state_dict().items()}


def same(a, b):
    return a.keys() == b.keys() and all(a[k].shape == b[k].shape and torch.equal(a[k], b[k]) for k in a)


def small(seed=3):
    sc = load_scenario(NAME, ["probe.every=50", "probe.checkpoint_every=50", "probe.samples=200",
                              "probe.w1_points=50", "data.batch=64"])
    return Session(sc, seed=seed, device="cpu")


def test_changing_k_rebuilds_the_heads_and_keeps_the_trunk():
    s = small()
    s.step(30)
    before = weights(s)
    s.set("components", 4)
    after = weights(s)
    assert s.family.heads.k == 4 and after["heads.marginal"].shape == (12,) and after["heads.weight"].shape == (12, 64)
    assert all(torch.equal(before[k], after[k]) for k in before if k.startswith("trunk."))
    opt = s.family.opt
    assert all(p not in opt.state for p in s.family.heads.parameters()), "the new heads start with fresh moments"
    s.step(1)
    assert s.latest()["components"] == 4 and math.isfinite(s.latest()["loss"])


def test_rewind_and_replay_are_exact_across_a_k_change():
    straight = small()
    straight.step(150)
    at150 = weights(straight)
    straight.set("components", 4)
    straight.step(150)
    at300 = weights(straight)

    s = small()
    s.step(150)
    s.set("components", 4)
    s.step(150)
    s.rewind(120)  # before the change: the heads shrink back to K = 1
    assert s.family.heads.k == 1 and s.knobs["components"] == 1
    s.step(30)
    assert same(weights(s), at150)
    s.step(150)  # the change waits on the tape and fires again at step 150
    assert s.family.heads.k == 4 and same(weights(s), at300)
    s.rewind(260)  # after it: restored from a checkpoint taken at K = 4
    s.step(40)
    assert same(weights(s), at300)
    s.rewind(160)  # from the checkpoint at 150, taken at K = 1 just before the change: it fires in the replay
    assert s.family.heads.k == 4
    s.step(140)
    assert same(weights(s), at300)
    assert s.history.curves()["loss"].values[-1] == straight.history.curves()["loss"].values[-1]
    s.reset()
    assert s.family.heads.k == 1


def test_probing_never_changes_training():
    """Frames and probes in between (uneven chunks) give the same run as one call: probes draw nothing
    from the training generator, and loading the lesson needs no torch."""
    a = small(seed=5)
    a.step(160)
    b = small(seed=5)
    for n in (1, 9, 40, 110):
        b.step(n)
        b.frame()
    assert same(weights(a), weights(b)) and a.latest() == b.latest()


def test_loading_the_lesson_imports_no_torch():
    import subprocess
    import sys

    code = f"import sys; from engine import load_scenario; load_scenario({NAME!r}); sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_the_order_knob_swaps_the_roles_live_and_rewinds_exactly():
    straight = small(seed=4)
    straight.step(60)
    straight.set("order", "x2x1")
    straight.step(40)
    straight.set("components", 4)  # heads rebuilt for the order in use
    straight.step(50)
    f = straight.frame()
    assert f.payload.order == "x2x1" and f.payload.components == 4
    assert math.isfinite(straight.latest()["nll"])
    s = small(seed=4)
    s.step(60)
    s.set("order", "x2x1")
    s.step(40)
    s.set("components", 4)
    s.step(50)
    s.rewind(30)  # before both changes
    assert s.knobs["order"] == "x1x2" and s.family.heads.k == 1
    s.step(120)
    assert same(weights(s), weights(straight))
