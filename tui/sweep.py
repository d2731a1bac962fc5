"""`genstep sweep`: one lesson over many seeds and a grid of knob values, one headless run per cell.

Everything the user typed is checked before any run starts (one line on stderr, exit 2): the
seeds' syntax and range, every grid value against its knob's range (the same check and message
as `--at`), the --at and --set options, the output file. Runs stream into the JSONL file as they
finish (engine/sweep_file.py); the summary table and `--json` are read back from that file, so a
resumed sweep summarises every run it holds. rich for the progress bar and the table; never textual.
"""

from __future__ import annotations

import itertools
import json
import re
import sys
import time
from genstep.engine.catalog import load_scenario, resolve
from genstep.engine.config import ScenarioError, coerce_knob
from genstep.engine.errors import shorten
from genstep.engine.sweep import DONE, Cell, definition, latest_records, summarize

EXIT_OK, EXIT_ABORTED, EXIT_INTERRUPTED = 0, 1, 130
MAX_CELLS = 1_000_000
_SEEDS = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$")


def parse_seeds(text: str) -> list[int]:
    """`0-49`, `7`, `0-4,10,20-22` -> the seeds, in order, each once (ranges include both ends)."""
    seeds: list[int] = []
    for part in text.split(","):
        m = _SEEDS.match(part)
        if not m or any(len(g.lstrip("0")) > 18 for g in m.groups() if g):
            raise ScenarioError(f"--seeds {shorten(repr(text))}: expected seeds like 0-49, 7 or 0-4,10 "
                                f"(whole numbers >= 0, ranges A-B with both ends included)")
        lo = int(m.group(1))
        hi = int(m.group(2)) if m.group(2) is not None else lo
        if hi < lo:
            raise ScenarioError(f"--seeds {shorten(repr(text))}: the range {lo}-{hi} is empty (expected A-B with A <= B)")
        if hi - lo >= MAX_CELLS:
            raise ScenarioError(f"--seeds {shorten(repr(text))}: more than {MAX_CELLS:,} seeds")
        seeds.extend(range(lo, hi + 1))
    return list(dict.fromkeys(seeds))


def parse_grid(sc, texts) -> dict[str, list]:
    """`beta=0.03,0.3,1` (repeatable, one knob each) -> {"beta": [0.03, 0.3, 1.0]}, every value
    checked against the knob's range exactly as `--at` checks it."""
    grid: dict[str, list] = {}
    for text in texts:
        shown = shorten(repr(text))
        name, sep, values = text.partition("=")
        name = name.strip()
        if not sep or not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise ScenarioError(f"--grid {shown}: expected knob=v1,v2,..., e.g. beta=0.1,1,10")
        if name in grid:
            raise ScenarioError(f"--grid {shown}: {name} is already a grid knob (give each knob one --grid)")
        parts = [v.strip() for v in values.split(",")]
        if not values.strip() or not all(parts):
            raise ScenarioError(f"--grid {shown}: expected values separated by commas, e.g. {name}=0.1,1,10")
        typed = []
        for v in parts:
            try:
                typed.append(coerce_knob(sc, name, v))
            except ScenarioError as e:
                raise ScenarioError(f"--grid {shown}: {e}") from None
        grid[name] = list(dict.fromkeys(typed))
    return grid


def _parse_at(sc, texts) -> list[tuple[int, str, object]]:
    from genstep.engine.knobs import parse_at

    out = []
    for text in texts:
        step, knob, value = parse_at(text)
        try:
            out.append((step, knob, coerce_knob(sc, knob, value)))
        except ScenarioError as e:
            raise ScenarioError(f"--at {shorten(repr(text))}: {e}") from None
    return out


def plan(args):
    """Validate everything and lay out the cells: (scenario, cells, grid points, definition)."""
    sc = load_scenario(args.scenario, args.overrides)
    seeds = parse_seeds(args.seeds)
    grid = parse_grid(sc, args.grid)
    at = _parse_at(sc, args.at)
    steps = sc.lesson.steps if args.steps is None else args.steps
    points = [dict(zip(grid, combo)) for combo in itertools.product(*grid.values())]
    if len(points) * len(seeds) > MAX_CELLS:
        raise ScenarioError(f"--seeds/--grid: {len(points) * len(seeds):,} runs; at most {MAX_CELLS:,} in one sweep")
    if args.workers is not None and args.workers < 1:
        raise ScenarioError(f"--workers {args.workers}: expected a whole number >= 1")
    if args.backend == "ray":
        from genstep.tui.sweep_backends import check_ray

        check_ray(args.address)
    elif args.address:
        raise ScenarioError(f"--address {shorten(args.address)}: only with --backend ray")
    path = resolve(args.scenario)  # a file's path travels to the workers whole: their folder may differ
    where = str(path.resolve()) if path.exists() and (path.suffix == ".toml" or "/" in args.scenario) else args.scenario
    sweep = definition(sc.name, steps, args.overrides, at, sc)
    # seed-major: an interrupted sweep has every grid point covered by its first seeds
    cells = [Cell(where, seed, tuple(p.items()), steps, tuple(args.overrides), tuple(at))
             for seed in seeds for p in points]
    return sc, cells, points, sweep


