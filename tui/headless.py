"""The headless commands: run, list, check, plot. rich for progress and messages; never textual."""

from __future__ import annotations

import json
import math
import re
import signal
import sys
import threading
import time

from genstep.engine.catalog import list_scenarios, load_scenario
from genstep.engine.config import ScenarioError

EXIT_OK, EXIT_USAGE, EXIT_DIVERGED, EXIT_INTERRUPTED = 0, 2, 3, 130
CHUNK = 25  # steps between progress updates and Ctrl+C checks


def _err(msg: str) -> None:
    print(f"genstep: {msg}", file=sys.stderr)


def list_cmd(metrics: bool = False) -> int:
    if metrics:
        print(metrics_table())
        return EXIT_OK
    rows = list_scenarios()
    width = max((len(n) for n, _ in rows), default=0)
    for name, title in rows:
        print(f"{name:<{width}}  {title}")
    return EXIT_OK


def metrics_table() -> str:
    """Every registered family's metrics as a Markdown table: the README's glossary is this output."""
    from genstep.engine.families import FAMILIES

    rows = ["| metric | family | what it measures |", "|---|---|---|"]
    for spec in FAMILIES.values():
        rows += [f"| `{name}` | {spec.name} | {line} |" for name, line in spec.metrics.items()]
    return "\n".join(rows)


def check(path: str, overrides=()) -> int:
    sc = load_scenario(path, overrides)
    from genstep.engine import data

    data.build(sc.data)  # a CSV data file is read and checked too
    print(f"{path}: ok ({sc.family}, {len(sc.knobs)} knobs, lesson '{sc.lesson.title}')")
    return EXIT_OK


def _clean(name: str, v, counts=()):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return int(v) if name in counts else v


class _CtrlC:
    """Ctrl+C during a run. The first press asks the step loop to stop at the next step boundary,
    so no KeyboardInterrupt lands inside torch, an optimizer update or the metrics writer; a
    second press stops at once. Once the steps are over (files being written, the summary
    printed) presses are only noted: the files the run owes are written whole."""

    def __init__(self):
        self.requested = False
        self.shielded = False
        self._old = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():  # signals only go to the main thread
            self._old = signal.signal(signal.SIGINT, self._on_sigint)
        return self

    def __exit__(self, *exc):
        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)

    def _on_sigint(self, signum, frame):
        if self.requested and not self.shielded:
            raise KeyboardInterrupt
        self.requested = True


