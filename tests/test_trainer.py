"""The app's training process (`tui.trainer`): the app side drives a real Session across the pipe,
gets the same results as in-process, hears refusals, and is never left with a stray process."""

from __future__ import annotations

import os
import signal
import time

import pytest

pytest.importorskip("torch")

from engine import Session, load_scenario  # noqa: E402
from tui import trainer  # noqa: E402

pytestmark = pytest.mark.skipif(not trainer.available(), reason="needs POSIX fd passing")

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
        d = trainer.RemoteDriver(name, kw.pop("seed", 3), "cpu", kw.pop("overrides", []))
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
        assert d.process.poll() is not None, "the training process outlived its driver"


def test_steps_knobs_and_frames_cross_the_pipe_and_match_an_in_process_session(remote):
    d = remote.start(remote())
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
    with pytest.raises(trainer.TrainerError, match=r"n_critic: 99 is out of range \[1, 10\]"):
        d.call("set", "n_critic", "99").result(30)
    with pytest.raises(trainer.TrainerError, match="unknown request 'frobnicate'"):
        d.call("frobnicate").result(30)
    assert d.call("play", True).result(30) is True
    wait(lambda: d.running and d.latest.step > 0)
    assert d.call("play", False).result(30) is False


def test_an_invalid_scenario_is_refused_before_torch_and_the_process_leaves(remote):
    d = remote("nope")
    with pytest.raises(trainer.TrainerError, match="unknown scenario 'nope'"):
        d.wait_valid()
    d.join(10)
    assert d.process.returncode == 0


def test_a_training_process_that_dies_is_reported_not_waited_for(remote):
    d = remote.start(remote())
    os.kill(d.process.pid, signal.SIGKILL)
    wait(lambda: d.finished.is_set(), timeout=30)
    assert d.diverged.startswith("the training process ended (exit code -9)")
    with pytest.raises(RuntimeError, match="the run was stopped"):
        d.call("steps", 1).result(5)
