"""Sweeps: one cell (a seed and a point of the knob grid) is one headless run; its record is the
line a sweep file keeps, and the summary is the statistics over seeds per grid point.

A cell runs exactly as `genstep run SCENARIO --seed S --steps N --set ... --at 0:knob=value ...
--at ...` would on the CPU: the grid's knobs are changed after step 0, like an `--at`, so the
same range checks and the same numbers apply (a test holds a cell to `genstep run --json`'s
finals). Everything here is plain data in and out, so a cell can be sent to a worker process or a
Ray task and its record written as one JSON line. Torch loads only inside `run_cell`.
"""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass
from functools import lru_cache

STATUSES = ("ok", "diverged", "error")  # "error": the cell raised (its message says what); retried on --resume
DONE = ("ok", "diverged")  # a cell with one of these is finished: deterministic, never rerun


@dataclass(frozen=True)
class Cell:
    """One run of a sweep. `scenario` is a shipped name or a path the worker can read (absolute:
    a worker's working folder may not be the caller's)."""

    scenario: str
    seed: int
    knobs: tuple[tuple[str, object], ...]  # the grid point, in the grid's order
    steps: int
    overrides: tuple[str, ...] = ()  # --set
    at: tuple[tuple[int, str, object], ...] = ()  # --at, after the grid's own changes at step 0

    @property
    def key(self) -> tuple:
        return cell_key(self.seed, dict(self.knobs))


def cell_key(seed: int, knobs: dict) -> tuple:
    """What names a cell in a sweep file: its seed and its grid point."""
    return (int(seed), tuple(knobs.items()))


def definition(name: str, steps: int, overrides, at, scenario=None) -> dict:
    """What every line of one sweep shares; a file is resumed only by the same definition. With
    the validated `scenario`, a hash of what trains (family, data, model, train, probe) joins it,
    so a scenario file edited between an interrupted sweep and its --resume is noticed."""
    out = {"scenario": name, "steps": int(steps), "set": list(overrides), "at": [f"{s}:{k}={v}" for s, k, v in at]}
    if scenario is not None:
        import hashlib
        import json

        what = scenario.model_dump(mode="json", include={"family", "data", "model", "train", "probe"})
        out["config"] = hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:12]
    return out


@lru_cache(maxsize=8)
def _scenario(name: str, overrides: tuple[str, ...]):
    from genstep.engine.catalog import load_scenario

    return load_scenario(name, list(overrides))


def _clean(value, whole: bool):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return int(value) if whole and value is not None else value


def run_cell(cell: Cell, sweep: dict | None = None) -> dict:
    """Run one cell on the CPU with one torch thread; its record (never raises for the cell's own
    failures: a run that goes non-finite is status "diverged" with the last good state's finals,
    anything else status "error" with a message)."""
    t0 = time.perf_counter()
    record = {"seed": cell.seed, "knobs": dict(cell.knobs), "status": "error", "steps": 0, "final": {}}
    try:
        from genstep.engine.families import FAMILIES
        from genstep.engine.session import Session, use_one_cpu_thread

        sc = _scenario(cell.scenario, tuple(cell.overrides))
        use_one_cpu_thread()
        session = Session(sc, seed=cell.seed, device="cpu")
        for knob, value in cell.knobs:
            session.schedule(0, knob, value)
        for step, knob, value in cell.at:
            session.schedule(step, knob, value)
        session.step(cell.steps)
        counts = FAMILIES[sc.family].counts
        record.update(status=session.status, steps=session.steps,
                      final={k: _clean(v, k in counts) for k, v in session.latest().items()})
        if session.status != "ok":
            record["message"] = session.message
    except Exception as e:  # noqa: BLE001 - one cell's failure is its record, not the sweep's end
        record["message"] = f"{type(e).__name__}: {e}"
    record["elapsed_s"] = round(time.perf_counter() - t0, 3)
    if sweep is not None:
        record["sweep"] = sweep
    return record


# ---- the summary ------------------------------------------------------------------------------


def latest_records(records) -> dict[tuple, dict]:
    """One record per cell, the last line wins (a cell that failed and was rerun on --resume)."""
    out: dict[tuple, dict] = {}
    for r in records:
        out[cell_key(r["seed"], r["knobs"])] = r
    return out


def summarize(records, points=None, metrics=None) -> list[dict]:
    """Per grid point: how many seeds ran, the fraction with status ok, and for each final metric
    the mean, the sample standard deviation (n - 1; None below two values), min and max over the
    seeds that finished ok. `points` (grid points as dicts) fixes the rows and their order;
    `metrics` the metrics and theirs."""
    by_point: dict[tuple, list[dict]] = {}
    for r in latest_records(records).values():
        by_point.setdefault(tuple(r["knobs"].items()), []).append(r)
    keys = [tuple(p.items()) for p in points] if points is not None else list(by_point)
    rows = []
    for key in keys:
        runs = sorted(by_point.get(key, []), key=lambda r: r["seed"])
        ok = [r for r in runs if r["status"] == "ok"]
        names = metrics if metrics is not None else list(dict.fromkeys(k for r in ok for k in r["final"]))
        stats = {}
        for name in names:
            xs = [float(r["final"][name]) for r in ok if r["final"].get(name) is not None]
            stats[name] = {
                "n": len(xs), "mean": statistics.fmean(xs) if xs else None,
                "sd": statistics.stdev(xs) if len(xs) > 1 else None,
                "min": min(xs) if xs else None, "max": max(xs) if xs else None,
            }
        counts = {s: sum(r["status"] == s for r in runs) for s in STATUSES}
        rows.append({"knobs": dict(key), "runs": len(runs), **counts,
                     "ok_fraction": len(ok) / len(runs) if runs else None, "metrics": stats})
    return rows
