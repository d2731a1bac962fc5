"""The CLI as a user runs it: a subprocess, its stdout/stderr and its exit code."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
TINY = str(DATA / "tiny-gan.toml")


def genstep(*args, timeout=120):
    r = subprocess.run([sys.executable, "-m", "genstep.tui.cli", *args], capture_output=True, text=True, timeout=timeout)
    assert "Traceback" not in r.stderr, r.stderr
    return r


def summary(r):
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_run_json_summary_follows_the_contract(tmp_path):
    m, s = tmp_path / "m.jsonl", tmp_path / "s.csv"
    r = genstep("run", TINY, "--steps", "120", "--seed", "4", "--device", "cpu", "--at", "60:lr_g=0.002",
                "--at", "100:loss=wgan-gp", "--metrics-out", str(m), "--samples-out", str(s), "--json")
    assert r.returncode == 0, r.stderr
    out = summary(r)
    assert {k: out[k] for k in ("scenario", "seed", "steps", "device", "status")} == {
        "scenario": "tiny-gan", "seed": 4, "steps": 120, "device": "cpu", "status": "ok"}
    for key in ("elapsed_s", "steps_per_s"):  # present and numeric (speed itself is bench/'s business)
        assert isinstance(out[key], float), key
    assert {"loss_d", "loss_g", "modes", "modes_total", "hq", "rev_kl_modes", "kl_grid", "js_grid", "w1",
            "grad_norm_d"} <= set(out["final"])
    assert isinstance(out["final"]["modes"], int) and out["final"]["modes_total"] == 8
    assert isinstance(out["final"]["modes_seen"], int)
    assert out["events"] == [{"step": 60, "knob": "lr_g", "old": 0.001, "new": 0.002},
                             {"step": 100, "knob": "loss", "old": "ns", "new": "wgan-gp"}]
    rows = [json.loads(line) for line in m.read_text().splitlines()]
    assert [r["step"] for r in rows] == list(range(1, 121))
    assert rows[-1]["loss_d"] == out["final"]["loss_d"]
    assert "modes" in rows[49] and "modes" not in rows[48]  # sample metrics every 50 steps
    pts = list(csv.DictReader(s.open()))
    assert len(pts) == 500 and set(pts[0]) == {"x", "y"}  # the probe's samples (500 in this scenario)


def test_run_is_reproducible_and_csv_metrics(tmp_path):
    a = summary(genstep("run", TINY, "--steps", "60", "--json", "--metrics-out", str(tmp_path / "a.csv")))
    b = summary(genstep("run", TINY, "--steps", "60", "--json"))
    assert a["final"] == b["final"]
    header = (tmp_path / "a.csv").read_text().splitlines()[0].split(",")
    assert header[:4] == ["step", "loss_d", "loss_g", "grad_norm_d"] and "modes" in header


@pytest.mark.parametrize("args,message", [
    (["run", "nope"], "unknown scenario 'nope'"),
    (["run", TINY, "--set", "model.hiden=3"], "model.hiden: unknown key"),
    (["run", TINY, "--set", "train.lr_g=abc"], "train.lr_g: input should be a valid number"),
    (["run", TINY, "--at", "x:lr_g=0.1"], "the step 'x' is not a whole number"),
    (["run", TINY, "--at", "10:n_critic=99"], "n_critic: 99 is out of range [1, 10]"),
    (["run", TINY, "--at", "10:beta=1"], "unknown knob 'beta'"),
    (["run", TINY, "--steps", "-3"], "expected a whole number >= 0"),
    (["run", TINY, "--device", "tpu"], "expected auto, cpu or cuda"),
    (["run", TINY, "--metrics-out", "m.txt"], "expected a file name ending in .jsonl or .csv"),
    (["run", TINY, "--metrics-out", "/no/such/dir/m.jsonl"], "does not exist"),
    (["check", str(DATA / "missing.toml")], "no such file"),
    (["plot", str(DATA / "missing.jsonl")], "cannot read"),
    (["frobnicate"], "invalid choice"),
    (["tui", "nope"], "unknown scenario 'nope'"),  # checked by the training process, before any window
    (["tui", TINY, "--set", "model.hiden=3"], "model.hiden: unknown key"),
])
def test_bad_input_is_one_clear_line_and_exit_2(args, message, tmp_path):
    r = genstep(*args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("genstep: ") and message in lines[0], r.stderr


def test_divergence_exits_3_with_status_and_quantity():
    r = genstep("run", TINY, "--steps", "200", "--json", "--set", "train.lr_g=10", "--set", 'train.opt_g="sgd"',
                "--set", "train.lr_d=10", "--set", 'train.opt_d="sgd"')
    assert r.returncode == 3, r.stderr
    out = summary(r)
    assert out["status"] == "diverged" and 0 < out["steps"] < 200
    assert f"stopped at step {out['steps']}, the last good state" in r.stderr
    assert r.stderr.startswith("genstep: diverged: ")


def test_list_and_check():
    r = genstep("list")
    assert r.returncode == 0
    names = [line.split()[0] for line in r.stdout.splitlines()]
    assert {"gan-8gaussians", "wgan-disjoint", "vae-posterior-collapse"} <= set(names)
    r = genstep("check", TINY)
    assert r.returncode == 0 and "ok" in r.stdout


def test_plot_draws_a_finished_run(tmp_path):
    m = tmp_path / "m.jsonl"
    assert genstep("run", TINY, "--steps", "100", "--metrics-out", str(m)).returncode == 0
    r = genstep("plot", str(m), "--width", "80", "--height", "12")
    assert r.returncode == 0, r.stderr
    assert "losses" in r.stdout and "loss_d" in r.stdout and "step" in r.stdout
    r = genstep("plot", str(m), "--metrics", "nope")
    assert r.returncode == 2 and "no metric nope" in r.stderr


def test_headless_commands_do_not_import_textual():
    code = ("import sys; from genstep.tui import cli, headless; "
            "sys.exit(any(m.split('.')[0] == 'textual' for m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
