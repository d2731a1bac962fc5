"""`python -m bench` (`make bench`): genstep's performance figures, one sentence each, then, as the
last line, one JSON object with the headline figures.

    python -m bench                       # everything (~6-9 minutes on 2 loaded cores)
    python -m bench --quick               # fewer repeats, 20,000 steps for the memory figure
    python -m bench --only engine,rewind  # some of: engine tui frame bytes first_frame rewind rss gpu sweep
    python -m bench --only gpu            # just the CUDA-against-CPU figure (null without a GPU)
    python -m bench --details out.json    # also write every measured number, and the machine, to a file
    python -m bench --only tui --what-if  # the app's speed beside one that trains in a thread (the earlier design)

No figure is a single wall-clock run: each is a ratio against a reference measured alongside it,
interleaved, with medians, or a CPU-time figure. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import traceback

from bench.common import ROOT, machine, say

# name -> (JSON key, goal as (op, value), unit)
FIGURES = {
    "engine": ("engine_vs_bare", (">=", 0.90)),
    "tui": ("tui_vs_headless", (">=", 0.80)),
    "frame": ("frame_ms_p50", ("<=", 15.0)),
    "bytes": ("bytes_per_s_80x24", ("<=", 60_000)),
    "first_frame": ("first_frame_s", ("<=", 0.5)),
    "rewind": ("rewind_1000_s", ("<=", 0.5)),
    "rss": ("rss_growth_mb", ("<=", 50.0)),
    "gpu": ("gpu", None),
    "sweep": ("sweep_speedup_2", (">=", 1.8)),
}
KEY_TO_NAME = {key: name for name, (key, _) in FIGURES.items()}


def parse_only(text: str | None) -> list[str]:
    if not text:
        return list(FIGURES)
    names = []
    for part in text.split(","):
        part = part.strip()
        name = KEY_TO_NAME.get(part, part)
        if name not in FIGURES:
            raise SystemExit(f"bench: unknown figure {part!r}; expected some of {', '.join(FIGURES)}")
        names.append(name)
    return names


class RssChild:
    """The 200,000-step memory run: a child process of its own (a clean heap), started first so it
    runs beside the other figures; paused (SIGSTOP) while a figure that a busy second core would
    move is measured (the frame's CPU time, the first frame's wall time, the app's speed)."""

    def __init__(self, steps: int):
        self.steps = steps
        self.proc = subprocess.Popen([sys.executable, "-m", "bench.memory", "--steps", str(steps)], cwd=ROOT,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.t0 = time.monotonic()

    def pause(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)

    def result(self) -> dict:
        self.resume()
        out, err = self.proc.communicate()
        if self.proc.returncode != 0:
            raise RuntimeError(f"bench.memory exited {self.proc.returncode}: {err.strip()[-400:]}")
        return json.loads(out.strip().splitlines()[-1])

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.resume()
            self.proc.kill()
            self.proc.wait()


def rss_sentence(r: dict) -> dict:
    lesson_mb = r["checkpoints"] * r["lesson_checkpoint_bytes"] / 2**20
    out = {"rss_growth_mb": r["rss_growth_mb"], "rss_start_mb": r["rss_start_mb"], "rss_end_mb": r["rss_end_mb"],
           "rss_steps": r["steps"], "rss_trace": r["trace"], "rss_checkpoints_held": r["checkpoints"],
           "rss_history_points": r["history_points"], "rss_cpu_ms_per_step": r["cpu_ms_per_step"],
           "lesson_checkpoint_kb": round(r["lesson_checkpoint_bytes"] / 1024, 1),
           "lesson_checkpoints_mb_at_end": round(lesson_mb, 1), "rss_overrides": r["overrides"]}
    say("rss_growth_mb",
        f"over {r['steps']:,} headless steps resident memory grew {r['rss_growth_mb']:.1f} MB "
        f"({r['rss_start_mb']:.0f} MB after {r['warmup']:,} warm-up steps, {r['rss_end_mb']:.0f} MB at the end), "
        f"with the lesson scenario shrunk by --set {' '.join(r['overrides'])} ({r['cpu_ms_per_step']} ms CPU "
        f"per step; 200,000 steps of the lesson model would take ~15 minutes). Goal <= 50 MB.")
    say("rss_growth_mb",
        f"at the end the session holds {r['checkpoints']} checkpoints (every {r['checkpoint_every']} steps, thinned) "
        f"and {r['history_points']:,} history points (capacity {r['history_capacity']} per curve); one checkpoint of "
        f"the lesson-sized model weighs {out['lesson_checkpoint_kb']:.0f} KB, so the same count would hold "
        f"{lesson_mb:.0f} MB for the lesson model.")
    return out


def verdict(name: str, value) -> str:
    goal = FIGURES[name][1]
    if goal is None or value is None:
        return "-"
    op, target = goal
    ok = value >= target if op == ">=" else value <= target
    return "met" if ok else "MISSED"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description="genstep's performance figures")
    p.add_argument("--only", metavar="NAME[,NAME]", help=f"some of: {', '.join(FIGURES)} (or their JSON keys)")
    p.add_argument("--quick", action="store_true", help="fewer repeats; 20,000 steps for the memory figure")
    p.add_argument("--rss-steps", type=int, default=None, help="steps for the memory figure (default 200000)")
    p.add_argument("--details", metavar="FILE", help="write every measured number and the machine as JSON")
    p.add_argument("--what-if", action="store_true",
                   help="tui: also rotate in an app of the earlier design, training in a thread (GENSTEP_WORKER=thread)")
    a = p.parse_args(argv)
    names = parse_only(a.only)
    quick = a.quick
    t_start = time.monotonic()

    os.environ.setdefault("OMP_NUM_THREADS", "1")  # this process; the app under test gets its own settings
    info = machine()
    say("machine", f"{info['cores']} cores ({info.get('cpu', '?')}), load average {info['load_1_5_15']} "
        f"(1/5/15 min) at the start, Python {info['python']}, torch {info.get('torch', '?')}")

    details: dict = {"machine_start": info, "quick": quick}
    figures: dict = {}
    rss = None
    if "rss" in names:
        rss = RssChild(a.rss_steps or (20_000 if quick else 200_000))
        say("rss_growth_mb", f"started: {rss.steps:,} headless steps in a child process, beside the other figures")

    def run(name, fn, *args, quiet: bool = False):
        """One figure; `quiet`: with the memory run paused. On 2 cores that run holds one core, and
        beside it one frame measured 14.5 ms of CPU instead of 10.4 and the first frame 0.59 s
        instead of 0.49 (the same build, one run each): it measured our own neighbour."""
        key = FIGURES[name][0]
        if quiet and rss:
            rss.pause()
        try:
            out = fn(*args)
        except Exception as exc:  # a figure that cannot be measured is null, with the reason
            say(key, f"could not be measured: {type(exc).__name__}: {exc}")
            traceback.print_exc(file=sys.stderr)
            out = {key: None}
        finally:
            if quiet and rss:
                rss.resume()
        details.update(out)
        figures[key] = out.get(key)

    try:
        if "frame" in names:
            from bench.bench_render import frame_cost

            def frame():
                out = frame_cost(quick)
                say("frame_ms_p50",
                    f"one full dashboard frame at 120x36 (show_frame + Textual rendering every visible line, headless) "
                    f"costs {out['frame_ms_p50']:.1f} ms of CPU (median of {out['frame_runs']}; wall "
                    f"{out['frame_ms_p50_wall']:.1f} ms), {out['frame_ms_80x24']:.1f} ms at 80x24; the panels' own "
                    f"renderers are {out['renderers_ms_120x36']:.1f} ms of that. Goal <= 15 ms.")
                say("frame_ms_p50",
                    f"all the UI thread does for one new frame until idle (every refresh it sets off) is "
                    f"{out['frame_ui_settled_ms_120x36']:.1f} ms CPU at 120x36, {out['frame_ui_settled_ms_80x24']:.1f} "
                    f"at 80x24; the worker's probe (Session.frame) is {out['probe_ms']} ms CPU.")
                return out

            run("frame", frame, quiet=True)
        if "engine" in names:
            from bench.engine_bench import engine_vs_bare

            run("engine", engine_vs_bare, quick)
        if "rewind" in names:
            from bench.engine_bench import rewind

            run("rewind", rewind, quick)
        if "first_frame" in names:
            from bench.app_bench import first_frame

            run("first_frame", first_frame, quick, quiet=True)
        if "bytes" in names:
            from bench.app_bench import bytes_per_s

            run("bytes", bytes_per_s, quick)
        if "tui" in names:
            from bench.app_bench import tui_vs_headless

            run("tui", tui_vs_headless, quick, a.what_if, quiet=True)
        if "sweep" in names:  # two workers need both cores: the memory run waits
            from bench.sweep_bench import sweep_speedup

            run("sweep", sweep_speedup, quick, quiet=True)
        if "gpu" in names:
            from bench.engine_bench import gpu

            def gpu_figure():
                out = gpu(quick)
                if out.get("gpu") is None:
                    return {"gpu": None, "gpu_note": out.get("gpu_note", "no GPU")}
                keep = {k: v for k, v in out.items() if k != "gpu"}
                return {"gpu": {"device": out["gpu"], **{k.removeprefix("gpu_"): v for k, v in keep.items()}}}

            run("gpu", gpu_figure)
        if rss:
            if rss.proc.poll() is None:
                say("rss_growth_mb", f"waiting for the memory run ({time.monotonic() - rss.t0:.0f} s so far)…")

            def memory():
                return rss_sentence(rss.result())

            run("rss", memory)
    finally:
        if rss:
            rss.kill()

    end = machine()
    details["machine_end"] = end
    total = time.monotonic() - t_start
    say("machine", f"load average {end['load_1_5_15']} at the end; {total:.0f} s in all")
    print("\nfigure               value        goal       verdict")
    for name in names:
        key, goal = FIGURES[name]
        v = figures.get(key)
        shown = "null" if v is None else (json.dumps(v)[:40] if isinstance(v, dict) else f"{v:g}")
        g = "" if goal is None else f"{goal[0]} {goal[1]:g}"
        print(f"{key:<20} {shown:<12} {g:<10} {verdict(name, v)}")
    if a.details:
        with open(a.details, "w") as f:
            json.dump(details, f, indent=1, default=str)
    ordered = {FIGURES[n][0]: figures.get(FIGURES[n][0]) for n in FIGURES if n in names}
    print(json.dumps(ordered), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
