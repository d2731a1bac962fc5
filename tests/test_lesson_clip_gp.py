"""The `wgan-clip-vs-gp` lesson really happens (Gulrajani et al. 2017, Fig. 1).

A deep critic (7 linear layers of 64 units) on the ring of 8 Gaussians, probed layer by layer: the
frame's `grad_norms` are the norms of the critic's gradient at each layer's input, output layer
first, and `grad_norm_ratio` is the input layer's over the output layer's. Claims, each on three
seeds, reading the horizon, the cure and cure_steps from the scenario's [lesson] table:
- clip = 0.01 (the default): the gradient vanishes on the way down, one layer after another
  (ratio < 1e-2, every layer shrinks it), the critic is nearly constant (lipschitz_est < 1e-3) and
  its value surface does not follow the modes;
- clip = 0.3, the knob turned at the horizon: it explodes (ratio > 10 and lipschitz_est > 10
  within 100 steps); at 64 units a layer of +-c weights scales the gradient by about
  c * sqrt(32), so the paper's c = 0.1 (for wider critics) sits near 1 here: 0.3 is this width's
  "too large" (stated in the scenario);
- the cure, loss = wgan-gp: the ratio within [0.1, 10], lipschitz_est within [0.5, 5], all 8 modes,
  and a value surface that follows the modes.

"Follows the modes" is read off the frame's heat map (what the user sees): the mean critic value
at the 8 mode centres minus the mean at the 8 points of the ring halfway between neighbouring
modes, over the heat map's range. A plane scores 0, and so does any function of the radius alone
(a bowl, a cone); bumps on the modes score up to 1.

Tuned on seeds 0-5; SEEDS were not run before the scenario was frozen.
"""

from __future__ import annotations

import numpy as np
import pytest

from genstep.engine import Session, load_scenario
from genstep.engine.knobs import parse_assignment
from per_seed import PerSeed

NAME = "wgan-clip-vs-gp"
SEEDS = (7, 8, 9)
TOO_LARGE = 0.3  # the clip that explodes at this width (the scenario's knob help says so)
AFTER = 100  # steps after turning clip up


@pytest.fixture(scope="module")
def sc():
    return load_scenario(NAME)


def follows_modes(frame) -> float:
    """(mean f at the mode centres - mean f at the midpoints between neighbours) / range of f."""
    p, b = frame.payload, frame.bounds
    k = p.heat.shape[0]

    def at(points: np.ndarray) -> np.ndarray:
        cols = np.rint((points[:, 0] - b[0]) / (b[1] - b[0]) * (k - 1)).astype(int)
        rows = np.rint((points[:, 1] - b[2]) / (b[3] - b[2]) * (k - 1)).astype(int)  # row 0 = ymin
        return p.heat[rows, cols]

    c = p.mode_centres.astype(float)
    mid = (c + np.roll(c, -1, axis=0)) / 2
    mid *= np.linalg.norm(c, axis=1, keepdims=True) / np.linalg.norm(mid, axis=1, keepdims=True)  # on the ring
    spread = float(p.heat.max() - p.heat.min())
    return float((at(c).mean() - at(mid).mean()) / spread) if spread > 0 else 0.0


def reading(s: Session) -> dict:
    f, m = s.frame(), s.latest()
    return {"step": s.steps, "ratio": m["grad_norm_ratio"], "lip": m["lipschitz_est"], "modes": int(m["modes"]),
            "follows": follows_modes(f), "bars": np.asarray(f.payload.grad_norms), "view": f.view}


def fmt(r: dict) -> str:
    bars = " ".join(f"{v:.1e}" for v in r["bars"])
    return (f"step {r['step']}: ratio {r['ratio']:.2e} lipschitz {r['lip']:.2e} modes {r['modes']} "
            f"follows {r['follows']:.3f} bars [{bars}]")


def run_lesson(sc, seed: int) -> dict:
    """The horizon at the defaults, then clip = TOO_LARGE for AFTER steps (the largest ratio and
    Lipschitz estimate of its probes), then back to the horizon and the cure for cure_steps."""
    L = sc.lesson
    s = Session(sc, seed=seed, device="cpu")
    assert s.step(L.steps) == L.steps, s.message
    out = {"clip": reading(s)}
    s.set("clip", TOO_LARGE)
    probes = []
    while s.steps < L.steps + AFTER:
        assert s.step(sc.probe.every) == sc.probe.every and s.status == "ok", s.message
        probes.append(reading(s))
    out["large"] = max(probes, key=lambda r: r["ratio"])
    assert s.rewind(L.steps) == L.steps
    for c in L.cure:
        s.set(*parse_assignment(c))
    assert s.step(L.cure_steps) == L.cure_steps and s.status == "ok", s.message
    out["cured"] = reading(s)
    out["fired"] = {n.trigger for n in s.frame().notes}
    return out


@pytest.fixture(scope="module")
def runs(sc):
    return PerSeed(lambda seed: run_lesson(sc, seed))


def test_scenario_is_the_lesson_as_data(sc):
    L = sc.lesson
    assert sc.train.loss == "wasserstein" and sc.train.clip == 0.01 and sc.model.layer_grads
    assert (sc.model.critic_depth or sc.model.depth) + 1 >= 6  # a deep critic: 6 linear layers or more
    assert L.cure == ["loss=wgan-gp"] and L.cure_steps > 0 and L.summary and L.watch and L.why
    assert sc.knobs["clip"].min <= TOO_LARGE <= sc.knobs["clip"].max and str(TOO_LARGE) in sc.knobs["clip"].help
    assert {"wasserstein", "wgan-gp"} <= set(sc.knobs["loss"].choices)


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_clipping_at_001_vanishes_layer_by_layer_and_ignores_the_modes(runs, seed):
    r = runs[seed]["clip"]
    info = f"seed {seed}: clip 0.01 at the horizon: {fmt(r)}"
    print(info)
    assert r["view"] == "gan-layers", info
    assert r["ratio"] < 1e-2 and r["lip"] < 1e-3, info
    assert np.all(np.diff(np.log10(r["bars"])) < -np.log10(2)), info  # every layer at least halves it
    assert abs(r["follows"]) < 0.04, info  # tuning seeds: -0.014 .. 0.015
    assert "grad_norm_ratio < 0.01" in runs[seed]["fired"], info


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_a_clip_too_large_explodes(runs, seed):
    r = runs[seed]["large"]
    info = f"seed {seed}: clip {TOO_LARGE} within {AFTER} steps: {fmt(r)}"
    print(info)
    assert r["ratio"] > 10 and r["lip"] > 10, info  # tuning seeds: 1.9e3 .. 3.1e4 and 7e3 .. 1e5
    assert abs(r["follows"]) < 0.04, info


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_the_gradient_penalty_keeps_it_near_1_and_follows_the_modes(sc, runs, seed):
    r = runs[seed]["cured"]
    info = f"seed {seed}: {sc.lesson.cure} for {sc.lesson.cure_steps} steps: {fmt(r)}"
    print(info)
    assert 0.1 <= r["ratio"] <= 10, info
    assert 0.5 <= r["lip"] <= 5, info
    assert r["modes"] == 8, info
    assert r["follows"] >= 0.08, info  # tuning seeds: 0.12 .. 0.39
