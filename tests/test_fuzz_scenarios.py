"""Property-based: broken and odd scenario files, `--set` and `--at` values never crash anything.

Whatever the input (wrong types, missing sections, unknown keys, huge and negative numbers,
NaN/inf, empty files, binary junk, non-UTF-8, tables nested thousands deep, very long strings,
unicode keys), `load_scenario` returns a valid scenario or raises ScenarioError with one short
line that starts with the file's path and names a field (or says invalid TOML / not UTF-8).
Most cases run in-process; a fixed sample goes through the real CLI as subprocesses.

Derandomized (the same examples on every run) and sized to finish in well under a minute.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import random
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genstep.engine import ScenarioError, load_scenario
from genstep.engine.config import Scenario, coerce_knob, one_line, shorten
from genstep.engine.knobs import parse_at

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent
BASES = [tomllib.loads(p.read_text()) for p in (DATA / "tiny-gan.toml", DATA / "tiny-vae.toml",
                                                 ROOT / "scenarios" / "gan-8gaussians.toml")]
BASES.append({"family": "gan", "lesson": {"title": "t"}, "data": {"kind": "ring"}})
TOP = ("family", "name", "data", "model", "train", "probe", "knobs", "lesson")
SCHEMA_KEYS = sorted({"kind", "n_modes", "radius", "sd", "batch", "size", "spacing", "noise", "path", "standardize",
                      "generator", "hidden", "depth", "critic_hidden", "critic_depth", "noise_dim", "theta0",
                      "loss", "lr_g", "lr_d", "opt_g", "opt_d", "betas", "n_critic", "d_warmup", "clip", "gp",
                      "latent", "decoder", "decoder_sd", "learn_sd", "components", "lr", "optimizer", "beta",
                      "free_bits", "warmup", "samples", "every", "heat", "arrows", "w1_points",
                      "checkpoint_every", "history", "min", "max", "step", "log", "choices", "help", "title",
                      "summary", "watch", "steps", "cure", "cure_steps", "why", "notes", "text", "at_step",
                      "when", *TOP})
MSG_LIMIT = 600  # characters after the path: a message quotes user text only in part

def fuzz(n: int):
    return settings(max_examples=n, derandomize=True, database=None, deadline=None, print_blob=False,
                    suppress_health_check=list(HealthCheck))


# ---- a small TOML writer (no third-party dependency) ---------------------------------------------

def toml_key(k: str) -> str:
    return json.dumps(k, ensure_ascii=False).replace("\x7f", "\\u007f")


def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return toml_key(v)
    if isinstance(v, (dt.datetime, dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{toml_key(k)} = {toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(type(v))


def toml_dump(doc: dict) -> str:
    out = [f"{toml_key(k)} = {toml_value(v)}" for k, v in doc.items() if not isinstance(v, dict)]
    for k, v in doc.items():
        if isinstance(v, dict):
            out.append(f"[{toml_key(k)}]")
            out += [f"{toml_key(kk)} = {toml_value(vv)}" for kk, vv in v.items()]
    return "\n".join(out) + "\n"


# ---- strategies -------------------------------------------------------------------------------------

keys = st.one_of(
    st.sampled_from(SCHEMA_KEYS),
    st.text(min_size=1, max_size=12),  # unicode, control characters, quotes, dots, colons...
    st.integers(0, 3000).map(lambda n: "k" * n or "k"),  # up to very long keys
)
odd_numbers = st.sampled_from([0, -1, 1, -0.0, 2**31, 2**63, 2**64, 10**30, -10**30, 10**300, 1e308, -1e308,
                               5e-324, 1e-300, 0.5, 1e9, 4097, 65537])
scalars = st.one_of(
    st.booleans(),
    st.integers(-(2**70), 2**70),
    odd_numbers,
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=16),
    st.integers(0, 200_000).map(lambda n: "é" * n),  # very long strings
    st.sampled_from(["ns", "wgan-gp", "adam", "sgd", "ring", "csv", "gan", "vae", "nan", "1e999", "",
                     "__import__('os').system('echo pwned')", "modes <= 2", "beta=0.1", "lr=1e9"]),
    st.datetimes(), st.dates(),
)
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(keys, inner, max_size=3)), max_leaves=8)


def paths(doc, prefix=()):
    """Every (path, container) in a nested document: tables and arrays alike."""
    items = doc.items() if isinstance(doc, dict) else enumerate(doc)
    for k, v in items:
        yield prefix + (k,)
        if isinstance(v, (dict, list)):
            yield from paths(v, prefix + (k,))


def at(doc, path):
    for p in path:
        doc = doc[p]
    return doc


@st.composite
def mutated_docs(draw):
    """A valid scenario with 1-4 things broken: a value replaced, a key dropped or added."""
    doc = copy.deepcopy(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(1, 4))):
        where = sorted(paths(doc), key=repr)
        op = draw(st.sampled_from(["set", "set", "drop", "add", "add-top"]))
        if op == "add-top" or not where:
            doc[draw(keys)] = draw(values)
            continue
        path = draw(st.sampled_from(where))
        parent = at(doc, path[:-1])
        if op == "set":
            parent[path[-1]] = draw(values)
        elif op == "drop":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(keys)] = draw(values)
    return doc


def deep(kind: str, n: int) -> str:
    base = toml_dump(BASES[0])
    return {
        "tables": base + "[data" + ".x" * n + "]\nv = 1\n",  # a table header thousands deep
        "dotted": base + "y." * n + "z = 1\n",  # a dotted key thousands deep, in the last table
        "arrays": "family = " + "[" * n + "]" * n + "\n",
        "inline": "family = " + "{a = " * n + "1" + "}" * n + "\n",
        "top": "[" + ".".join(["t"] * n) + "]\n" + base,
    }[kind]


junk_files = st.one_of(
    st.binary(max_size=400),  # binary junk
    st.text(max_size=300).map(str.encode),  # random unicode text
    st.sampled_from([b"", b" ", b"\n\n", b"\xef\xbb\xbf", b"[", b"=", b"family", b"family =", b"[[lesson]]",
                     b'family = "gan"', b"\x00" * 10, b"\xff\xfe" + "family".encode("utf-16-le")]),
    st.tuples(st.sampled_from(BASES), st.integers(0, 2000)).map(lambda t: toml_dump(t[0]).encode()[: t[1]]),
    st.tuples(st.sampled_from(BASES), st.integers(0, 400), st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80",
                                                                            b"\x80", b"\xf8\x88\x80\x80\x80"])).map(
        lambda t: (lambda s: s[: t[1]] + t[2] + s[t[1]:])(toml_dump(t[0]).encode())),  # non-UTF-8
    st.tuples(st.sampled_from(["tables", "dotted", "arrays", "inline", "top"]), st.integers(1, 5000)).map(
        lambda t: deep(*t).encode()),  # nested thousands deep
    st.integers(1, 6000).map(lambda n: (toml_dump(BASES[0]) + "[model]\n").encode()
                             .replace(b"[model]\n", b"[model]\nhidden = " + b"9" * n + b"\n", 1)),  # huge integers
)


# ---- the property ----------------------------------------------------------------------------------

def check_file(path: Path, overrides=()):
    """load_scenario either gives a valid scenario or one clean ScenarioError; nothing else."""
    try:
        sc = load_scenario(str(path), list(overrides))
    except ScenarioError as e:
        msg = str(e)
        assert "\n" not in msg and "\r" not in msg, msg
        assert msg == one_line(msg)
        if overrides and msg.startswith("--set "):
            assert len(msg) < MSG_LIMIT, msg
            return msg
        assert msg.startswith(f"{path}"), msg
        rest = msg[len(str(path)):]
        if overrides:
            assert rest.startswith(" with --set "), msg  # then the overrides, shortened, and the field
            assert len(msg) < MSG_LIMIT + 100 * len(overrides), msg
            return msg
        assert rest.startswith(": "), msg
        rest = rest[2:]
        assert len(rest) < MSG_LIMIT, msg
        if rest.startswith(("invalid TOML", "not UTF-8 text", "too large for a scenario file")):
            return msg
        try:
            raw_keys = list(tomllib.loads(path.read_bytes().decode("utf-8-sig")))
        except (ValueError, RecursionError):
            raw_keys = []
        names = set(TOP) | {one_line(shorten(k)) for k in raw_keys}
        assert any(rest.startswith(k) and rest[len(k):len(k) + 1] in (".", ":", "[") for k in names), \
            f"the message does not name a field: {msg}"
        return msg
    assert isinstance(sc, Scenario)
    for name, spec in sc.knobs.items():
        assert spec.kind in ("choice", "int", "float") and spec.name == name
    return None


@pytest.fixture(scope="module")
def where(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@fuzz(320)
@given(doc=mutated_docs())
def test_mutated_scenarios_load_or_fail_cleanly(where, doc):
    p = where / "mutated.toml"
    p.write_text(toml_dump(doc), encoding="utf-8")
    check_file(p)


@fuzz(180)
@given(blob=junk_files)
def test_junk_empty_non_utf8_deep_and_huge_files_fail_cleanly(where, blob):
    p = where / "junk.toml"
    p.write_bytes(blob)
    check_file(p)


override_keys = st.one_of(
    st.sampled_from(["model.hidden", "train.lr_g", "train.loss", "data.kind", "data", "family", "probe.samples",
                     "knobs.lr_g.min", "knobs.gp", "lesson.title", "lesson.notes", "lesson.cure", "name",
                     "model.hidden.x", "data.kind.x.y", "knobs.beta.max", "train", "x" * 500]),
    st.lists(st.sampled_from(SCHEMA_KEYS), min_size=1, max_size=4).map(".".join),
    st.text(max_size=12),
)
override_values = st.one_of(
    st.sampled_from(["64", "-1", "0", "1e400", "nan", "-inf", "inf", "1e-400", "true", "wgan-gp", '"sgd"', "",
                     "[1, 2]", "{a = 1}", "1979-05-27", "1\nfamily = 'vae'", "'__import__(\"os\")'", "[" * 3000,
                     "9" * 5000, "0x10", "1_000", "'unterminated", "{" * 50]),
    scalars.map(toml_value),
    st.text(max_size=40),
)


@fuzz(160)
@given(sets=st.lists(st.tuples(override_keys, override_values).map("=".join) | st.text(max_size=20),
                     min_size=1, max_size=3))
def test_set_overrides_apply_or_fail_cleanly(sets):
    check_file(DATA / "tiny-gan.toml", sets)


KNOB_SC = load_scenario(str(DATA / "tiny-gan.toml"))
VAE_SC = load_scenario(str(DATA / "tiny-vae.toml"))
at_values = st.one_of(
    st.tuples(st.one_of(st.integers(0, 10**25).map(str), st.sampled_from(["-1", "", "x", "1.5", "٣", "0" * 5000,
                                                                          "9" * 5000, " 7 "])),
              st.sampled_from(["lr_g", "lr_d", "loss", "n_critic", "clip", "gp", "beta", "lr", "warmup", "x",
                               "", "LR", "lr_g ", "é"]),
              override_values).map(lambda t: f"{t[0]}:{t[1]}={t[2]}"),
    st.text(max_size=30),
)


@fuzz(160)
@given(text=at_values, vae=st.booleans())
def test_at_values_apply_or_fail_cleanly(text, vae):
    sc = VAE_SC if vae else KNOB_SC
    try:
        step, knob, value = parse_at(text)
        v = coerce_knob(sc, knob, value)
    except ScenarioError as e:
        msg = str(e)
        assert "\n" not in msg and "\r" not in msg and len(msg) < MSG_LIMIT, msg
        return
    spec = sc.knobs[knob]
    assert step >= 0
    if spec.kind == "choice":
        assert v in spec.choices
    else:
        assert isinstance(v, int if spec.kind == "int" else float) and math.isfinite(v)
        assert (spec.min is None or v >= spec.min) and (spec.max is None or v <= spec.max)


# ---- the same kinds of input through the real CLI ---------------------------------------------------

def cli_sample() -> list[tuple[str, bytes | None, list[str]]]:
    """30 fixed cases: (name, file bytes or None for the tiny GAN, extra arguments)."""
    rng = random.Random(6)
    base = (DATA / "tiny-gan.toml").read_text()

    def edit(old, new, text=None):
        text = base if text is None else text
        assert old in text, old
        return text.replace(old, new)

    files = [
        ("empty", b""),
        ("junk", bytes(rng.randrange(256) for _ in range(300))),
        ("latin1", "family = \"gän\"\n".encode("latin-1")),
        ("utf16", base.encode("utf-16")),
        ("nul", b"family = \"gan\"\x00\n"),
        ("truncated", base.encode()[:57]),
        ("deep-arrays", deep("arrays", 4000).encode()),
        ("deep-tables", deep("tables", 3000).encode()),
        ("deep-dotted", deep("dotted", 2000).encode()),
        ("huge-int", edit("hidden = 16", "hidden = " + "9" * 5000).encode()),
        ("negative", edit("hidden = 16", "hidden = -16").encode()),
        ("nan", edit("lr_g = 1e-3", "lr_g = nan").encode()),
        ("inf", edit("radius = 2.0", "radius = inf").encode()),
        ("wrong-type", edit("hidden = 16", 'hidden = "sixteen"').encode()),
        ("missing-lesson", toml_dump({k: v for k, v in BASES[0].items() if k != "lesson"}).encode()),
        ("missing-family", toml_dump({k: v for k, v in BASES[0].items() if k != "family"}).encode()),
        ("unknown-key", (base + "[model.extra]\nx = 1\n").encode()),
        ("unicode-key", (base + '"ключ\\n2" = 1\n').encode()),
        ("long-string", edit('loss = "ns"', 'loss = "' + "x" * 100_000 + '"').encode()),
        ("bad-knob", edit("[knobs]", '[knobs]\nbetas = {}').encode()),
        ("open-knob-range", edit("gp = { min = 0, max = 100, step = 1 }", "gp = { max = 100 }",
                                   edit('title = "tiny GAN (tests)"', 'title = "t"\ncure = ["gp=1000"]')).encode()),
        ("code-in-note", edit('when = "modes >= 0"', 'when = "__import__(\'os\').getcwd() > 0"').encode()),
        ("family-list", edit('family = "gan"', 'family = ["gan"]').encode()),
        ("binary-utf8", "family = \"\x01\x02\"\n".encode()),
    ]
    cases = [(name, blob, []) for name, blob in files]
    cases += [
        ("set-huge", None, ["--set", "model.hidden=" + "9" * 5000]),
        ("set-newline", None, ["--set", "model.hidden=1\nfamily='vae'"]),
        ("set-nan", None, ["--set", "train.lr_g=nan"]),
        ("set-unknown", None, ["--set", "model.größe=3"]),
        ("at-nan", None, ["--at", "10:lr_g=nan"]),
        ("at-huge-step", None, ["--at", "9" * 5000 + ":lr_g=0.01"]),
    ]
    return cases


def test_broken_inputs_through_the_real_cli(tmp_path):
    cases = cli_sample()
    assert len(cases) == 30
    for i, (name, blob, extra) in enumerate(cases):
        if blob is None:
            target = str(DATA / "tiny-gan.toml")
        else:
            target = str(tmp_path / f"{name}.toml")
            Path(target).write_bytes(blob)
        cmd = ["check", target] if i % 2 and not extra else ["run", target, "--steps", "1", "--device", "cpu"]
        r = subprocess.run([sys.executable, "-m", "genstep.tui.cli", *cmd, *extra], capture_output=True, text=True,
                           timeout=120, cwd=ROOT)
        lines = r.stderr.splitlines()
        assert r.returncode == 2, (name, r.returncode, r.stderr[-2000:])
        assert "Traceback" not in r.stderr, (name, r.stderr)
        assert len(lines) == 1 and lines[0].startswith("genstep: "), (name, r.stderr[:2000])
        assert len(lines[0]) < 700, (name, lines[0])
        if blob is not None:
            assert lines[0].startswith(f"genstep: {target}"), (name, lines[0])
