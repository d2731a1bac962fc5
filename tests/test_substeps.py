"""Sub-steps: one update of the critic alone or of the generator alone, between two steps (GAN Lab's
"train D" / "train G" buttons). Each is an event in the run's log, so checkpoints and rewind replay
it in its place among the knob changes: rewinding across sub-steps is exact, bit for bit, on the CPU.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from genstep.engine import KnobError, Session, load_scenario
from genstep.engine.frame import SUBSTEP

TINY = "tests/data/tiny-gan.toml"  # checkpoint_every 50


@pytest.fixture(scope="module")
def sc():
    return load_scenario(TINY)


def weights(module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in module.parameters()]


def same(a, b) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a, b))


def state(s: Session) -> dict:
    """What a user sees of a run: samples, critic surface, metrics, events, update counts, knobs."""
    f = s.frame()
    return {"step": f.step, "fake": f.fake, "heat": f.payload.heat, "metrics": f.metrics, "updates": f.updates,
            "events": [(e.step, e.knob, e.old, e.new) for e in f.events], "knobs": f.knobs}


def assert_same_state(a: dict, b: dict) -> None:
    assert a["step"] == b["step"] and a["updates"] == b["updates"] and a["events"] == b["events"]
    assert a["knobs"] == b["knobs"]
    assert np.array_equal(a["fake"], b["fake"]) and np.array_equal(a["heat"], b["heat"])
    assert a["metrics"] == b["metrics"]


def script(s: Session) -> Session:
    """30 steps, two critic updates alone, one generator update alone, a knob change and one more
    critic update, then 40 steps: sub-steps on both sides of a checkpoint (every 50 steps)."""
    s.step(30)
    s.substep("critic")
    s.substep("critic")
    s.substep("generator")
    s.set("n_critic", 2)
    s.substep("critic")
    s.step(40)
    return s


def test_a_critic_substep_moves_the_critic_only_and_a_generator_substep_the_generator_only(sc):
    s = Session(sc, seed=3, device="cpu")
    s.step(5)
    assert s.frame().updates == {"D": 5, "G": 5}  # n_critic = 1: one critic update per step
    g0, d0 = weights(s.family.generator), weights(s.family.critic)
    fake0 = s.frame().fake
    ev = s.substep("critic")
    assert (ev.step, ev.knob, ev.old, ev.new) == (5, SUBSTEP, None, "critic")
    assert same(weights(s.family.generator), g0) and not same(weights(s.family.critic), d0)
    assert np.array_equal(s.frame().fake, fake0)  # the generator stood still: the same samples
    assert s.steps == 5 and s.frame().updates == {"D": 6, "G": 5}

    d1 = weights(s.family.critic)
    s.substep("generator")
    assert same(weights(s.family.critic), d1) and not same(weights(s.family.generator), g0)
    assert not np.array_equal(s.frame().fake, fake0)
    assert s.steps == 5 and s.frame().updates == {"D": 6, "G": 6}


def test_counts_follow_n_critic_and_the_warm_up():
    s = Session(load_scenario(TINY, ["train.n_critic=3", "train.d_warmup=7"]), seed=0, device="cpu")
    s.step(4)
    assert s.frame().updates == {"D": 7 + 3 * 4, "G": 4}


def test_rewinding_across_substeps_is_exact(sc):
    a = script(Session(sc, seed=3, device="cpu"))
    end = state(a)
    assert end["step"] == 70 and end["updates"] == {"D": 30 + 3 + 40 * 2, "G": 30 + 1 + 40}

    # back to 55, across the sub-steps at 30 and the checkpoint at 50: as if it had stopped there
    fresh = Session(sc, seed=3, device="cpu")
    fresh.step(30)
    for player in ("critic", "critic", "generator"):
        fresh.substep(player)
    fresh.set("n_critic", 2)
    fresh.substep("critic")
    fresh.step(25)
    assert a.rewind(55) == 55
    assert_same_state(state(a), state(fresh))

    # back to 30 itself: the sub-steps taken there wait on the tape and replay on the next step
    assert a.rewind(30) == 30
    assert a.frame().updates == {"D": 30, "G": 30} and a.knobs["n_critic"] == 1
    a.step(40)
    assert_same_state(state(a), end)


def test_a_substep_after_a_rewind_starts_a_new_timeline(sc):
    a = script(Session(sc, seed=3, device="cpu"))
    a.rewind(30)
    a.substep("generator")  # instead of the two critic updates: the old future is dropped
    a.step(5)
    assert [(e.step, e.new) for e in a.events] == [(30, "generator")]
    assert a.steps == 35 and a.frame().updates == {"D": 35, "G": 36}


def test_scheduled_substeps_replay_a_recorded_run(sc):
    """`--at 30:substep=critic` does what the key did: a run's events replay it exactly."""
    a = script(Session(sc, seed=3, device="cpu"))
    b = Session(sc, seed=3, device="cpu")
    for e in a.events:
        b.schedule(e.step, e.knob, e.new)
    b.step(70)
    assert_same_state(state(b), state(a))


def test_bad_players_are_refused_with_the_choices(sc):
    s = Session(sc, seed=0, device="cpu")
    with pytest.raises(KnobError, match="expected one of critic, generator"):
        s.substep("discriminator")
    with pytest.raises(KnobError, match="expected one of critic, generator"):
        s.schedule(10, SUBSTEP, "both")
    vae = Session(load_scenario("tests/data/tiny-vae.toml"), seed=0, device="cpu")
    with pytest.raises(KnobError, match="no player to update alone"):
        vae.substep("critic")
    assert vae.frame().updates == {}


def test_a_substep_that_goes_non_finite_stops_at_the_state_before_it():
    s = Session(load_scenario(TINY, ['train.loss="lsgan"', 'train.opt_d="sgd"']), seed=1, device="cpu")
    s.step(20)
    s.set("lr_d", 10.0)  # least squares and plain SGD at 10: a few critic updates blow it up
    good = 0
    while good < 20 and s.substep("critic") is not None:
        good += 1
        last_good = state(s)
    assert s.status == "diverged", "lr_d = 10 never diverged"
    assert "in an update of the critic alone" in s.message and "step 20" in s.message, s.message
    assert good >= 1, "diverged at once: nothing to compare with"
    assert_same_state(state(s), last_good)  # the good sub-steps before it are kept, exactly
    assert all(torch.isfinite(p).all() for p in s.family.critic.parameters())
    assert s.substep("critic") is None  # a stopped run takes no sub-step until a knob changes


def test_the_command_line_replays_substeps_with_at(sc):
    """`--at 30:substep=critic`: the --json summary lists the sub-steps as events and its finals equal
    the engine's; a player the family does not have is one line and exit code 2."""
    import json
    import subprocess
    import sys

    a = script(Session(sc, seed=3, device="cpu"))
    args = [x for e in a.events for x in ("--at", f"{e.step}:{e.knob}={e.new}")]
    run = [sys.executable, "-m", "genstep.tui.cli", "run", TINY, "--json", "--device", "cpu", "--seed", "3"]
    r = subprocess.run(run + ["--steps", "70", *args], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["events"] == [e.as_dict() for e in a.events]
    assert out["final"] == pytest.approx(a.latest(), rel=1e-6, abs=1e-9)

    r = subprocess.run(run + ["--steps", "5", "--at", "2:substep=both"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stderr.strip().splitlines() == [
        "genstep: --at '2:substep=both': substep=both: expected one of critic, generator"]