def run(args) -> int:
    from genstep.engine.config import coerce_knob, shorten
    from genstep.engine.knobs import parse_at
    from genstep.engine.records import MetricsWriter, check_path, write_rows
    from genstep.tui import runplan

    if args.load and (args.scenario or args.overrides):
        raise ScenarioError("--load FILE continues a saved run with its own scenario: give no SCENARIO and no --set")
    if not args.load and not args.scenario:
        raise ScenarioError("expected a SCENARIO (a shipped name or a .toml file) or --load FILE (see genstep run --help)")
    loaded = None
    if args.load:
        from genstep.engine import runfile  # torch: the scenario is inside the file

        loaded = runfile.load(args.load, None if args.device == "auto" else args.device)
        sc = loaded.scenario
    else:
        sc = load_scenario(args.scenario, args.overrides)
    schedule = [parse_at(t) for t in args.at]
    for text, (_, knob, value) in zip(args.at, schedule):  # before torch loads: a typo answers at once
        try:
            if knob != "substep":  # `STEP:substep=critic`: the session checks the player (its family knows them)
                coerce_knob(sc, knob, value)
        except ScenarioError as e:
            raise ScenarioError(f"--at {shorten(repr(text))}: {e}") from None
    plan = runplan.make_plan(args, sc, loaded.steps if loaded else 0)
    writer = MetricsWriter(args.metrics_out) if args.metrics_out else None
    if args.samples_out:
        p = check_path(args.samples_out)
        if p.suffix.lower() != ".csv":
            raise ScenarioError(f"--samples-out {p}: expected a file name ending in .csv")
    horizon = sc.lesson.steps * (10 if plan.until else 1)  # --until: run until it holds, within reason
    steps = args.steps if args.steps is not None else horizon + (loaded.steps if loaded else 0)

    with _CtrlC() as ctrl_c:
        from genstep.tui.run.build import open_session

        if loaded is not None:
            session = loaded
            if session.device == "cpu":
                from genstep.engine.session import use_one_cpu_thread

                use_one_cpu_thread()
        else:
            _, session = open_session(sc.name, args.seed, args.device, scenario=sc)  # torch loads here
        for text, (step, knob, value) in zip(args.at, schedule):
            try:
                session.schedule(step, knob, value)
            except ValueError as e:  # KnobError: e.g. substep=dog
                raise ScenarioError(f"--at {shorten(repr(text))}: {e}") from None
        if writer:
            session.listeners.append(writer.add)

        status, interrupted = "ok", False
        t0 = time.perf_counter()
        try:
            _run_steps(session, steps, sys.stderr.isatty(), ctrl_c, plan)
            for f in plan.forks:  # each branch to the same total, after the main run
                if f.session is not None:
                    _run_steps(f.session, steps, sys.stderr.isatty(), ctrl_c, runplan.Plan(until=plan.until and
                                                                                        type(plan.until)(plan.until.text)))
        except KeyboardInterrupt:  # a second Ctrl+C
            interrupted = True
        finally:
            ctrl_c.shielded = True
            elapsed = time.perf_counter() - t0
            if writer:
                writer.truncate(session.steps)  # a diverged run went back to its last good state
                writer.close()
        if session.status == "diverged":
            status = "diverged"
            _err(f"diverged: {session.message}")
        elif interrupted or (ctrl_c.requested and session.steps < steps):
            status = "interrupted"
        if args.samples_out:
            fake = session.frame().fake
            write_rows([{"x": float(x), "y": float(y)} for x, y in fake], args.samples_out)
        if plan.save:
            from genstep.engine import runfile

            runfile.save(session, plan.save)
        return _finish(args, sc, session, status, elapsed, writer, plan)


def _finish(args, sc, session, status, elapsed, writer, plan=None) -> int:
    """The summary (JSON or a table) and the exit code."""
    from genstep.engine.families import FAMILIES
    from genstep.tui import runplan

    counts = FAMILIES[sc.family].counts
    summary = {
        "scenario": sc.name, "seed": session.seed, "steps": session.steps, "device": session.device,
        "status": status, "elapsed_s": round(elapsed, 3),
        "steps_per_s": round(session.steps / elapsed, 1) if elapsed > 0 else None,
        "final": {k: _clean(k, v, counts) for k, v in session.latest().items()},
        "events": [e.as_dict() for e in session.events],
    }
    if plan is not None and plan.until is not None:
        summary["until"] = runplan.until_summary(plan)
    if plan is not None and plan.forks:
        summary["branches"] = [
            {"fork": f.text, "step": f.step, "steps": b.steps, "status": b.status,
             "final": {k: _clean(k, v, counts) for k, v in b.latest().items()},
             "events": [e.as_dict() for e in b.events]}
            for f in plan.forks if (b := f.session) is not None]
    if plan is not None and plan.save is not None:
        summary["saved"] = str(plan.save)
    if args.json:
        print(json.dumps(summary))
    else:
        _print_summary(summary, sc)
        if args.device == "auto":
            print(f"device {session.device_reason}")
    if status == "interrupted":
        _err(f"interrupted at step {session.steps}" + (f"; metrics written to {args.metrics_out}" if writer else ""))
        return EXIT_INTERRUPTED
    return EXIT_DIVERGED if status == "diverged" else EXIT_OK


