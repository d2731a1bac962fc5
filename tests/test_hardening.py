"""Hardening: own data (CSV), diverging runs, Ctrl+C, files as data, atomic writes, odd CLI input.

What each test observed is tabulated in docs/reliability.md.
"""

from __future__ import annotations

import json
import math
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genstep.engine import ScenarioError, load_scenario
from genstep.engine import data as datalib
from genstep.engine import records
from genstep.engine.data import MAX_CSV_ROWS, DataError, read_points_csv

ROOT = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data"
GAN, VAE = str(DATA / "tiny-gan.toml"), str(DATA / "tiny-vae.toml")
GOOD = "".join(f"{i},{i % 3}\n" for i in range(20))


def genstep(*args, timeout=180, **kw):
    r = subprocess.run([sys.executable, "-m", "genstep.tui.cli", *args], capture_output=True, text=True, timeout=timeout,
                       cwd=ROOT, **kw)
    assert "Traceback" not in r.stderr, r.stderr
    return r


def one_error_line(r) -> str:
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("genstep: "), r.stderr
    return lines[0]


def no_temp_files(folder: Path) -> bool:
    return not [p.name for p in folder.iterdir() if p.name.startswith(".") and p.name.endswith(".tmp")]


# ---- own data: CSV ----------------------------------------------------------------------------------

CSV_CASES = [
    # (name, bytes, None for "reads", or a regex the error must match after "<path>: ")
    ("bad-row", (GOOD + "3,four\n").encode(), r"line 21: expected two numbers x,y, got '3,four'"),
    ("three-columns", (GOOD + "1,2,3\n").encode(), r"line 21: expected 2 columns x,y, found 3$"),
    ("one-column", (GOOD + "7\n").encode(), r"line 21: expected 2 columns x,y, found 1$"),
    ("too-few", b"x,y\n1,2\n3,4\n", r"needs at least 10 points, found 2"),
    ("empty", b"", r"needs at least 10 points, found 0"),
    ("header-only", b"x,y\n", r"needs at least 10 points, found 0"),
    ("blank-lines-only", b"\n \n,\n" * 5, r"needs at least 10 points, found 0"),
    ("all-identical", b"1.5,-2\n" * 30, r"all points are identical"),
    ("semicolons", GOOD.replace(",", ";").encode(), r"line 1: expected 2 columns x,y, found 1; separate x and y with a comma, not ';'"),
    ("decimal-commas", b"1,5;2,5\n" * 20, r"line 1: expected 2 columns x,y, found 3; separate x and y with a comma, not ';'"),
    ("tabs", GOOD.replace(",", "\t").encode(), r"line 1: .* not '\\t'"),
    ("nan", (GOOD + "nan,1\n").encode(), r"line 21: x and y must be finite numbers, got 'nan,1'"),
    ("inf", ("".join(GOOD.splitlines(True)[:8]) + "1,-inf\n" + GOOD).encode(), r"line 9: x and y must be finite numbers, got '1,-inf'"),
    ("overflow", (GOOD + "1e999,0\n").encode(), r"line 21: x and y must be finite numbers"),
    ("non-utf8", (GOOD + "caf\xe9,1\n").encode("latin-1"), r"line 21: not UTF-8 text"),
    ("binary", bytes(range(256)) * 4, r"line \d+: not UTF-8 text"),
    ("header-late", ("\nx,y\n" + GOOD).encode(), r"line 2: expected two numbers x,y, got 'x,y'"),
    ("nul", (GOOD + "1\x00,2\n").encode(), r"line 21: "),
    ("bom", ("\ufeff" + GOOD).encode(), None),
    ("bom-header", ("\ufeffx,y\n" + GOOD).encode(), None),
    ("crlf", GOOD.replace("\n", "\r\n").encode(), None),
    ("quoted", "".join(f'"{i}","{i % 3}"\n' for i in range(20)).encode(), None),
    ("x-constant", "".join(f"1,{i}\n" for i in range(20)).encode(), None),  # points on a line: allowed
    ("y-constant", "".join(f"{i},5\n" for i in range(20)).encode(), None),
    ("huge-values", "".join(f"{(-1) ** i * 1.7}e308,{i}\n" for i in range(20)).encode(), None),
]


