"""`genstep run` with --fork, --until, --save and --load, as a user runs it (a subprocess)."""

from __future__ import annotations

import json

import pytest

from test_cli import DATA, TINY, genstep, summary

TINY_VAE = str(DATA / "tiny-vae.toml")


def test_a_fork_without_a_change_follows_the_run_bit_for_bit_and_a_fork_with_one_differs():
    r = genstep("run", TINY, "--steps", "160", "--seed", "2", "--device", "cpu", "--json",
                "--fork", "80:lr_g=0.001", "--fork", "80:loss=wgan-gp,n_critic=2")
    assert r.returncode == 0, r.stderr
    s = summary(r)
    same, changed = s["branches"]
    assert same["fork"] == "80:lr_g=0.001" and same["events"] == [] and same["steps"] == 160
    assert same["final"] == s["final"]  # lr_g is already 0.001: no change, the same numbers exactly
    assert changed["events"] == [{"step": 80, "knob": "loss", "old": "ns", "new": "wgan-gp"},
                                 {"step": 80, "knob": "n_critic", "old": 1, "new": 2}]
    assert changed["final"]["loss_d"] != s["final"]["loss_d"] and s["events"] == []


def test_forking_to_a_lower_beta_brings_the_latent_back_in_that_branch_only():
    """The knob's promise, measured: 200 steps after a fork to beta 0.2, that branch's KL is ~0.1
    nats with both latent units active, while the main run (beta 1) has collapsed (KL ~1e-4)."""
    r = genstep("run", TINY_VAE, "--steps", "300", "--seed", "1", "--device", "cpu", "--json",
                "--set", "model.decoder_sd=2.0", "--fork", "100:beta=0.2")
    assert r.returncode == 0, r.stderr
    s = summary(r)
    (branch,) = s["branches"]
    assert branch["final"]["kl"] > 0.05 and s["final"]["kl"] < 0.002, (branch["final"], s["final"])
    assert branch["final"]["active_units"] >= 1 and s["final"]["active_units"] == 0


def test_until_stops_at_the_first_step_where_the_condition_holds():
    r = genstep("run", TINY, "--seed", "2", "--device", "cpu", "--json", "--until", "step >= 37")
    s = summary(r)
    assert r.returncode == 0 and s["steps"] == 37 and s["until"] == {"condition": "step >= 37", "met": True, "step": 37}
    r = genstep("run", TINY, "--steps", "120", "--seed", "2", "--device", "cpu", "--json", "--until", "modes >= 9")
    s = summary(r)
    assert s["steps"] == 120 and s["until"]["met"] is False  # 8 modes at most: it never holds


def test_a_condition_the_lesson_never_reports_is_a_clear_error():
    r = genstep("run", "wgan-disjoint", "--steps", "300", "--device", "cpu", "--until", "modes <= 2")
    assert r.returncode == 2
    assert "does not report modes" in r.stderr and "can never hold" in r.stderr and r.stderr.count("\n") == 1


def test_save_then_load_continues_bit_identically(tmp_path):
    full = genstep("run", TINY, "--steps", "150", "--seed", "5", "--device", "cpu", "--at", "40:lr_g=0.002",
                   "--at", "120:loss=lsgan", "--json")
    half = genstep("run", TINY, "--steps", "70", "--seed", "5", "--device", "cpu", "--at", "40:lr_g=0.002",
                   "--at", "120:loss=lsgan", "--save", str(tmp_path / "r.genstep"), "--json")
    assert summary(half)["saved"] == str(tmp_path / "r.genstep")
    resumed = genstep("run", "--load", str(tmp_path / "r.genstep"), "--steps", "150", "--json")
    assert resumed.returncode == 0, resumed.stderr
    a, b = summary(full), summary(resumed)
    assert b["steps"] == 150 and b["final"] == a["final"] and b["events"] == a["events"]  # the --at at 120 kept


@pytest.fixture(scope="module")
def saved_run(tmp_path_factory):
    good = tmp_path_factory.mktemp("run") / "r.genstep"
    genstep("run", TINY, "--steps", "10", "--device", "cpu", "--save", str(good))
    return good.read_bytes()


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty", "other"])
def test_a_damaged_run_file_is_one_clear_line(tmp_path, saved_run, damage):
    data = saved_run
    bad = tmp_path / "bad.genstep"
    bad.write_bytes({"flip": data[:900] + bytes([data[900] ^ 1]) + data[901:], "truncate": data[: len(data) // 2],
                     "empty": b"", "other": b'{"not": "a run"}'}[damage])
    r = genstep("run", "--load", str(bad))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "not a genstep run file" in r.stderr, r.stderr


@pytest.mark.parametrize("args, message", [
    (["--fork", "10"], "expected STEP:knob=value"),
    (["--fork", "x:lr_g=1"], "is not a whole number"),
    (["--fork", "10:nope=1"], "unknown knob 'nope'"),
    (["--until", "modes <"], 'expected "metric op number"'),
    (["--until", "elbo > 1"], "never reported by the gan family"),
    (["--save", "/no/such/dir/r.genstep"], "does not exist"),
])
def test_bad_compare_options_fail_before_anything_runs(args, message):
    r = genstep("run", TINY, "--steps", "5", *args)
    assert r.returncode == 2 and message in r.stderr and r.stderr.count("\n") == 1, r.stderr
