"""The GPU path: optional, skipped where torch sees no CUDA device (CI never has one)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from genstep.engine import DeviceError, Session, load_scenario
from genstep.engine.session import resolve_device

DATA = Path(__file__).parent / "data"
cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")


def test_auto_picks_the_faster_device_and_says_why():
    small = load_scenario(str(DATA / "tiny-gan.toml"))
    big = load_scenario(str(DATA / "tiny-gan.toml"), ["model.hidden=512", "data.batch=1024"])
    assert resolve_device("auto", small)[0] == "cpu"  # tiny models: one CPU thread wins
    dev, why = resolve_device("auto", big)
    assert dev == ("cuda" if torch.cuda.is_available() else "cpu") and why.startswith(dev)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_asking_for_cuda_without_a_gpu_is_a_clear_error():
    with pytest.raises(DeviceError, match="torch sees no CUDA GPU"):
        Session(load_scenario(str(DATA / "tiny-gan.toml")), device="cuda")
    r = subprocess.run([sys.executable, "-m", "genstep.tui.cli", "run", str(DATA / "tiny-gan.toml"), "--device", "cuda"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "no CUDA GPU" in r.stderr and "Traceback" not in r.stderr


@cuda
@pytest.mark.parametrize("name", ["tiny-gan.toml", "tiny-vae.toml"])
def test_a_session_runs_on_the_gpu_and_frames_are_numpy(name):
    s = Session(load_scenario(str(DATA / name)), seed=0, device="cuda")
    assert s.step(200) == 200 and s.status == "ok"
    f = s.frame()
    assert f.device == "cuda" and isinstance(f.fake, np.ndarray) and np.isfinite(f.fake).all()
    assert all(np.isfinite(v) for v in f.metrics.values())


@cuda
def test_gpu_runs_repeat_and_rewind_replays():
    sc = load_scenario(str(DATA / "tiny-gan.toml"))
    a, b = Session(sc, seed=1, device="cuda"), Session(sc, seed=1, device="cuda")
    a.step(300)
    b.step(300)
    # the same kernels on the same inputs: expected equal; allow float noise from atomics
    np.testing.assert_allclose(a.latest()["loss_d"], b.latest()["loss_d"], rtol=1e-4)
    ref = a.history.curves()["loss_g"].values.copy()
    a.rewind(120)
    a.step(180)
    np.testing.assert_allclose(a.history.curves()["loss_g"].values, ref, rtol=1e-3, atol=1e-5)
