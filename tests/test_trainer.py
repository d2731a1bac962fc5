"""The app's training process (`tui.run.remote` and `tui.run.child`): the app side drives a real
Session across the pipe in typed messages, gets the same results as in-process, hears refusals, and
is never left with a stray process."""

from __future__ import annotations

import os
import signal
import time

import pytest

pytest.importorskip("torch")

from genstep.engine import Session, load_scenario  # noqa: E402
from genstep.tui.run import RunHandle, RunRefused, available  # noqa: E402
from genstep.tui.run.remote import RemoteRun  # noqa: E402

pytestmark = pytest.mark.skipif(not available(), reason="needs POSIX fd passing")

TINY = "tests/data/tiny-gan.toml"


def wait(condition, timeout=60.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError("timed out")


@pytest.fixture
def remote():
    import threading

    drivers = []

    def open_(name=TINY, **kw):
        d = RemoteRun(name, kw.pop("seed", 3), "cpu", kw.pop("overrides", []))
        drivers.append(d)
        return d

    def start(d):
        d.wait_valid()
        d.go()
        threading.Thread(target=d.run, daemon=True).start()
        wait(lambda: d.latest is not None)
        return d

    open_.start = start
    yield open_
    for d in drivers:
        d.stop()
        d.join(10)
        assert d.process.poll() is not None, "the training process outlived its handle"


def test_steps_knobs_and_frames_cross_the_pipe_and_match_an_in_process_session(remote):
    d = remote.start(remote())
    assert isinstance(d, RunHandle)
    assert d.device == "cpu" and d.threads == 1  # the child trains on one torch thread
    assert d.request_steps(4).result(30) == 4
    wait(lambda: d.latest.step == 4 and d.pending == 0)
    event = d.call("set", "lr_g", "0.002").result(30)
    assert (event.step, event.knob, event.new) == (4, "lr_g", 0.002)
    d.request_steps(3).result(30)
    wait(lambda: d.latest.step == 7)

    session = Session(load_scenario(TINY), seed=3, device="cpu")
    session.step(4)
    session.set("lr_g", "0.002")
    session.step(3)
    assert d.latest.metrics == session.frame().metrics


def test_a_refused_request_carries_the_engines_message(remote):
    d = remote.start(remote())
    with pytest.raises(RunRefused, match=r"n_critic: 99 is out of range \[1, 10\]"):
        d.call("set", "n_critic", "99").result(30)
    with pytest.raises(RunRefused, match="unknown request 'frobnicate'"):
        d.call("frobnicate").result(30)
    assert d.call("play", True).result(30) is True
    wait(lambda: d.running and d.latest.step > 0)
    assert d.call("play", False).result(30) is False


def test_an_invalid_scenario_is_refused_before_torch_and_the_process_leaves(remote):
    d = remote("nope")
    with pytest.raises(RunRefused, match="unknown scenario 'nope'"):
        d.wait_valid()
    d.join(10)
    assert d.process.returncode == 0


def test_a_training_process_that_dies_is_reported_not_waited_for(remote):
    d = remote.start(remote())
    os.kill(d.process.pid, signal.SIGKILL)
    wait(lambda: d.finished.is_set(), timeout=30)
    assert d.state.ended and not d.state.running
    assert d.state.diverged.startswith("the training process ended (exit code -9)")
    with pytest.raises(RuntimeError, match="the run was stopped"):
        d.call("steps", 1).result(5)


def test_a_message_the_app_cannot_read_ends_the_run_with_the_reason(remote, monkeypatch):
    """E.g. a training process started from files changed since the app imported them: the app
    says so and stops the process, instead of a reading thread dying in silence."""
    import threading

    from genstep.tui import pipe

    d = remote()
    d.wait_valid()
    d.go()
    monkeypatch.setattr(pipe, "_records", lambda: {})  # this app knows no Frame records
    threading.Thread(target=d.run, daemon=True).start()
    wait(lambda: d.finished.is_set(), timeout=30)
    assert d.state.ended and not d.state.running
    assert d.state.diverged == ("the training process sent what this app cannot read "
                                "(refused a record named 'Frame')")


def test_frames_of_every_family_cross_the_pipe_unchanged():
    import dataclasses
    import math

    import numpy as np

    from genstep.tui.pipe import decode, encode
    from genstep.tui.run import RunState
    from genstep.tui.run.messages import State

    def same(a, b):
        if isinstance(a, np.ndarray):
            return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
        if dataclasses.is_dataclass(a):
            return type(a) is type(b) and all(same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
        if isinstance(a, dict):
            return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
        if isinstance(a, (list, tuple)):
            return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
        if isinstance(a, float) and math.isnan(a):
            return isinstance(b, float) and math.isnan(b)
        return type(a) is type(b) and a == b

    for name in ("gan-8gaussians", "wgan-disjoint", "vae-posterior-collapse"):
        session = Session(load_scenario(name), seed=1, device="cpu")
        session.step(3)
        session.set(next(iter(session.scenario.knobs)), session.knob_values[next(iter(session.scenario.knobs))])
        frame = dataclasses.replace(session.frame(), metrics={**session.frame().metrics, "odd": math.nan})
        back = decode(encode(State(RunState(version=1, checkpoints=(0, 3)), frame)))
        assert type(back) is State and back.state == RunState(version=1, checkpoints=(0, 3)), name
        assert same(frame, back.frame), name


@pytest.mark.parametrize("part", [object(), {1: "int key"}, None])
def test_the_pipe_carries_data_only(part):
    import numpy as np

    from genstep.tui.pipe import decode, encode

    if part is None:
        part = np.array([object()])
    with pytest.raises(TypeError):
        encode(("x", part))
    import struct

    for header, refusal in ((b'{"r":"Popen","f":{"args":"true"}}', "refused a record named 'Popen'"),
                            (b'{"a":[0,"|O",[1]]}', "refused an array of object")):
        with pytest.raises(ValueError, match=refusal):
            decode(struct.pack("!Q", len(header)) + header + struct.pack("!Q", 8) + bytes(8))


def test_validating_a_lesson_in_the_training_process_imports_neither_numpy_nor_torch():
    """The app's first paint waits for the child's Valid answer; numpy (40 ms) and torch (1 s)
    must stay out of that path. Checked in a fresh interpreter doing what the child does."""
    import subprocess
    import sys

    code = ("import sys\n"
            "from genstep.tui.pipe import decode, encode\n"
            "from genstep.tui.run.build import validate\n"
            "from genstep.tui.run.messages import Open, Valid\n"
            "opened = decode(encode(Open('gan-8gaussians', 0, 'cpu', ('train.lr_g=0.001',))))\n"
            "s = validate(opened.name, opened.overrides)\n"
            "back = decode(encode(Valid(s.model_dump(mode='json'))))\n"
            "assert type(back) is Valid and back.scenario == s.model_dump(mode='json')\n"
            "print(sorted(m for m in ('numpy', 'torch') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
