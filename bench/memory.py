"""Resident memory over a long headless run: metric history and checkpoints must stay bounded.

Run by `python -m bench` in a child process of its own (a clean heap, nothing else allocated),
and usable alone:

    .venv/bin/python -m bench.memory --steps 200000 [--set model.hidden=8 ...]

prints one JSON object: RSS after warm-up and at the end, samples on the way, how many
checkpoints and history points the session holds, and what one checkpoint of the lesson-sized
model weighs (so the small model's figure can be scaled to the lesson's).

200,000 steps of the lesson model would take ~15 minutes of CPU; the default here is the same
scenario with a tiny model (hidden 8, depth 1, batch 8), plain SGD (Adam's update is a quarter
of a tiny step's cost: 1.1 against 0.8 ms per step on 2 cores) and the sample-based probe pushed
out of the way (probe.every=100000). The checkpoint cadence and the history capacity are the
scenario's own, so the structures that could grow are the ones the lesson uses; what one
checkpoint of the lesson model (with Adam's state) weighs is measured separately.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time

if __package__ in (None, ""):  # run as a file
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import load_scenario  # noqa: E402

SMALL = ("model.hidden=8", "model.depth=1", "data.batch=8", "probe.every=100000", "train.opt_g=sgd", "train.opt_d=sgd")


def rss_mb() -> float:
    import psutil

    gc.collect()
    return psutil.Process().memory_info().rss / 2**20


def snapshot_bytes(session) -> int:
    """Bytes of tensor data one checkpoint of this session holds (models + optimizer state)."""
    import torch

    snap = session._snapshot()
    total = 0

    def walk(x):
        nonlocal total
        if isinstance(x, torch.Tensor):
            total += x.numel() * x.element_size()
        elif isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, (list, tuple)):
            for v in x:
                walk(v)

    walk(snap)
    return total


def held(session) -> dict:
    ck = getattr(session, "_checkpoints", {})
    points = sum(s.n for s in getattr(session.history, "series", {}).values())
    return {"checkpoints": len(ck), "history_points": int(points), "events": len(session.events)}


def run(steps: int, overrides: list[str], warmup: int, samples: int = 10) -> dict:
    import torch

    from genstep.engine import Session
    from genstep.engine.session import use_one_cpu_thread

    use_one_cpu_thread()
    sc = load_scenario(overrides)
    session = Session(sc, seed=0, device="cpu")
    t_cpu = time.process_time()
    session.step(warmup)
    start = rss_mb()
    trace = [(session.steps, round(start, 1))]
    chunk = max(1, (steps - warmup) // samples)
    while session.steps < steps:
        if session.step(min(chunk, steps - session.steps)) == 0:
            break  # diverged: report what we have
        trace.append((session.steps, round(rss_mb(), 1)))
    end = trace[-1][1]
    cpu = time.process_time() - t_cpu
    small = held(session)
    small_ck_bytes = snapshot_bytes(session)
    del session
    lesson = Session(load_scenario(), seed=0, device="cpu")
    lesson.step(1)  # Adam's state exists after the first update
    lesson_ck_bytes = snapshot_bytes(lesson)
    return {
        "steps": steps, "warmup": warmup, "overrides": overrides, "status": "ok",
        "rss_start_mb": round(start, 1), "rss_end_mb": round(end, 1), "rss_growth_mb": round(end - start, 2),
        "trace": trace, "cpu_s": round(cpu, 1), "cpu_ms_per_step": round(1000 * cpu / max(1, steps), 3),
        "checkpoint_every": sc.probe.checkpoint_every, "history_capacity": sc.probe.history,
        **small, "checkpoint_bytes": small_ck_bytes, "lesson_checkpoint_bytes": lesson_ck_bytes,
        "torch_threads": torch.get_num_threads(),
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=200_000)
    p.add_argument("--warmup", type=int, default=None, help="steps before the first RSS reading (default 5%%)")
    p.add_argument("--set", dest="overrides", action="append", default=None, metavar="KEY=VALUE",
                   help=f"scenario overrides (default: {' '.join(SMALL)})")
    a = p.parse_args(argv)
    overrides = list(SMALL) if a.overrides is None else a.overrides
    warmup = a.warmup if a.warmup is not None else max(1000, a.steps // 20)
    print(json.dumps(run(a.steps, overrides, min(warmup, a.steps))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