def _run_steps(session, steps: int, show_progress: bool, ctrl_c=None, plan=None) -> None:
    from genstep.tui import runplan

    plan = plan or runplan.Plan()

    def going():  # Ctrl+C is looked at every CHUNK steps, between steps
        runplan.fork_due(plan, session)
        runplan.check_until_seen(plan, session)
        return (session.steps < steps and session.status == "ok" and not (ctrl_c and ctrl_c.requested)
                and (plan.until is None or plan.until.met_at is None))

    def chunk() -> int:
        return session.step(min(CHUNK, runplan.next_stop(plan, session, steps) - session.steps), until=plan.until)

    if not show_progress:
        while going():
            if chunk() == 0:
                break
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    cols = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[info]}"), TimeRemainingColumn())
    # on stderr, where show_progress looked: stdout may be a pipe or a file for the --json summary
    with Progress(*cols, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(session.scenario.name, total=steps, info="")
        while going():
            if chunk() == 0:
                break
            bar.update(task, completed=session.steps, info=_brief(session.latest()))


def _brief(m: dict) -> str:
    keys = [k for k in ("loss_d", "loss_g", "loss", "kl", "modes", "theta") if k in m]
    return "  ".join(f"{k} {m[k]:.3g}" for k in keys)


def _print_summary(summary: dict, sc) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console()
    t = Table(title=f"{sc.lesson.title} — step {summary['steps']} ({summary['status']})", show_header=True)
    from genstep.engine.families import FAMILIES

    meaning = FAMILIES[sc.family].metrics
    t.add_column("metric")
    t.add_column("value", justify="right")
    t.add_column("meaning", style="dim")
    for k, v in summary["final"].items():
        t.add_row(k, "—" if v is None else (f"{v:.4g}" if isinstance(v, float) else str(v)), meaning.get(k, ""))
    con.print(t)
    con.print(f"seed {summary['seed']}, {summary['device']}, {summary['elapsed_s']:.1f} s, "
              f"{summary['steps_per_s']} steps/s")
    for e in summary["events"]:
        con.print(f"  step {e['step']}: {e['knob']} {e['old']} -> {e['new']}")


def plot(path: str, metrics: str | None, width: int | None, height: int | None) -> int:
    from genstep.tui.sweep_report import is_sweep_file

    if is_sweep_file(path):  # a `genstep sweep` file: metrics against the grid variable
        from genstep.tui.sweep_report import plot_sweep

        return plot_sweep(path, metrics, width, height)
    from genstep.engine.records import read_rows
    import plotext as plt

    rows = read_rows(path)
    present = {k for r in rows for k, v in r.items() if k != "step" and v is not None}
    if metrics:
        wanted = [m.strip() for m in metrics.split(",") if m.strip()]
        missing = [m for m in wanted if m not in present]
        if missing:
            raise ScenarioError(f"{path}: no metric {', '.join(missing)} (present: {', '.join(sorted(present))})")
        groups = {", ".join(wanted): tuple(wanted)}
    else:
        from genstep.engine.families import chart_groups

        groups = {g: tuple(m for m in ms if m in present) for g, ms in chart_groups().items()}
        grouped = {m for ms in groups.values() for m in ms}
        groups["other metrics"] = tuple(sorted(present - grouped))
    for title, names in groups.items():
        if not names:
            continue
        plt.clf()
        plt.theme("clear")
        if width or height:
            plt.plotsize(width or plt.terminal_width(), height or 15)
        else:
            plt.plotsize(min(plt.terminal_width() or 100, 120), 15)
        # without colour (a pipe, a file) series are told apart by their marker
        markers = ["braille"] * len(names) if sys.stdout.isatty() else ["braille", "x", "+", "o", "*", "dot"]
        for name, marker in zip(names, markers):
            pts = [(r["step"], r[name]) for r in rows if r.get(name) is not None]
            if pts:
                plt.plot([p[0] for p in pts], [p[1] for p in pts], label=name, marker=marker)
        plt.title(title)
        plt.xlabel("step")
        chart = plt.build()
        if not sys.stdout.isatty():
            chart = ANSI.sub("", chart)
        print(chart)
    return EXIT_OK


ANSI = re.compile(r"\x1b\[[0-9;]*m")
