"""What a sweep shows: its summary table (rich) and `genstep plot sweep.jsonl` (plotext): a metric's
mean over seeds against the grid variable, with error bars of one standard deviation."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from genstep.engine.config import ScenarioError
from genstep.engine.sweep import latest_records, summarize
from genstep.engine.sweep_file import is_record, read_records

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _num(v) -> str:
    if v is None:
        return "—"
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def print_table(summary: dict, points: list[dict]) -> None:
    """One block per grid point: how many of its seeds finished ok, then each metric's mean, sd,
    min and max over those seeds."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    knobs = list(points[0]) if points else []
    t = Table(title=f"{summary['scenario']} sweep: {summary['seeds']} seeds x {len(points)} grid "
                    f"point{'s' if len(points) != 1 else ''}, {summary['steps']} steps ({summary['out']})",
              caption="ok: seeds that finished ok (share); mean, sd (n-1), min, max over those seeds",
              box=box.SIMPLE_HEAD, show_header=True)
    for k in knobs:
        t.add_column(k, justify="right", style="bold", no_wrap=True)
    t.add_column("ok", justify="right", no_wrap=True)
    t.add_column("metric", no_wrap=True)
    for col in ("mean", "sd", "min", "max"):
        t.add_column(col, justify="right", no_wrap=True)
    for i, g in enumerate(summary["groups"]):
        if i:
            t.add_section()
        ok = f"{g['ok']}/{g['runs']}" + (f" ({g['ok_fraction']:.2f})" if g["runs"] else "")
        lead = [_num(g["knobs"][k]) for k in knobs] + [ok]
        names = list(g["metrics"]) or ["—"]
        for j, name in enumerate(names):
            s = g["metrics"].get(name, {})
            cells = [_num(s.get(c)) for c in ("mean", "sd", "min", "max")]
            t.add_row(*(lead if j == 0 else [""] * len(lead)), name, *cells)
    con = Console()
    if not con.is_terminal:  # a pipe or a file: the table at its natural width, not cut to 80
        con = Console(width=200)
    con.print(t)
    st = summary["statuses"]
    con.print(f"{summary['ran']} runs in {summary['elapsed_s']:.1f} s"
              + (f", {summary['kept']} kept from the file" if summary["kept"] else "")
              + f"; ok {st['ok']}, diverged {st['diverged']}, error {st['error']}")


# ---- genstep plot sweep.jsonl ----------------------------------------------------------------


def is_sweep_file(path) -> bool:
    """True when the file's first line is a sweep record (knobs, seed, status, final)."""
    p = Path(path)
    if p.suffix.lower() != ".jsonl":
        return False
    try:
        with open(p, "rb") as f:
            for line in f:
                if line.strip():
                    return is_record(json.loads(line))
    except (OSError, ValueError, RecursionError):
        return False
    return False


def _series(records: list[dict]) -> tuple[str | None, dict[str, list[dict]]]:
    """(the x knob, {series label: grid points}): x is the grid's first knob, one series per
    combination of the others."""
    knobs = list(dict.fromkeys(k for r in records for k in r["knobs"]))
    if not knobs:
        return None, {}
    x, rest = knobs[0], knobs[1:]
    series: dict[str, list[dict]] = {}
    for r in records:
        label = ", ".join(f"{k}={r['knobs'].get(k)}" for k in rest)
        point = r["knobs"]
        if point not in series.setdefault(label, []):
            series[label].append(point)
    return x, series


def plot_sweep(path, metrics: str | None, width: int | None, height: int | None) -> int:
    import plotext as plt

    records, _ = read_records(path)
    records = list(latest_records(records).values())
    if not records:
        raise ScenarioError(f"{path}: no runs in this sweep file")
    present = list(dict.fromkeys(k for r in records if r["status"] == "ok" for k, v in r["final"].items()
                                 if v is not None))
    if metrics:
        wanted = [m.strip() for m in metrics.split(",") if m.strip()]
        missing = [m for m in wanted if m not in present]
        if missing:
            raise ScenarioError(f"{path}: no metric {', '.join(missing)} (present: {', '.join(present)})")
    else:
        wanted = present
    x, series = _series(records)
    for name in wanted:
        plt.clf()
        plt.theme("clear")
        plt.plotsize(width or min(plt.terminal_width() or 100, 120), height or 15)
        if x is None:  # seeds alone: each seed's value
            ok = sorted((r for r in records if r["status"] == "ok" and r["final"].get(name) is not None),
                        key=lambda r: r["seed"])
            plt.scatter([r["seed"] for r in ok], [r["final"][name] for r in ok], label=name)
            plt.xlabel("seed")
            plt.title(f"{name} per seed")
        else:
            _draw(plt, records, x, series, name)
        chart = plt.build()
        print(chart if sys.stdout.isatty() else ANSI.sub("", chart))
    return 0


def _draw(plt, records, x, series, name) -> None:
    values = [p[x] for ps in series.values() for p in ps]
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
    log = False
    if numeric:
        pos = {v: float(v) for v in values}
        lo, hi = min(values), max(values)
        log = lo > 0 and hi / lo >= 100  # a grid spread over decades (beta 0.03..10) reads on a log axis
        if log:
            plt.xscale("log")
        shown = sorted(set(values))
        plt.xticks([float(v) for v in shown], [f"{v:g}" for v in shown])  # the grid's own values
    else:  # a choice knob: one slot per value, in the grid's order
        order = list(dict.fromkeys(values))
        pos = {v: float(i) for i, v in enumerate(order)}
        plt.xticks(list(pos.values()), [str(v) for v in order])
    line = "braille" if sys.stdout.isatty() else "dot"
    dots = ["o", "x", "+", "*", "#"]
    seeds = 0
    for i, (label, points) in enumerate(series.items()):
        rows = summarize(records, points, [name])
        pts = [(pos[g["knobs"][x]], g["metrics"][name]) for g in rows if g["metrics"][name]["n"]]
        pts.sort()
        if not pts:
            continue
        seeds = max(seeds, max(s["n"] for _, s in pts))
        xs, ys = [p for p, _ in pts], [s["mean"] for _, s in pts]
        err = [s["sd"] or 0.0 for _, s in pts]
        plt.error(xs, ys, yerr=err)  # the bars: one sd each way
        plt.plot(xs, ys, marker=line, label=None)
        # the means, at the grid values; a legend only when there are series to tell apart (the
        # title says what a lone one is, and a legend box would hide the top-left point)
        plt.scatter(xs, ys, marker=dots[i % len(dots)], label=label if len(series) > 1 else None)
    plt.xlabel(x + (" (log scale)" if log else ""))
    plt.title(f"{name}: mean ± 1 sd over up to {seeds} seeds (status ok)")