@pytest.mark.parametrize("name,blob,expected", CSV_CASES, ids=[c[0] for c in CSV_CASES])
def test_csv_points_read_or_fail_naming_file_and_line(tmp_path, name, blob, expected):
    p = tmp_path / f"{name}.csv"
    p.write_bytes(blob)
    if expected is None:
        pts = read_points_csv(p)
        assert pts.shape == (20, 2) and np.isfinite(pts).all()
        d = datalib.points(p)  # standardized: unit-ish spread, even from values near 1.8e308
        assert np.isfinite(d.bounds).all()
        return
    with pytest.raises(DataError) as e:
        datalib.points(p)
    msg = str(e.value)
    assert msg.startswith(f"{p}: ") and "\n" not in msg and len(msg) < 300, msg
    assert re.search(expected, msg[len(str(p)) + 2:]), msg


def test_csv_values_too_large_without_standardizing(tmp_path):
    p = tmp_path / "huge.csv"
    p.write_text("".join(f"{i}e300,{i}\n" for i in range(1, 21)))
    assert np.isfinite(datalib.points(p).bounds).all()
    with pytest.raises(DataError, match=r"huge\.csv: values up to 2e\+301 are too large to train on"):
        datalib.points(p, standardize=False)


def test_csv_that_is_not_a_file(tmp_path):
    with pytest.raises(DataError, match="not a regular file"):
        read_points_csv(tmp_path)
    with pytest.raises(DataError, match="cannot read the points file"):
        read_points_csv(tmp_path / "missing.csv")


def test_csv_sampling_is_uniform_ordered_and_repeatable(tmp_path):
    p = tmp_path / "many.csv"
    n, cap = 50_000, 1_000
    p.write_text("x,y\n" + "".join(f"{i},{i % 7}\n" for i in range(n)))
    a, b = read_points_csv(p, max_rows=cap), read_points_csv(p, max_rows=cap)
    np.testing.assert_array_equal(a, b)  # seeded: the same file gives the same points
    x = a[:, 0]
    assert a.shape == (cap, 2) and len(np.unique(x)) == cap  # without replacement
    assert (np.diff(x) > 0).all()  # in the file's order
    assert (a[:, 1] == x % 7).all()  # rows kept whole
    assert abs(x.mean() / n - 0.5) < 0.05 and x.min() < n * 0.01 and x.max() > n * 0.99  # over the whole file


