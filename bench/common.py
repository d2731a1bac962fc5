"""What every benchmark shares: the machine and its load, interleaved timing, the scenario.

The machines these run on are shared and noisy, so no figure here is one wall-clock run. A figure
is either a ratio against a reference measured in the same process (or the same session),
interleaved A, B, A, B, ... with the median of the per-pair ratios, or CPU time
(`time.thread_time` / `time.process_time`), which another process's load barely moves.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SCENARIO = "gan-8gaussians"


def median(xs) -> float:
    xs = [x for x in xs if x is not None]
    return float(statistics.median(xs)) if xs else float("nan")


def spread(xs) -> str:
    """min..max of a list, for the figures' sentences (how noisy the pairs were)."""
    xs = [x for x in xs if x is not None]
    return f"{min(xs):.3g}..{max(xs):.3g}" if xs else "-"


def load_average() -> tuple[float, float, float]:
    try:
        return os.getloadavg()
    except OSError:  # pragma: no cover - not on this platform
        return (float("nan"),) * 3


def machine() -> dict:
    """What the figures were measured on: cores, load, CPU model, versions."""
    info = {"cores": os.cpu_count(), "load_1_5_15": [round(x, 2) for x in load_average()],
            "python": platform.python_version(), "platform": platform.platform(terse=True)}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        import torch

        info["torch"] = torch.__version__
    except ImportError:  # pragma: no cover
        pass
    return info


class Timer:
    """Wall and this thread's CPU time over a block: `with Timer() as t: ...; t.wall, t.cpu`."""

    def __enter__(self):
        self._w, self._c = time.perf_counter(), time.thread_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self._w
        self.cpu = time.thread_time() - self._c


def interleave(a: Callable[[], float], b: Callable[[], float], pairs: int) -> tuple[list, list]:
    """Run a, b, a, b, ... `pairs` times; each returns a figure; alternate which goes first so
    a slow drift in the machine's load favours neither. Returns (a's figures, b's figures)."""
    fa, fb = [], []
    for i in range(pairs):
        if i % 2 == 0:
            fa.append(a())
            fb.append(b())
        else:
            fb.append(b())
            fa.append(a())
    return fa, fb


def pair_ratios(num: list, den: list) -> list[float]:
    return [x / y for x, y in zip(num, den) if x is not None and y]


def say(name: str, text: str) -> None:
    """One figure, one sentence (flushed: `make bench` is watched as it runs)."""
    print(f"[{name}] {text}", flush=True)


def load_scenario(overrides=()):
    """The scenario as it is on disk now (someone else tunes it: sizes are read at run time)."""
    from genstep.engine import load_scenario as _load

    return _load(SCENARIO, overrides=list(overrides))
