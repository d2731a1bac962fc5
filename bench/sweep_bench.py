"""Sweep figure: `sweep_speedup_2`, the throughput of `genstep sweep`'s local backend with two
worker processes against one, on the same cells.

Each measurement is a whole sweep as a user pays for it (the pool's start, each worker's torch
import, every cell, the records handed back), run through the same `run_local` the command uses;
one-worker and two-worker sweeps alternate, and the figure is the median over pairs of
(one-worker wall time) / (two-worker wall time). The cells are the lesson scenario (bench.common's
SCENARIO) for a few hundred steps each, seeds 0..n-1: equal work per cell, so two workers can
split them evenly. Wall time is the figure here on purpose (throughput of a parallel sweep is a
wall-clock matter); pairs taken while another process holds a core come out low, and the
sentence reports the spread and the load.

    python -m bench.sweep_bench [--quick]
"""

from __future__ import annotations

import argparse
import json
import time

from bench.common import SCENARIO, interleave, load_average, median, pair_ratios, say, spread


def _cells(n: int, steps: int):
    from engine.sweep import Cell

    return [Cell(SCENARIO, seed, (), steps) for seed in range(n)]


def _sweep_s(cells, workers: int) -> float:
    from engine.sweep import definition
    from tui.sweep_backends import run_local

    records = []
    t0 = time.perf_counter()
    run_local(cells, definition(SCENARIO, cells[0].steps, (), ()), workers, records.append)
    wall = time.perf_counter() - t0
    bad = [r for r in records if r["status"] != "ok"]
    if len(records) != len(cells) or bad:
        raise RuntimeError(f"the benchmark sweep did not finish cleanly: {bad[:1] or len(records)}")
    return wall


def sweep_speedup(quick: bool = False) -> dict:
    n, steps, pairs = (6, 200, 1) if quick else (8, 400, 3)
    cells = _cells(n, steps)
    load0 = load_average()[0]
    one, two = interleave(lambda: _sweep_s(cells, 1), lambda: _sweep_s(cells, 2), pairs)
    ratios = pair_ratios(one, two)
    out = {"sweep_speedup_2": round(median(ratios), 2), "sweep_cells": n, "sweep_steps": steps,
           "sweep_one_worker_s": [round(x, 1) for x in one], "sweep_two_workers_s": [round(x, 1) for x in two],
           "sweep_load_1min": [round(load0, 2), round(load_average()[0], 2)]}
    say("sweep_speedup_2",
        f"{n} runs of {SCENARIO} x {steps} steps through the local backend: one worker "
        f"{median(one):.1f} s, two workers {median(two):.1f} s (whole sweeps: pool start, torch import, "
        f"runs), {out['sweep_speedup_2']:.2f}x (median of {len(ratios)} interleaved pairs, {spread(ratios)}; "
        f"load average {load0:.1f} -> {load_average()[0]:.1f}). Goal >= 1.8x.")
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.sweep_bench", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true")
    a = p.parse_args(argv)
    print(json.dumps(sweep_speedup(a.quick)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