def test_csv_with_millions_of_rows_is_sampled_fast_and_in_bounded_memory(tmp_path):
    p = tmp_path / "big.csv"
    n = 2_500_000
    with open(p, "w") as f:
        f.write("x,y\n")
        for start in range(0, n, 250_000):
            f.write("".join(f"{i},{(i * 7919) % 1000 / 10}\n" for i in range(start, start + 250_000)))
    code = ("import json, resource, sys, time; from engine.data import read_points_csv; "
            "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss; t = time.perf_counter(); "
            "pts = read_points_csv(sys.argv[1]); dt = time.perf_counter() - t; "
            "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss; "
            "print(json.dumps({'shape': pts.shape, 's': dt, 'mb': (peak - base) / 1024, 'first': pts[0].tolist(), "
            "'sorted': bool((pts[1:, 0] > pts[:-1, 0]).all())}))")
    r = subprocess.run([sys.executable, "-c", code, str(p)], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["shape"] == [MAX_CSV_ROWS, 2] and out["sorted"]
    # measured on 2 shared cores: ~2 s and ~80 MB (the old line-by-line reader: 7-17 s and ~530 MB)
    assert out["s"] < 60, out
    assert out["mb"] < 200, out


def test_csv_errors_through_the_cli_name_the_file_and_line(tmp_path):
    (tmp_path / "pts.csv").write_text(GOOD + "1;2\n")
    sc = tmp_path / "mine.toml"
    sc.write_text('family = "gan"\n[lesson]\ntitle = "mine"\n[data]\nkind = "csv"\npath = "pts.csv"\n')
    for args in (["check", str(sc)], ["run", str(sc), "--steps", "1", "--device", "cpu"]):
        r = genstep(*args)
        assert r.returncode == 2
        line = one_error_line(r)
        assert f"{tmp_path / 'pts.csv'}: line 21: expected 2 columns x,y, found 1; separate x and y" in line


lines = st.lists(st.one_of(
    st.tuples(st.floats(allow_nan=True, allow_infinity=True), st.floats(allow_nan=True, allow_infinity=True),
              st.sampled_from(["{},{}", " {} , {} ", "{},{}\r", '"{}","{}"', "{};{}", "{},{},", "{}", "+{},{}",
                               "{}\t,{}"])).map(lambda t: t[2].format(repr(t[0]), repr(t[1])) + "\n"),
    st.sampled_from(["\n", " \n", ",\n", "1_0,2\n", "0x1,2\n", "1e5,1E-5\n", ".5,5.\n", "infinity,1\n", "-nan,1\n",
                     "\u0661,2\n", "1d5,2\n", "1,2\n", "NaN,1\n", "x,y\n", "1,\n", ",1\n", "١,٢\n"]),
    st.text(max_size=12).map(lambda s: s.replace("\n", "") + "\n"),
), max_size=30)


@settings(max_examples=150, derandomize=True, database=None, deadline=None,
          suppress_health_check=list(HealthCheck))
@given(block=lines)
def test_bulk_csv_parse_agrees_with_the_line_by_line_parse(block):
    """numpy's bulk parse is only a fast path: it must give exactly what Python's float() gives."""
    def outcome(fn):
        try:
            return fn(block, 7, Path("f.csv")).tolist()
        except DataError as e:
            return str(e)

    assert outcome(datalib._parse_block) == outcome(datalib._parse_lines)


# ---- divergence through the CLI ------------------------------------------------------------------------

def finite_or_null(row: dict) -> bool:
    return all(v is None or (isinstance(v, (int, float)) and math.isfinite(v)) for v in row.values())


@pytest.mark.parametrize("path,sets,fmt", [
    (GAN, ["train.lr_g=10", 'train.opt_g="sgd"', "train.lr_d=10", 'train.opt_d="sgd"'], "jsonl"),
    (VAE, ["train.lr=10", 'train.optimizer="sgd"'], "csv"),
], ids=["gan", "vae"])
def test_divergence_exits_3_names_the_quantity_and_keeps_good_metrics(tmp_path, path, sets, fmt):
    m = tmp_path / f"m.{fmt}"
    args = ["run", path, "--steps", "300", "--json", "--device", "cpu", "--metrics-out", str(m)]
    for s in sets:
        args += ["--set", s]
    r = genstep(*args)
    assert r.returncode == 3, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["status"] == "diverged" and 0 < out["steps"] < 300
    line = one_error_line(r)
    assert re.match(r"genstep: diverged: \w+ became (nan|inf) at step \d+; stopped at step (\d+), the last good state$",
                    line), line
    assert f"stopped at step {out['steps']}," in line
    assert all(v is None or math.isfinite(v) for v in out["final"].values() if isinstance(v, float))
    text = m.read_text()
    assert "nan" not in text.lower() and "inf" not in text.lower()
    rows = records.read_rows(m)
    assert [int(r["step"]) for r in rows] == list(range(1, out["steps"] + 1))  # complete, nothing past the good state
    assert all(finite_or_null(r) for r in rows)
    assert no_temp_files(tmp_path)


# ---- Ctrl+C in the headless CLI ------------------------------------------------------------------------

def test_ctrl_c_in_process_stops_between_steps_and_writes_the_metrics(tmp_path, monkeypatch, capsys):
    """SIGINT raised from inside a step (the metrics listener) is only noted; the run stops at the
    next chunk boundary, never inside torch, and still writes every row."""
    from genstep.tui import cli, headless

    m = tmp_path / "m.jsonl"
    add = records.MetricsWriter.add

    def add_and_interrupt(self, step, row):
        add(self, step, row)
        if step == 40:
            signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(records.MetricsWriter, "add", add_and_interrupt)
    before = signal.getsignal(signal.SIGINT)
    rc = cli.main(["run", GAN, "--steps", "100000", "--device", "cpu", "--metrics-out", str(m), "--json"])
    assert rc == 130 and signal.getsignal(signal.SIGINT) is before  # the handler is put back
    out, err = capsys.readouterr()
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["status"] == "interrupted" and summary["steps"] == 2 * headless.CHUNK  # the next boundary
    assert err.strip() == f"genstep: interrupted at step 50; metrics written to {m}"
    rows = [json.loads(line) for line in m.read_text().splitlines()]
    assert [r["step"] for r in rows] == list(range(1, 51)) and no_temp_files(tmp_path)


def test_second_ctrl_c_stops_at_once_and_still_writes_the_metrics(tmp_path, monkeypatch, capsys):
    from genstep.tui import cli

    m = tmp_path / "m.csv"
    add = records.MetricsWriter.add

    def add_and_interrupt(self, step, row):
        add(self, step, row)
        if step in (30, 31):
            signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(records.MetricsWriter, "add", add_and_interrupt)
    rc = cli.main(["run", GAN, "--steps", "100000", "--device", "cpu", "--metrics-out", str(m), "--json"])
    assert rc == 130
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["status"] == "interrupted" and summary["steps"] == 31
    assert [int(r["step"]) for r in records.read_rows(m)] == list(range(1, 32)) and no_temp_files(tmp_path)


def test_ctrl_c_on_a_real_run_exits_130_with_summary_and_complete_metrics(tmp_path):
    """`genstep run gan-8gaussians --steps 100000 --metrics-out F.jsonl --json`, SIGINT once it steps.

    stderr is a terminal (a pty), so the progress bar shows when stepping has begun; stdout is a pipe
    and must hold nothing but the summary."""
    f = tmp_path / "F.jsonl"
    master, slave = pty.openpty()
    p = subprocess.Popen([sys.executable, "-m", "genstep.tui.cli", "run", "gan-8gaussians", "--steps", "100000",
                          "--metrics-out", str(f), "--json"], stdout=subprocess.PIPE, stderr=slave, text=True,
                         cwd=ROOT)
    os.close(slave)
    seen, sent, deadline = b"", False, time.monotonic() + 240
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                seen += chunk
            done = [int(n) for n in re.findall(rb"(\d+)/100", seen)]
            if not sent and done and max(done) >= 50:
                time.sleep(1.0)  # a couple of seconds into the run
                p.send_signal(signal.SIGINT)
                sent = True
        out, _ = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
        os.close(master)
    err = seen.decode(errors="replace")
    assert sent, err[-2000:]
    assert p.returncode == 130, err[-2000:]
    assert "Traceback" not in err
    assert re.search(rf"genstep: interrupted at step (\d+); metrics written to {re.escape(str(f))}", err)
    out_lines = out.strip().splitlines()
    assert len(out_lines) == 1, out  # the progress bar went to stderr, not into the JSON
    summary = json.loads(out_lines[0])
    assert summary["status"] == "interrupted" and 50 <= summary["steps"] < 100000
    rows = [json.loads(line) for line in f.read_text().splitlines()]  # every line parses
    assert [r["step"] for r in rows] == list(range(1, summary["steps"] + 1))
    assert rows[-1]["loss_d"] == summary["final"]["loss_d"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["F.jsonl"]  # no temporary file left


# ---- files are data, never code ------------------------------------------------------------------------

def test_no_code_loading_from_files_in_the_source():
    bad = re.compile(r"\bpickle\b|\beval\(|\bexec\(|\bmarshal\b|\bshelve\b|yaml\.load\(|__import__\(|"
                     r"importlib|torch\.load\((?![^)]*weights_only=True)")
    hits = [f"{p.relative_to(ROOT)}:{i}: {line.strip()}"
            for d in ("engine", "tui") for p in sorted((ROOT / d).rglob("*.py"))
            for i, line in enumerate(p.read_text().splitlines(), 1) if bad.search(line)]
    assert hits == []


def test_code_in_a_scenario_or_metrics_file_stays_data(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = "__import__('os').system('touch pwned')"
    p = tmp_path / "s.toml"
    p.write_text(f'family = "gan"\nname = "{code}"\n[lesson]\ntitle = "{code}"\nsummary = """{code}"""\n'
                 f'cure = []\n[data]\nkind = "ring"\n[knobs]\nloss = {{ help = "{code}" }}\n')
    sc = load_scenario(str(p), [f"lesson.watch={code}"])
    assert sc.lesson.title == code and sc.lesson.summary == code and sc.lesson.watch == code
    assert sc.knobs["loss"].help == code and sc.name == code
    with pytest.raises(ScenarioError, match=r"lesson\.notes\.0\.when: .*expected a condition"):
        load_scenario(str(p), ['lesson.notes=[{text = "x", when = "__import__(\'os\').getpid() > 0"}]'])
    with pytest.raises(ScenarioError, match=r"loss: expected one of"):
        from genstep.engine.config import coerce_knob

        coerce_knob(sc, "loss", code)
    m = tmp_path / "m.jsonl"
    m.write_text(json.dumps({"step": 1, "loss": code}) + "\n")
    with pytest.raises(records.RecordError, match=r"line 1: 'loss' must be a number or null"):
        records.read_rows(m)
    m.write_text(json.dumps({"step": code}) + "\n")
    with pytest.raises(records.RecordError, match=r"line 1: \"step\" must be a whole number"):
        records.read_rows(m)
    assert not (tmp_path / "pwned").exists()


def test_serve_listens_on_localhost_unless_told_otherwise():
    from genstep.tui.cli import build_parser

    assert build_parser().parse_args(["serve"]).host == "127.0.0.1"


# ---- atomic writes -------------------------------------------------------------------------------------

@pytest.mark.parametrize("where", ["write", "fsync", "replace"])
@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), KeyboardInterrupt()],
                         ids=["disk-full", "ctrl-c"])
