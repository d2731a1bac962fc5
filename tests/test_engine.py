"""The Session's contract: determinism, side-effect-free probes, rewind, reset, knobs, divergence."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from genstep.engine import KnobError, Session, load_scenario

DATA = Path(__file__).parent / "data"
GAN = str(DATA / "tiny-gan.toml")
VAE = str(DATA / "tiny-vae.toml")


def session(path=GAN, seed=0, overrides=()):
    return Session(load_scenario(path, overrides), seed=seed, device="cpu")


def curves(s):
    return {k: (c.steps.copy(), c.values.copy()) for k, c in s.frame().history.items()}


def assert_same_history(a, b):
    ca, cb = curves(a), curves(b)
    assert ca.keys() == cb.keys()
    for k in ca:
        np.testing.assert_array_equal(ca[k][0], cb[k][0], err_msg=k)
        np.testing.assert_array_equal(ca[k][1], cb[k][1], err_msg=k)  # bit-identical, not close


def test_engine_imports_neither_textual_nor_rich():
    code = ("import sys; import genstep.engine as engine; from genstep.engine import Session; from genstep.engine.session import Session; "
            "import genstep.engine.families, genstep.engine.metrics, genstep.engine.records; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_listing_scenarios_does_not_import_torch():
    code = ("import sys; from genstep.engine import list_scenarios, load_scenario; list_scenarios(); "
            "load_scenario('gan-8gaussians'); sys.exit('torch' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


@pytest.mark.parametrize("path", [GAN, VAE])
def test_same_seed_is_bit_identical_and_chunks_with_probes_equal_one_run(path):
    a = session(path, seed=3)
    a.step(1000)
    b = session(path, seed=3)
    for n in (1, 7, 92, 300, 600):  # 1,000 steps in uneven chunks with frames probed in between
        b.step(n)
        b.frame()
    assert a.steps == b.steps == 1000
    assert_same_history(a, b)
    assert a.latest() == b.latest()


def test_another_seed_gives_another_run():
    a, b = session(seed=0), session(seed=1)
    a.step(50)
    b.step(50)
    assert a.latest()["loss_d"] != b.latest()["loss_d"]


def test_frame_is_side_effect_free():
    s = session()
    s.step(60)
    f1, f2 = s.frame(), s.frame()
    np.testing.assert_array_equal(f1.fake, f2.fake)
    np.testing.assert_array_equal(f1.payload.heat, f2.payload.heat)
    assert f1.step == 60 and f1.family == "gan" and f1.payload.heat.shape == (16, 16)
    assert f1.payload.arrows.shape == (16, 4) and f1.payload.captured.shape == (8,)


@pytest.mark.parametrize("path,events", [
    (GAN, [(300, "lr_g", 5e-4), (700, "loss", "wgan-gp"), (850, "n_critic", 3)]),
    (VAE, [(250, "beta", 0.2), (700, "free_bits", 0.5)]),
])
def test_rewind_and_replay_equals_the_original_run(path, events):
    def fresh():
        s = session(path, seed=5)
        for step, knob, value in events:
            s.schedule(step, knob, value)
        return s

    original = fresh()
    original.step(1000)
    s = fresh()
    s.step(1000)
    assert s.rewind(400) == 400
    assert [e.step for e in s.events] == [e[0] for e in events if e[0] < 400]
    s.step(600)
    assert_same_history(original, s)
    assert [e.as_dict() for e in s.events] == [e.as_dict() for e in original.events]


def test_changing_a_knob_after_rewind_starts_a_new_timeline():
    s = session()
    s.step(100)
    s.set("lr_g", 2e-3)
    s.step(100)
    s.rewind(50)
    s.set("n_critic", 2)  # branch: the rewound lr_g change at step 100 must not fire again
    s.step(150)
    assert [(e.step, e.knob) for e in s.events] == [(50, "n_critic")]
    assert s.knob_values["lr_g"] == 1e-3


def test_reset_restores_the_same_initial_weights():
    s = session(seed=2)
    first = s.frame().fake.copy()
    s.step(120)
    assert not np.array_equal(s.frame().fake, first)
    s.reset()
    assert s.steps == 0 and s.events == []
    np.testing.assert_array_equal(s.frame().fake, first)
    s.reseed(9)
    assert s.seed == 9 and not np.array_equal(s.frame().fake, first)


def test_knob_values_are_validated_with_a_clear_message():
    s = session()
    with pytest.raises(KnobError, match=r"n_critic: 0 is out of range \[1, 10\]"):
        s.set("n_critic", 0)
    with pytest.raises(KnobError, match="expected a whole number"):
        s.set("n_critic", "2.5")
    with pytest.raises(KnobError, match="expected one of ns, minimax, lsgan, wasserstein, wgan-gp"):
        s.set("loss", "hinge")
    with pytest.raises(KnobError, match="unknown knob 'beta'"):
        s.set("beta", 1)
    with pytest.raises(KnobError, match="expected a finite number"):
        s.set("lr_g", "nan")
    ev = s.set("lr_g", "0.002")
    assert ev.as_dict() == {"step": 0, "knob": "lr_g", "old": 0.001, "new": 0.002}
    assert s.family.opt_g.param_groups[0]["lr"] == 0.002  # applied, not just recorded
    assert s.bump("lr_g", +1).new == 0.004 and s.bump("loss", +1).new == "minimax"


@pytest.mark.parametrize("loss", ["ns", "minimax", "lsgan", "wasserstein", "wgan-gp"])
def test_every_objective_can_be_switched_to_mid_run(loss):
    s = session()
    s.step(30)
    s.set("loss", loss)
    assert s.step(30) == 30 and s.status == "ok"
    if loss == "wasserstein":  # weight clipping really clips
        w = np.concatenate([p.detach().numpy().ravel() for p in s.family.critic.parameters()])
        assert np.abs(w).max() <= s.knobs["clip"] + 1e-7


def test_non_finite_gan_step_stops_at_the_last_good_state():
    s = session(overrides=["train.lr_g=10", 'train.opt_g="sgd"', "train.lr_d=10", 'train.opt_d="sgd"'])
    done = s.step(300)
    assert s.status == "diverged" and done == s.steps < 300
    assert f"at step {s.steps + 1}; stopped at step {s.steps}, the last good state" in s.message
    assert s.message.split()[0] in ("loss_d", "loss_g", "grad_norm_d")
    assert s.family.parameters_finite() is None
    assert s.step(10) == 0  # stays stopped until a knob changes
    last_good = s.steps
    assert s.rewind(last_good - 2) == last_good - 2  # a stopped run can be rewound to any step
    s.rewind(0)  # the last good state is already on the edge; start over, gentler
    s.set("lr_g", 1e-4)
    s.set("lr_d", 1e-4)
    assert s.status == "ok" and s.step(20) == 20


def test_non_finite_vae_step_names_the_quantity():
    s = session(VAE, overrides=["train.lr=10", 'train.optimizer="sgd"'])
    s.step(300)
    assert s.status == "diverged"
    assert s.message.split()[0] in ("loss", "elbo", "recon", "kl")
    assert all(np.isfinite(v) for v in s.latest().values())


def test_history_stays_bounded_and_spans_the_run():
    s = session(overrides=["probe.history=64", "probe.every=10"])
    s.step(2000)
    for name, c in s.frame().history.items():
        assert len(c.steps) <= 64, name
        assert c.steps[0] <= 20 and c.steps[-1] >= 2000 - 64, (name, c.steps[[0, -1]])
        assert np.all(np.diff(c.steps) > 0)


def test_checkpoints_are_thinned_but_recent_ones_dense():
    s = session(overrides=["probe.checkpoint_every=10"])
    s.step(3000)
    cps = s.checkpoint_steps
    assert cps[0] == 0 and cps[-1] == 3000
    assert len(cps) < 150  # 300 were taken
    assert set(range(2690, 3001, 10)) <= set(cps)  # the last 32 all kept


def test_notes_fire_once_at_their_step_or_condition_and_unfire_on_rewind():
    s = session()
    s.step(100)
    fired = {n.text: n for n in s.frame().notes}
    assert fired["fifty steps in"].step == 50
    assert fired["first mode count"].step == 50  # modes is measured every 50 steps (probe.every)
    assert fired["first mode count"].trigger == "modes >= 0"
    s.rewind(40)
    assert [n.text for n in s.frame().notes if n.step <= 40] == [n.text for n in s.frame().notes]
    assert "fifty steps in" not in {n.text for n in s.frame().notes}


def test_vae_frame_carries_latents_and_kl_per_dim():
    s = session(VAE)
    s.step(100)
    f = s.frame()
    assert f.family == "vae" and f.payload.latent.shape == (500, 2) and f.payload.recon.shape == (500, 2)
    assert f.payload.kl_per_dim.shape == (2,) and set(np.unique(f.real_labels)) <= set(range(8))
    assert {"loss", "elbo", "recon", "kl", "beta", "active_units", "mi"} <= set(f.metrics)


def test_modes_seen_counts_every_mode_captured_so_far_and_survives_rewind():
    s = session(seed=4)
    s.step(400)
    seen = s.history.curves()["modes_seen"].values
    modes = s.history.curves()["modes"].values
    assert np.all(np.diff(seen) >= 0) and np.all(seen >= modes) and seen[-1] <= 8
    ref = seen.copy()
    s.rewind(120)  # between checkpoints: the replay keeps the running union right
    s.step(280)
    np.testing.assert_array_equal(s.history.curves()["modes_seen"].values, ref)