def sweep(args) -> int:
    from genstep.engine.sweep_file import SweepFile
    from genstep.tui.headless import _CtrlC, _err
    from genstep.tui.sweep_backends import SweepAborted, run_local, run_ray

    sc, cells, points, definition_ = plan(args)
    metrics = _metric_names(sc, args.metrics)
    with SweepFile(args.out, definition_, args.resume) as out:
        finished = {k for k, r in latest_records(out.records).items() if r["status"] in DONE}
        todo = [c for c in cells if c.key not in finished]
        kept = len(cells) - len(todo)
        status = "done"
        t0 = time.perf_counter()
        with _CtrlC() as ctrl_c, _Progress(sc.name, len(todo), kept, sys.stderr.isatty()) as bar:
            def on_done(record):
                out.append(record)
                bar.advance(record)

            try:
                if args.backend == "ray":
                    run_ray(todo, definition_, args.workers, args.address, on_done, lambda: ctrl_c.requested)
                else:
                    from genstep.tui.sweep_backends import default_workers

                    run_local(todo, definition_, args.workers or default_workers(), on_done,
                              lambda: ctrl_c.requested)
            except KeyboardInterrupt:  # a second Ctrl+C
                status = "interrupted"
            except SweepAborted as e:
                _err(f"sweep stopped: {e}")
                status = "aborted"
            finally:
                ctrl_c.shielded = True
            if ctrl_c.requested:
                status = "interrupted"
        elapsed = time.perf_counter() - t0
        wanted = {c.key for c in cells}
        records = [r for k, r in latest_records(out.records).items() if k in wanted]
    ran = bar.count
    groups = summarize(records, points, metrics)
    summary = {"scenario": sc.name, "out": str(args.out), "status": status, "cells": len(cells),
               "ran": ran, "kept": kept, "seeds": len({c.seed for c in cells}),
               "steps": definition_["steps"], "elapsed_s": round(elapsed, 3),
               "statuses": {s: sum(r["status"] == s for r in records) for s in ("ok", "diverged", "error")},
               "groups": groups}
    if args.json:
        print(json.dumps(summary))
    else:
        from genstep.tui.sweep_report import print_table

        print_table(summary, points)
    if status == "interrupted":
        _err(f"interrupted: {len(records)} of {len(cells)} runs are in {args.out}; --resume runs the rest")
        return EXIT_INTERRUPTED
    if status == "aborted":
        return EXIT_ABORTED
    failed = [r for r in records if r["status"] == "error"]
    if failed:  # a cell that raised: the sweep went on, but it is not a result; --resume retries it
        _err(f"{len(failed)} run{'s' if len(failed) > 1 else ''} failed (seed {failed[0]['seed']}, "
             f"{json.dumps(failed[0]['knobs'])}: {failed[0].get('message', '')}); --resume runs them again")
        return EXIT_ABORTED
    return EXIT_OK


def _metric_names(sc, text: str | None) -> list[str] | None:
    """The table's metrics (--metrics), checked against the family's own names."""
    if not text:
        return None
    from genstep.engine.families import FAMILIES

    known = FAMILIES[sc.family].metrics
    names = [m.strip() for m in text.split(",") if m.strip()]
    unknown = [m for m in names if m not in known]
    if not names or unknown:
        got = f"no metric {shorten(repr(unknown[0]))}" if unknown else "expected metric names separated by commas"
        raise ScenarioError(f"--metrics {shorten(repr(text))}: {got} (this family's: {', '.join(known)})")
    return names


class _Progress:
    """A rich progress bar on stderr (when it is a terminal): runs done of this sweep's runs, how
    they ended, the time left. Counts finished records either way."""

    def __init__(self, name: str, total: int, kept: int, show: bool):
        self.name, self.total, self.kept, self.show = name, total, kept, show
        self.count = 0
        self.by_status: dict[str, int] = {}
        self._bar = None

    def __enter__(self):
        if self.show and self.total:
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                       TimeRemainingColumn)

            cols = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[info]}"), TimeElapsedColumn(), TextColumn("eta"),
                    TimeRemainingColumn())
            self._bar = Progress(*cols, console=Console(stderr=True), transient=True)
            self._bar.__enter__()
            kept = f" (+{self.kept} kept)" if self.kept else ""
            self._task = self._bar.add_task(f"{self.name} sweep{kept}", total=self.total, info="")
        return self

    def advance(self, record: dict) -> None:
        self.count += 1
        s = record.get("status", "error")
        self.by_status[s] = self.by_status.get(s, 0) + 1
        if self._bar is not None:
            info = "  ".join(f"{k} {v}" for k, v in sorted(self.by_status.items()))
            self._bar.update(self._task, completed=self.count, info=info)

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.__exit__(*exc)

