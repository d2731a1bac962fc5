"""The `gan-25grid` lesson really happens, on the published grid (5x5 modes, spacing 2, sd 0.05).

Every claim runs the engine from three seeds and reads the horizon, the cure and cure_steps from
the scenario's [lesson] table. Claims:
- the standard GAN collapses: at the horizon `modes` <= 20 of 25 and `hq` <= 0.5 (the issue's
  phenomenon, both halves), in fact a few modes at most;
- the cure (WGAN-GP, 5 critic steps) spreads the samples back over the grid: within cure_steps
  20 or more modes are captured at some probe, most at the end (the count still moves by a few
  from probe to probe), and the high-quality samples spread evenly (rev_kl_modes falls) ...
- ... but the quality does not come back: `hq` stays low, and the samples that are on no mode lie
  on the bridges, the straight lines between neighbouring modes, far more than chance would put
  there. This is the lesson's honest limit: the published GAN rows reach hq 0.9 after far longer
  training, and nothing tried here did within a few CPU minutes (the scenario says what was tried).

"On a bridge": within BRIDGE of a segment joining two neighbouring modes (one of the grid's 40),
among the samples within 3 sd of no mode. Points spread evenly over the grid's box score 0.22-0.27.

Tuned on seeds 0-5; SEEDS were not run before the scenario was frozen.
"""

from __future__ import annotations

import numpy as np
import pytest

from genstep.engine import Session, load_scenario
from genstep.engine.knobs import parse_assignment

NAME = "gan-25grid"
SEEDS = (7, 8, 9)
BRIDGE = 0.15  # 3 sd: as close to a line between modes as an hq sample is to a mode


@pytest.fixture(scope="module")
def sc():
    return load_scenario(NAME)


def bridge_share(fake: np.ndarray, centres: np.ndarray, sd: float) -> float:
    """Of the samples within 3 sd of no mode, the share within BRIDGE of a segment between neighbours."""
    d_mode = np.sqrt(((fake[:, None, :] - centres[None, :, :]) ** 2).sum(-1)).min(1)
    off = fake[d_mode > 3 * sd]
    if not len(off):
        return 0.0
    gap = np.sqrt(((centres[:, None, :] - centres[None, :, :]) ** 2).sum(-1))
    step = gap[gap > 0].min()
    i, j = np.nonzero(np.triu(np.isclose(gap, step)))
    a, b = centres[i], centres[j]  # (S, 2) the segments' ends
    ab = b - a
    t = np.clip(((off[:, None, :] - a[None]) * ab[None]).sum(-1) / (ab * ab).sum(-1)[None], 0.0, 1.0)
    d_seg = np.sqrt(((off[:, None, :] - (a[None] + t[..., None] * ab[None])) ** 2).sum(-1)).min(1)
    return float((d_seg <= BRIDGE).mean())


def reading(s: Session) -> dict:
    f, m = s.frame(), s.latest()
    return {"step": s.steps, "modes": int(m["modes"]), "hq": round(float(m["hq"]), 3),
            "rev_kl": round(float(m["rev_kl_modes"]), 3),
            "bridges": round(bridge_share(f.fake, f.payload.mode_centres, s.scenario.data.sd), 3)}


def run_lesson(sc, seed: int) -> dict:
    L = sc.lesson
    s = Session(sc, seed=seed, device="cpu")
    assert s.step(L.steps) == L.steps, s.message
    out = {"horizon": reading(s), "fired": {n.trigger for n in s.frame().notes}}
    for c in L.cure:
        s.set(*parse_assignment(c))
    trace = []
    while s.steps < L.steps + L.cure_steps:
        assert s.step(sc.probe.every) == sc.probe.every and s.status == "ok", s.message
        trace.append((s.latest()["modes"], round(s.latest()["hq"], 2)))
    out["cured"], out["trace"] = reading(s), trace
    out["fired_after"] = {n.trigger for n in s.frame().notes if n.step > L.steps}
    return out


@pytest.fixture(scope="module")
def runs(sc):
    return {seed: run_lesson(sc, seed) for seed in SEEDS}


def test_scenario_is_the_published_grid_and_the_lesson_as_data(sc):
    d, L = sc.data, sc.lesson
    assert (d.kind, d.size, d.spacing, d.sd) == ("grid", 5, 2.0, 0.05)  # VEEGAN / PacGAN, unscaled
    assert sc.probe.samples == 2500  # the published metric's sample count
    assert sc.train.loss == "ns" and sc.train.n_critic == 1
    assert {"loss=wgan-gp", "n_critic=5"} <= set(L.cure) and L.cure_steps > 0
    assert L.summary and L.watch and L.why
    for knob in ("loss", "n_critic", "lr_g", "lr_d", "gp"):
        assert knob in sc.knobs and sc.knobs[knob].help, knob


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_the_standard_gan_collapses_on_the_grid(sc, runs, seed):
    r = runs[seed]["horizon"]
    info = f"seed {seed}: horizon {sc.lesson.steps}: {r}"
    print(info)
    assert r["modes"] <= 20 and r["hq"] <= 0.5, info  # the phenomenon, both halves
    assert r["modes"] <= 5, info  # in fact it holds a few modes at most
    assert "modes <= 5" in runs[seed]["fired"], info


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_wgan_gp_spreads_over_the_grid_but_leaves_bridges(sc, runs, seed):
    r, h = runs[seed]["cured"], runs[seed]["horizon"]
    info = f"seed {seed}: {sc.lesson.cure} for {sc.lesson.cure_steps} steps: {r}; trace {runs[seed]['trace']}"
    print(info)
    assert max(m for m, _ in runs[seed]["trace"]) >= 20 and r["modes"] >= 17, info
    assert "modes >= 20" in runs[seed]["fired_after"], info
    assert r["rev_kl"] < 0.5 * h["rev_kl"], info
    assert r["hq"] < 0.3, info  # the quality does not come back ...
    assert r["bridges"] >= 0.35, info  # ... the samples off the modes lie on the lines between them