def test_an_interrupted_write_leaves_neither_a_partial_target_nor_a_temp_file(tmp_path, monkeypatch, where, error):
    rows = [{"step": i, "loss": i / 3} for i in range(1, 2000)]
    fresh, old = tmp_path / "fresh.jsonl", tmp_path / "old.csv"
    records.write_rows(rows[:5], old)
    before = old.read_text()
    if where == "write":  # half the text reaches the temporary file, then the write fails
        fdopen = os.fdopen

        class HalfThenFail:
            def __init__(self, *a, **k):
                self.f = fdopen(*a, **k)

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.f.close()

            def write(self, text):
                self.f.write(text[: len(text) // 2])
                self.f.flush()
                raise error

        monkeypatch.setattr(records.os, "fdopen", HalfThenFail)
    else:
        def fail(*a, **k):
            raise error

        monkeypatch.setattr(records.os, where, fail)
    for target in (fresh, old):
        with pytest.raises(type(error)):
            records.write_rows(rows, target)
    monkeypatch.undo()
    assert not fresh.exists()
    assert old.read_text() == before  # the previous file is untouched
    assert no_temp_files(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.csv"]


# ---- odd values on the command line ---------------------------------------------------------------------

@pytest.mark.parametrize("args,message", [
    (["run", GAN, "--seed", "99999999999999999999999"], "--seed: expected a whole number between -2**63 and 2**63-1"),
    (["run", GAN, "--seed", "1" * 5000], "(5000 chars)"),
    (["run", GAN, "--at", "10:lr_g=nan"], "--at '10:lr_g=nan': lr_g: expected a finite number, got 'nan'"),
    (["run", GAN, "--at", "10:gp=1e999"], "gp: expected a finite number"),
    (["run", GAN, "--at", "9" * 40 + ":lr_g=0.01"], "the step is too large"),
    (["run", GAN, "--set", "model.hidden=1\nfamily='vae'"], "model.hidden=1\\nfamily='vae': model.hidden: input should be a valid integer"),
    (["run", GAN, "--set", "model.hidden=" + "9" * 5000], "(5013 chars)"),
    (["list", "a\nb"], "unrecognized arguments: a\\nb"),
    (["check", "/dev/zero"], "too large for a scenario file"),
], ids=["seed-huge", "seed-5000-digits", "at-nan", "at-overflow", "at-huge-step", "set-two-lines", "set-5000-digits",
        "newline-argument", "dev-zero"])
def test_odd_command_line_values_are_one_clear_line(args, message):
    r = genstep(*args)
    assert r.returncode == 2, r.stderr
    line = one_error_line(r)
    assert message in line and len(line) < 400, line


@pytest.mark.parametrize("body,message", [
    ("[" * 100_000 + "]" * 100_000, "line 1: not a JSON object"),
    (json.dumps({"step": "a", "loss": 1}), 'line 1: "step" must be a whole number'),
    (json.dumps({"step": 1, "loss": [1, 2]}), "line 1: 'loss' must be a number or null"),
    (json.dumps({"step": True, "loss": 1}), 'line 1: "step" must be a whole number'),
    ("\xff\xfe", "not UTF-8 text"),
    ("", "no metric rows"),
], ids=["deep-json", "text-step", "list-value", "bool-step", "non-utf8", "empty"])
def test_plot_refuses_broken_metrics_files_in_one_line(tmp_path, body, message):
    m = tmp_path / "m.jsonl"
    m.write_bytes(body.encode("latin-1") if body.startswith("\xff") else body.encode())
    r = genstep("plot", str(m))
    assert r.returncode == 2
    assert message in one_error_line(r)


def test_plot_draws_non_finite_values_as_gaps(tmp_path):
    m = tmp_path / "m.jsonl"
    m.write_text('{"step": 1, "loss": 1.0}\n{"step": 2, "loss": NaN}\n{"step": 3, "loss": Infinity}\n'
                 '{"step": 4, "loss": 0.5}\n')
    r = genstep("plot", str(m), "--width", "60", "--height", "10")
    assert r.returncode == 0 and "loss" in r.stdout and r.stderr == ""
