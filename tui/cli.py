"""`genstep`: the command line. Thin: parses arguments and hands over.

Headless commands (run, list, check, plot) never import textual; `tui` and `serve` do, when asked.
Every user error is one line on stderr and exit code 2; no traceback reaches the user.
"""

from __future__ import annotations

import argparse
import os
import sys

from genstep.engine.errors import one_line as _one_line  # escaped: an error is always one line on stderr

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one clear line, exit 2 (argparse's own habit, minus the usage dump)
        message = _one_line(message)
        self.exit(EXIT_USAGE, f"genstep: {message} (see genstep {self.prog.split()[-1]} --help)\n"
                  if " " in self.prog else f"genstep: {message} (see genstep --help)\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="genstep", description="Step through the training of generative models and watch the dynamics.")
    sub = p.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    r = sub.add_parser("run", help="run a scenario headless and print its final metrics")
    r.add_argument("scenario", nargs="?", default=None,
                   help="a shipped name (genstep list) or a path to a .toml file (or --load FILE)")
    r.add_argument("--steps", type=_nonneg_int, default=None, help="steps to run (default: the lesson's horizon)")
    r.add_argument("--seed", type=_seed, default=0)
    r.add_argument("--device", default="auto", help="auto, cpu or cuda (default auto)")
    r.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a scenario field, e.g. model.hidden=64 (repeatable)")
    r.add_argument("--at", dest="at", action="append", default=[], metavar="STEP:KNOB=VALUE",
                   help="change a knob after STEP steps, e.g. 3000:beta=0.1 (repeatable)")
    r.add_argument("--metrics-out", metavar="FILE", help="write every step's metrics (.jsonl or .csv)")
    r.add_argument("--samples-out", metavar="FILE.csv", help="write the final probe's generated points (x,y)")
    r.add_argument("--json", action="store_true", help="print the summary as one JSON object, last on stdout")
    r.add_argument("--fork", dest="fork", action="append", default=[], metavar="STEP:KNOB=VALUE[,KNOB=VALUE]",
                   help="also run a branch forked at STEP with these knob changes (repeatable)")
    r.add_argument("--until", default=None, metavar="COND",
                   help='stop when a condition holds, e.g. "modes <= 2" or "step >= 5000" (at most --steps)')
    r.add_argument("--save", default=None, metavar="FILE.genstep", help="save the run at its end (exact continuation)")
    r.add_argument("--load", default=None, metavar="FILE.genstep", help="continue a saved run instead of starting one")

    ls = sub.add_parser("list", help="the shipped scenarios, one per line")
    ls.add_argument("--metrics", action="store_true",
                    help="instead, every family's metrics with what each measures (a Markdown table)")
    c = sub.add_parser("check", help="validate a scenario file")
    c.add_argument("file")
    c.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")

    pl = sub.add_parser("plot", help="static charts of a finished run's metrics file")
    pl.add_argument("file", help="a metrics file written by --metrics-out (.jsonl or .csv)")
    pl.add_argument("--metrics", default=None, help="comma-separated metric names (default: all, grouped)")
    pl.add_argument("--width", type=_nonneg_int, default=None)
    pl.add_argument("--height", type=_nonneg_int, default=None)

    sw = sub.add_parser("sweep", help="run a scenario over many seeds and a grid of knob values")
    sw.add_argument("scenario", help="a shipped name (genstep list) or a path to a .toml file")
    sw.add_argument("--seeds", default="0", metavar="A-B[,C]", help="seeds, e.g. 0-49 or 0-4,10 (default 0)")
    sw.add_argument("--grid", action="append", default=[], metavar="KNOB=V1,V2",
                    help="a knob's values, e.g. beta=0.03,0.3,1 (repeatable: the product of the grids)")
    sw.add_argument("--steps", type=_nonneg_int, default=None, help="steps per run (default: the lesson's horizon)")
    sw.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    sw.add_argument("--at", dest="at", action="append", default=[], metavar="STEP:KNOB=VALUE")
    sw.add_argument("--workers", type=_nonneg_int, default=None, help="runs at once (default: the CPUs)")
    sw.add_argument("--backend", choices=("local", "ray"), default="local",
                    help="local: a process pool here (default); ray: tasks on a Ray cluster")
    sw.add_argument("--address", default=None, help="ray: the cluster to join (default: start a local one)")
    sw.add_argument("--out", required=True, metavar="FILE.jsonl", help="one line per finished run")
    sw.add_argument("--resume", action="store_true", help="keep the runs already in --out and run the rest")
    sw.add_argument("--metrics", default=None, help="comma-separated metrics for the table (default: all)")
    sw.add_argument("--json", action="store_true", help="print the summary as one JSON object, last on stdout")

    for name, helptext in (("tui", "the app (the default with no command)"), ("serve", "serve the app in a browser")):
        t = sub.add_parser(name, help=helptext)
        t.add_argument("scenario", nargs="?", default=None)
        if name == "tui":
            t.add_argument("--seed", type=_seed, default=0)
            t.add_argument("--device", default="auto")
            t.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
            t.add_argument("--load", default=None, metavar="FILE.genstep",
                           help="continue a run saved with --save or the app's S key")
        else:
            t.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
            t.add_argument("--port", type=_nonneg_int, default=8000)
    return p


def _shown(text: str) -> str:
    return repr(text) if len(text) <= 40 else f"{text[:40]!r}... ({len(text)} chars)"


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {_shown(text)}") from None


def _seed(text: str) -> int:
    v = _int(text)
    if not -(2**63) <= v < 2**63:  # torch's generators take 64 bits
        raise argparse.ArgumentTypeError(f"expected a whole number between -2**63 and 2**63-1, got {_shown(text)}")
    return v


def _nonneg_int(text: str) -> int:
    v = _int(text)
    if v < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return v


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    cmd = args.command or "tui"
    try:
        if cmd == "run":
            from genstep.tui.headless import run

            return run(args)
        if cmd == "list":
            from genstep.tui.headless import list_cmd

            return list_cmd(args.metrics)
        if cmd == "check":
            from genstep.tui.headless import check

            return check(args.file, args.overrides)
        if cmd == "plot":
            from genstep.tui.headless import plot

            return plot(args.file, args.metrics, args.width, args.height)
        if cmd == "sweep":
            from genstep.tui.sweep import sweep

            return sweep(args)
        if cmd == "serve":
            if args.scenario:  # a bad name or file is a usage error (exit 2) before serving anything
                from genstep.engine.catalog import load_scenario

                load_scenario(args.scenario, [])
            from genstep.tui.serve import serve

            return serve(args.scenario, host=args.host, port=args.port)
        return _tui(args)
    except KeyboardInterrupt:
        print("genstep: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `genstep plot ... | head`: the reader left, nothing to say
        sys.stderr.close()
        return 0
    except Exception as e:  # noqa: BLE001 - the last line of defence: never a traceback
        from genstep.engine.config import ScenarioError

        if isinstance(e, (ScenarioError, ValueError, OSError)):
            print(f"genstep: {_one_line(e)}", file=sys.stderr)
            return EXIT_USAGE
        print(f"genstep: internal error: {type(e).__name__}: {_one_line(e)} (please report it)", file=sys.stderr)
        return 1


def _tui(args) -> int:
    """The app. With a lesson named, its training process starts first and validates the scenario
    while this process imports Textual: a bad name or file is still one line and exit 2 before any
    window opens, and the first paint does not wait for the validation (pydantic) or torch."""
    scenario, seed = getattr(args, "scenario", None), getattr(args, "seed", 0)
    device, overrides = getattr(args, "device", "auto"), getattr(args, "overrides", [])
    load = getattr(args, "load", None)
    if load:
        if scenario:
            raise ValueError("--load FILE continues a saved run with its own lesson: give no SCENARIO")
        if not str(load).endswith(".genstep"):
            raise ValueError(f"--load {load}: expected a run file ending in .genstep (saved with --save or S)")
        scenario = load
    # numpy's OpenBLAS starts a spinning thread per core at import (70 ms of CPU on the other
    # core, the one the training process needs); neither process does BLAS work worth a thread
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    run = None
    if scenario:
        from genstep.tui.run import wanted

        if wanted():
            from genstep.tui.run.remote import RemoteRun

            run = RemoteRun(scenario, seed, device, overrides)
        else:
            from genstep.tui.run.build import validate

            validate(scenario, overrides)
    try:
        from genstep.tui.app import run_app

        if run is not None:
            run.wait_valid()
    except BaseException:
        if run is not None:
            run.join(5.0)
        raise
    return run_app(scenario, seed=seed, device=device, overrides=overrides, run=run)


if __name__ == "__main__":
    sys.exit(main())
