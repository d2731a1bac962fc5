"""`genstep sweep` as a user runs it: a subprocess, its file, its summary, its exit code.

The sweep under test is 2 seeds x 2 values of lr_g on the tiny GAN with plain SGD and lr_d = 10:
at lr_g = 10 both players' steps are so large that the critic's gradient overflows within a few
steps (status "diverged"), at lr_g = 0.001 the runs finish ok. So one small sweep holds both
outcomes, and each of its cells is checked against `genstep run` with the same knobs.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from test_cli import genstep, summary

DATA = Path(__file__).parent / "data"
TINY = str(DATA / "tiny-gan.toml")
SET = ["--set", "train.opt_g=sgd", "--set", "train.opt_d=sgd", "--set", "train.lr_d=10"]
SWEEP = ["sweep", TINY, "--seeds", "0-1", "--grid", "lr_g=0.001,10", "--steps", "50", *SET]


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def by_cell(records) -> dict:
    return {(r["seed"], json.dumps(r["knobs"])): r for r in records}


@pytest.fixture(scope="module")
def local_sweep(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep") / "sweep.jsonl"
    r = genstep(*SWEEP, "--workers", "2", "--out", str(out), "--json", timeout=300)
    return r, out


def test_local_sweep_records_every_cell_with_its_status(local_sweep):
    r, out = local_sweep
    assert r.returncode == 0, r.stderr
    records = lines(out)
    assert sorted((x["seed"], x["knobs"]["lr_g"]) for x in records) == [(0, 0.001), (0, 10.0), (1, 0.001), (1, 10.0)]
    for x in records:
        assert x["sweep"] == {"scenario": "tiny-gan", "steps": 50, "set": SET[1::2], "at": [],
                              "config": records[0]["sweep"]["config"]}
        if x["knobs"]["lr_g"] == 10:
            assert x["status"] == "diverged" and 0 < x["steps"] < 50
            assert "stopped at step" in x["message"]
        else:
            assert x["status"] == "ok" and x["steps"] == 50 and isinstance(x["final"]["modes"], int)
    s = summary(r)
    assert (s["status"], s["cells"], s["ran"], s["kept"]) == ("done", 4, 4, 0)
    assert s["statuses"] == {"ok": 2, "diverged": 2, "error": 0}
    assert [g["knobs"] for g in s["groups"]] == [{"lr_g": 0.001}, {"lr_g": 10.0}]
    assert [g["ok_fraction"] for g in s["groups"]] == [1.0, 0.0]


@pytest.mark.parametrize("seed,lr_g,code", [(1, "0.001", 0), (0, "10", 3)])
def test_a_cell_gives_the_numbers_genstep_run_gives(local_sweep, seed, lr_g, code):
    _, out = local_sweep
    run = genstep("run", TINY, "--seed", str(seed), "--steps", "50", *SET, "--at", f"0:lr_g={lr_g}", "--json")
    assert run.returncode == code, run.stderr
    solo = summary(run)
    cell = by_cell(lines(out))[(seed, json.dumps({"lr_g": float(lr_g)}))]
    assert (cell["status"], cell["steps"], cell["final"]) == (solo["status"], solo["steps"], solo["final"])


def test_summary_numbers_match_a_hand_computation(local_sweep):
    r, out = local_sweep
    ok = [x for x in lines(out) if x["knobs"]["lr_g"] == 0.001]
    group = summary(r)["groups"][0]
    assert group["runs"] == 2 and group["ok"] == 2
    for name in ("loss_d", "w1", "modes"):
        a, b = (float(x["final"][name]) for x in ok)
        mean = (a + b) / 2
        sd = math.sqrt(((a - mean) ** 2 + (b - mean) ** 2) / (2 - 1))
        got = group["metrics"][name]
        assert got["n"] == 2
        assert got["mean"] == pytest.approx(mean, rel=1e-12, abs=1e-15)
        assert got["sd"] == pytest.approx(sd, rel=1e-12, abs=1e-15)
        assert (got["min"], got["max"]) == (min(a, b), max(a, b))
    diverged = summary(r)["groups"][1]
    assert diverged["metrics"] == {}  # no seed finished ok: nothing to average


def test_the_table_shows_each_grid_point_and_its_share_of_ok_runs(tmp_path, local_sweep):
    _, out = local_sweep
    copy = tmp_path / "again.jsonl"
    copy.write_bytes(out.read_bytes())
    r = genstep(*SWEEP, "--out", str(copy), "--resume", "--metrics", "loss_d,w1")  # nothing left to run
    assert r.returncode == 0, r.stderr
    text = r.stdout
    assert "tiny-gan sweep: 2 seeds x 2 grid points, 50 steps" in text
    assert "2/2 (1.00)" in text and "0/2 (0.00)" in text
    assert "loss_d" in text and "w1" in text and "modes" not in text
    assert "0 runs in" in text and "4 kept from the file" in text
    assert copy.read_bytes() == out.read_bytes()


def test_resume_keeps_finished_runs_drops_a_torn_line_and_runs_only_the_rest(tmp_path, local_sweep):
    _, first = local_sweep
    out = tmp_path / "resume.jsonl"
    before = first.read_bytes()
    out.write_bytes(before + b'{"seed": 2, "knobs": {"lr_g": 0.0')  # a write cut short by a crash
    refused = genstep(*SWEEP, "--out", str(out))
    assert refused.returncode == 2 and "already holds 4 runs; pass --resume" in refused.stderr
    other = genstep(*[a if a != "50" else "60" for a in SWEEP], "--out", str(out), "--resume")
    assert other.returncode == 2 and "is from another sweep (steps 50 there, 60 here)" in other.stderr
    edited = tmp_path / "edited.jsonl"  # as if the scenario file had changed since (another hidden size)
    record = lines(first)[0]
    record["sweep"]["config"] = "0123456789ab"
    edited.write_text(json.dumps(record) + "\n")
    refused = genstep(*SWEEP, "--out", str(edited), "--resume")
    assert refused.returncode == 2 and 'is from another sweep (config "0123456789ab" there' in refused.stderr
    r = genstep(*[a if a != "0-1" else "0-2" for a in SWEEP], "--workers", "2", "--out", str(out), "--resume",
                "--json", timeout=300)
    assert r.returncode == 0, r.stderr
    s = summary(r)
    assert (s["cells"], s["ran"], s["kept"]) == (6, 2, 4)
    text = out.read_bytes()
    assert text.startswith(before) and text.endswith(b"\n")
    records = lines(out)
    assert len(records) == 6 and sorted(x["seed"] for x in records[4:]) == [2, 2]
    assert [g["runs"] for g in s["groups"]] == [3, 3]


def test_ray_backend_gives_the_same_records_as_the_local_pool(tmp_path, local_sweep):
    try:
        import ray  # noqa: F401
    except ImportError as e:
        pytest.skip(f"ray cannot be imported on this platform ({e}); pip install 'genstep[ray]'")
    _, local = local_sweep
    out = tmp_path / "ray.jsonl"
    r = genstep(*SWEEP, "--backend", "ray", "--workers", "2", "--out", str(out), "--json", timeout=300)
    assert r.returncode == 0, r.stderr
    assert summary(r)["statuses"] == {"ok": 2, "diverged": 2, "error": 0}
    fields = ("status", "steps", "final", "sweep")
    theirs = {k: {f: v[f] for f in fields} for k, v in by_cell(lines(out)).items()}
    ours = {k: {f: v[f] for f in fields} for k, v in by_cell(lines(local)).items()}
    assert theirs == ours


@pytest.mark.parametrize("args,message", [
    (["--grid", "beta=1"], "--grid 'beta=1': unknown knob 'beta' (this scenario's knobs: loss, lr_g"),
    (["--grid", "lr_d=0.001,50"], "--grid 'lr_d=0.001,50': lr_d: input should be less than or equal to 10 (got 50)"),
    (["--grid", "n_critic=1,2.5"], "n_critic: expected a whole number, got '2.5'"),
    (["--grid", "loss=ns,gan"], "loss: expected one of ns, minimax, lsgan, wasserstein, wgan-gp, got 'gan'"),
    (["--grid", "lr_g=1", "--grid", "lr_g=2"], "lr_g is already a grid knob"),
    (["--grid", "lr_g="], "--grid 'lr_g=': expected values separated by commas"),
    (["--seeds", "5-3"], "--seeds '5-3': the range 5-3 is empty"),
    (["--seeds", "0..9"], "--seeds '0..9': expected seeds like 0-49"),
    (["--seeds", ""], "--seeds '': expected seeds like 0-49"),
    (["--at", "10:lr_g=99"], "--at '10:lr_g=99': lr_g: input should be less than or equal to 10"),
    (["--metrics", "kl"], "--metrics 'kl': no metric 'kl'"),
    (["--workers", "0"], "--workers 0: expected a whole number >= 1"),
    (["--address", "127.0.0.1:1"], "--address 127.0.0.1:1: only with --backend ray"),
])
def test_bad_input_is_one_line_and_exit_2_before_anything_runs(tmp_path, args, message):
    out = tmp_path / "never.jsonl"
    r = genstep("sweep", TINY, "--out", str(out), *args)
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("genstep: ") and message in r.stderr, r.stderr
    assert not out.exists()


def test_an_address_where_no_cluster_answers_is_refused_at_once(tmp_path):
    pytest.importorskip("ray", reason="ray is not installed: the address check is part of the Ray backend")
    r = genstep("sweep", TINY, "--out", str(tmp_path / "x.jsonl"), "--backend", "ray", "--address", "127.0.0.1:1")
    assert r.returncode == 2 and "--address 127.0.0.1:1: no Ray cluster answers there" in r.stderr


def test_ctrl_c_stops_the_sweep_and_keeps_every_finished_line(tmp_path):
    out = tmp_path / "stopped.jsonl"
    cmd = [sys.executable, "-m", "genstep.tui.cli", "sweep", TINY, "--seeds", "0-40", "--grid", "lr_g=0.001", "--steps", "50",
           *SET, "--workers", "2", "--out", str(out)]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and p.poll() is None and not (out.exists() and out.read_text().count("\n") >= 2):
            time.sleep(0.2)
        assert p.poll() is None, p.communicate()[1]
        os.killpg(p.pid, signal.SIGINT)  # as a terminal's Ctrl+C: the whole group (the workers ignore it)
        stdout, stderr = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
    assert p.returncode == 130, stderr
    assert "Traceback" not in stderr
    records = lines(out)  # every line whole
    assert 2 <= len(records) < 41 and all(x["status"] == "ok" for x in records)
    assert f"interrupted: {len(records)} of 41 runs are in {out}; --resume runs the rest" in stderr


def _record(seed, beta, status, kl):
    return {"seed": seed, "knobs": {"beta": beta}, "status": status, "steps": 10, "final": {"kl": kl}}


def test_summary_by_hand_skips_runs_that_did_not_finish_ok_and_a_rerun_replaces_its_failure():
    from genstep.engine.sweep import summarize

    records = [_record(0, 0.1, "ok", 1.0), _record(1, 0.1, "error", None), _record(2, 0.1, "ok", 4.0),
               _record(3, 0.1, "diverged", 100.0), _record(1, 0.1, "ok", 7.0),  # seed 1 rerun on --resume
               _record(0, 3.0, "ok", 0.5)]
    low, high = summarize(records, [{"beta": 0.1}, {"beta": 3.0}], ["kl"])
    # seeds 0, 1, 2 ok with kl 1, 7, 4: mean 4, sd sqrt((9 + 9 + 0) / 2) = 3; seed 3 diverged
    assert (low["runs"], low["ok"], low["diverged"], low["error"], low["ok_fraction"]) == (4, 3, 1, 0, 0.75)
    assert low["metrics"]["kl"] == {"n": 3, "mean": 4.0, "sd": 3.0, "min": 1.0, "max": 7.0}
    assert high["metrics"]["kl"] == {"n": 1, "mean": 0.5, "sd": None, "min": 0.5, "max": 0.5}


def test_plot_draws_a_sweep_file_against_its_grid_variable_with_error_bars(tmp_path):
    path = tmp_path / "s.jsonl"
    kls = {0.03: (1.9, 2.1, 2.0), 1.0: (0.9, 1.1, 1.0), 10.0: (0.05, 0.07, 0.06)}
    path.write_text("".join(json.dumps(_record(seed, beta, "ok", v)) + "\n"
                            for beta, vs in kls.items() for seed, v in enumerate(vs)))
    r = genstep("plot", str(path), "--metrics", "kl", "--width", "70", "--height", "14")
    assert r.returncode == 0, r.stderr
    assert "kl: mean ± 1 sd over up to 3 seeds (status ok)" in r.stdout
    assert "beta (log scale)" in r.stdout
    ticks = r.stdout.rstrip("\n").splitlines()[-2].split()
    assert ticks == ["0.03", "1", "10"]  # the grid's own values
    assert "│" in r.stdout  # error bars (0.1 either way at beta 0.03 and 1)
    bad = genstep("plot", str(path), "--metrics", "modes")
    assert bad.returncode == 2 and "no metric modes (present: kl)" in bad.stderr


def test_a_cell_that_raises_is_its_record_with_status_error_not_the_sweeps_end():
    from genstep.engine.sweep import Cell, run_cell

    record = run_cell(Cell("no-such-lesson", 3, (("beta", 0.5),), 10), {"scenario": "x"})
    assert (record["seed"], record["knobs"], record["status"], record["final"]) == (3, {"beta": 0.5}, "error", {})
    assert record["message"].startswith("ScenarioError: unknown scenario 'no-such-lesson'")
    assert record["sweep"] == {"scenario": "x"}
