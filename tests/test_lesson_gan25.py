"""The `gan-25grid` lesson really happens, on the published grid (5x5 modes, spacing 2, sd 0.05).

Every claim runs the engine from three seeds and reads the horizon, the cure and cure_steps from
the scenario's [lesson] table. Claims:
- the standard GAN collapses: at the horizon `modes` <= 20 of 25 and `hq` <= 0.5 (the issue's
  phenomenon, both halves), in fact a few modes at most; and rejection sampling alone, switched on
  at the horizon, cannot bring modes back (it only drops samples the generator makes);
- the cure (WGAN-GP with 5 critic steps; samples from an average of the generator's weights,
  filtered by discriminator rejection sampling, DRS) beats every published row: 25 of 25 modes and `hq` >= 0.9 at the end, on every seed;
- which part cures what, read off the same run: the samples before rejection (`modes_raw`,
  `hq_raw`: the WGAN-GP recipe alone, trained exactly as without the sampling parts) cover most of the grid
  but with low quality, the samples off the modes lying on the bridges between neighbouring modes
  far more than chance would put there; DRS keeps 1 in `drs_pool` of them, the ones on the modes;
- the sampling parts (the judge, the weight average) only watch: with them or without them, the
  generator and the critic train bit for bit the same, and a rewind replays them exactly.

"On a bridge": within BRIDGE of a segment joining two neighbouring modes (one of the grid's 40),
among the samples within 3 sd of no mode. Points spread evenly over the grid's box score 0.22-0.27.

Tuned on seeds 0-5; SEEDS were not run before the scenario was frozen.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from genstep.engine import Session, load_scenario
from genstep.engine.catalog import resolve
from genstep.engine.config import validate
from genstep.engine.loading import read_toml
from genstep.engine.knobs import parse_assignment
from per_seed import PerSeed

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
    out = {"step": s.steps, "modes": int(m["modes"]), "hq": round(float(m["hq"]), 3),
           "rev_kl": round(float(m["rev_kl_modes"]), 3)}
    if f.payload.raw is not None:  # sampler = drs: the generator's own samples too
        out.update(modes_raw=int(m["modes_raw"]), hq_raw=round(float(m["hq_raw"]), 3),
                   accept=round(float(m["accept_rate"]), 3),
                   bridges_raw=round(bridge_share(f.payload.raw, f.payload.mode_centres, s.scenario.data.sd), 3))
    return out


def run_lesson(sc, seed: int) -> dict:
    L = sc.lesson
    s = Session(sc, seed=seed, device="cpu")
    assert s.step(L.steps) == L.steps, s.message
    out = {"horizon": reading(s), "fired": {n.trigger for n in s.frame().notes}}
    s.set("sampler", "drs")  # rejection alone, on the collapsed generator: what the frame shows now
    f = s.frame()
    out["drs_alone"] = int(f.payload.captured.sum())
    for c in L.cure:
        s.set(*parse_assignment(c))
    trace = []
    while s.steps < L.steps + L.cure_steps:
        assert s.step(sc.probe.every) == sc.probe.every and s.status == "ok", s.message
        m = s.latest()
        trace.append((int(m["modes"]), round(m["hq"], 2), int(m["modes_raw"]), round(m["hq_raw"], 2)))
    out["cured"], out["trace"] = reading(s), trace
    out["fired_after"] = {n.trigger for n in s.frame().notes if n.step > L.steps}
    return out


@pytest.fixture(scope="module")
def runs(sc):
    return PerSeed(lambda seed: run_lesson(sc, seed))


def test_scenario_is_the_published_grid_and_the_lesson_as_data(sc):
    d, L = sc.data, sc.lesson
    assert (d.kind, d.size, d.spacing, d.sd) == ("grid", 5, 2.0, 0.05)  # VEEGAN / PacGAN, unscaled
    assert sc.probe.samples == 2500  # the published metric's sample count
    assert sc.train.loss == "ns" and sc.train.n_critic == 1
    assert {"loss=wgan-gp", "n_critic=5", "sampler=drs"} <= set(L.cure) and L.cure_steps > 0
    assert sc.train.sampler == "direct"  # the judge watches from step 0, but is not used before the cure
    assert L.summary and L.watch and L.why
    for knob in ("loss", "n_critic", "lr_g", "lr_d", "gp", "sampler"):
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
def test_rejection_alone_brings_no_mode_back(sc, runs, seed):
    info = f"seed {seed}: modes with sampler=drs at the horizon: {runs[seed]['drs_alone']}; {runs[seed]['horizon']}"
    print(info)
    assert runs[seed]["drs_alone"] <= 5, info


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_the_cure_beats_every_published_row(sc, runs, seed):
    r, h = runs[seed]["cured"], runs[seed]["horizon"]
    info = f"seed {seed}: {sc.lesson.cure} for {sc.lesson.cure_steps} steps: {r}; trace {runs[seed]['trace']}"
    print(info)
    assert r["modes"] == 25 and r["hq"] >= 0.9, info  # the bar; best published: 24.8 modes, 94.8% hq
    assert r["rev_kl"] < 0.25 * h["rev_kl"], info  # and spread over the modes, not piled on a few
    assert {"modes >= 20", "hq >= 0.9"} <= runs[seed]["fired_after"], info


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_wgan_gp_spreads_the_generator_and_rejection_removes_the_bridges(sc, runs, seed):
    r = runs[seed]["cured"]
    info = f"seed {seed}: {r}; trace (modes, hq, modes_raw, hq_raw) {runs[seed]['trace']}"
    print(info)
    assert r["modes_raw"] >= 17, info  # the Wasserstein critic spreads G(z) over the grid ...
    assert r["hq_raw"] < 0.3, info  # ... with low quality ...
    assert r["bridges_raw"] >= 0.35, info  # ... its samples off the modes strung between them


def _plain(sc):
    """The lesson without its sampling parts: no `sampler` or `ema` knob, so no judge and no average."""
    raw = read_toml(resolve(NAME))
    raw["name"] = NAME
    for knob in ("sampler", "drs_pool", "ema"):
        del raw["knobs"][knob]
    raw["lesson"]["cure"] = [c for c in raw["lesson"]["cure"] if c.split("=")[0] not in ("sampler", "ema")]
    return validate(raw, f"{NAME} without its sampling knobs")


def test_the_sampling_parts_only_watch(sc):
    """The same seed with the judge and the weight average switched on, and without either: the
    generator and the critic stay bit-identical (the judge draws from its own RNG); and a rewind
    across judge and average updates replays them exactly."""
    a, b = Session(sc, seed=3, device="cpu"), Session(_plain(sc), seed=3, device="cpu")
    assert a.family.judge is not None and a.family.g_ema is not None
    assert b.family.judge is None and b.family.g_ema is None
    for s in (a, b):
        s.set("loss", "wgan-gp")
        s.step(10)
    a.set("ema", 0.99)
    a.set("sampler", "drs")
    for s in (a, b):
        s.step(20)
    for name in ("generator", "critic"):
        for (k, x), y in zip(a.family.modules()[name].state_dict().items(), b.family.modules()[name].state_dict().values()):
            assert torch.equal(x, y), (name, k)
    watched = {n: {k: v.clone() for k, v in a.family.modules()[n].state_dict().items()} for n in ("judge", "generator_ema")}
    assert not torch.equal(watched["generator_ema"]["0.weight"], a.family.generator.state_dict()["0.weight"])
    a.rewind(0)
    a.step(30)
    for n, state in watched.items():
        for k, v in a.family.modules()[n].state_dict().items():
            assert torch.equal(v, state[k]), (n, k)
