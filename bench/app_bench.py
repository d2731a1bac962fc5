"""The real app in a pseudo-terminal: start-up, training speed with the app open, bytes written.

`python -m genstep.tui.cli tui SCENARIO` runs on the slave side of a pty of a given size, exactly as in a
terminal; this process is the terminal: it reads (and counts) everything the app writes, and
types keys. The step count is read from the screen text (`step N` in the status bar).

- `first_frame_s`: process start to the first output that shows `step 0` or the lesson's title,
  wall clock (what the goal names), median of several starts; the CPU time of the app's process
  and of its training process at that moment (psutil: user + system, all threads) is printed
  beside it, since on a loaded machine the wall time also measures the neighbours. Starts of the
  earlier design (GENSTEP_WORKER=thread: scenario validated in the app's process, training in a
  thread) alternate with the shipped ones, for comparison.
- `tui_vs_headless`: one app, at 120x36, played at its fastest speed (`.` until x1000 per tick,
  so the driver's per-tick budget never holds it back) and redrawing at its default rate,
  alternated with the headless engine stepping in this process for the same wall time
  (Session.step in chunks of 25, one thread, as `genstep run` does): app, headless, app, ...; the
  figure is the median of the per-pair ratios of steps per wall second. (Pausing the app between
  its windows leaves it idle: the worker waits on its queue.) CPU counts the app's process and its
  training process. `--what-if` adds an app of the earlier design (GENSTEP_WORKER=thread: training
  in a thread of the app's process) to the rotation.
- `bytes_per_s_80x24`: an app at 80x24, playing at the lesson's default speed; bytes per second
  of wall time, first in normal mode, then in low-bandwidth mode (`l`).
"""

from __future__ import annotations

import os
import re
import select
import signal
import struct
import subprocess
import sys
import time

from bench.common import ROOT, SCENARIO, load_scenario, median, pair_ratios, say, spread

ANSI = re.compile(rb"\x1b\[[0-9;?<>=$]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>NOPc78]")
# the status bar's "step N  ► running" (or ║ paused, ■ stopped: tui.widgets.status); a lesson
# note's toast says "step N" too, so the state glyph after it is part of the pattern
STEP = re.compile("step (\\d+)  (?:\u25ba|\u2551|\u25a0)".encode())


class PtyApp:
    """The app running in a pseudo-terminal of `cols` x `rows`; this object is its terminal."""

    def __init__(self, cols: int, rows: int, scenario: str = SCENARIO, args=(), env: dict | None = None):
        import fcntl
        import termios

        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        extra_env = env
        env = dict(os.environ, TERM="xterm-256color", COLORTERM="", COLUMNS=str(cols), LINES=str(rows))
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "TEXTUAL", "TEXTUAL_DRIVER"):
            env.pop(var, None)  # the app as a user starts it: its own thread settings, a real driver
        env.update(extra_env or {})
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "genstep.tui.cli", "tui", scenario, *args], cwd=ROOT, env=env,
            stdin=slave, stdout=slave, stderr=slave, start_new_session=True, close_fds=True)
        os.close(slave)
        self.fd = master
        self.bytes = 0
        self.tail = b""  # the end of the output so far, for matches across reads
        self.steps: list[tuple[float, int]] = []  # (time, step N seen on screen)
        self.closed = False

    def pump(self, seconds: float, until: re.Pattern | None = None) -> bytes | None:
        """Read for `seconds` (or until `until` matches the text); returns the match or None."""
        end = time.monotonic() + seconds
        while not self.closed:
            left = end - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.fd], [], [], min(left, 0.05))
            if not r:
                continue
            try:
                data = os.read(self.fd, 1 << 16)
            except OSError:  # the app left
                self.closed = True
                return None
            if not data:
                self.closed = True
                return None
            now = time.monotonic()
            self.bytes += len(data)
            text = ANSI.sub(b"", self.tail + data)
            self.tail = (self.tail + data)[-256:]
            found = STEP.findall(text)
            if found:
                self.steps.append((now, int(found[-1])))
            if until is not None:
                m = until.search(text)
                if m:
                    return m.group(0)
        return None

    def send(self, keys: str | bytes) -> None:
        os.write(self.fd, keys.encode() if isinstance(keys, str) else keys)

    def step_now(self) -> int | None:
        return self.steps[-1][1] if self.steps else None

    def _processes(self) -> list:
        """The app's process and its children (the training process)."""
        import psutil

        try:
            p = psutil.Process(self.proc.pid)
            return [p, *p.children(recursive=True)]
        except psutil.Error:
            return []

    def cpu_s(self, children: bool = True) -> float:
        """CPU time (user + system, all threads) of the app's process and, with `children`, its
        training process."""
        import psutil

        total = 0.0
        for p in self._processes()[: None if children else 1]:
            try:
                t = p.cpu_times()
            except psutil.Error:
                continue
            total += t.user + t.system
        return total

    def threads_cpu(self) -> dict[int, float]:
        import psutil

        out = {}
        for p in self._processes():
            try:
                out.update({t.id: t.user_time + t.system_time for t in p.threads()})
            except psutil.Error:
                pass
        return out

    def close(self) -> None:
        try:
            if self.proc.poll() is None:
                self.send("q")
                deadline = time.monotonic() + 5
                while self.proc.poll() is None and time.monotonic() < deadline:
                    self.pump(0.1)
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        finally:
            try:
                os.close(self.fd)
            except OSError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# the status bar names the device once the first frame of the loaded lesson is shown
# ("step 0  ║ paused  0 steps/s  ×5/tick  cpu  seed 0"; the middle parts drop out in narrow
# terminals); before that it shows "…" in its place
LOADED = re.compile("step \\d+  (?:\u25ba|\u2551|\u25a0)[^\r\n]*?  (?:cpu|cuda)\\b".encode())


def _wait_loaded(app: PtyApp, sc=None, timeout: float = 60.0) -> None:
    """Until the lesson has loaded and its first frame is on screen."""
    if app.pump(timeout, until=LOADED) is None:
        raise RuntimeError(f"the app did not load {SCENARIO} within {timeout:.0f} s")
    app.pump(0.5)


# -- first frame ------------------------------------------------------------------------------------


def first_frame(quick: bool = False) -> dict:
    sc = load_scenario()
    first = re.compile(STEP.pattern.replace(rb"(\d+)", b"0") + b"|" + re.escape(sc.lesson.title[:24].encode()))
    runs = 3 if quick else 5
    seen: dict[str, dict[str, list[float]]] = {v: {"wall": [], "app": [], "main": [], "child": []}
                                               for v in ("process", "thread")}
    for r in range(runs):
        for variant in (("process", "thread") if r % 2 == 0 else ("thread", "process")):
            with PtyApp(80, 24, env={"GENSTEP_WORKER": variant}) as app:
                if app.pump(30, until=first) is None:
                    raise RuntimeError("the app painted nothing recognisable within 30 s")
                got = seen[variant]
                got["wall"].append(time.monotonic() - app.t0)
                own = app.cpu_s(children=False)
                got["app"].append(own)
                got["child"].append(app.cpu_s() - own)
                got["main"].append(app.threads_cpu().get(app.proc.pid, 0.0))
    shipped, old = seen["process"], seen["thread"]
    out = {"first_frame_s": round(median(shipped["wall"]), 3),
           "first_frame_cpu_s": round(median(shipped["app"]), 3),
           "first_frame_main_thread_s": round(median(shipped["main"]), 3),
           "first_frame_training_process_cpu_s": round(median(shipped["child"]), 3),
           "first_frame_thread_design_wall_s": round(median(old["wall"]), 3),
           "first_frame_thread_design_cpu_s": round(median(old["app"]), 3),
           "first_frame_runs": runs}
    say("first_frame_s",
        f"from process start to the first painted frame (`step 0` on screen): {out['first_frame_s']:.2f} s wall "
        f"clock (median of {runs} starts in an 80x24 pty, range {spread(shipped['wall'])}). Goal <= 0.5 s.")
    say("first_frame_s",
        f"CPU by then: the app's process {out['first_frame_cpu_s']:.2f} s (its main thread "
        f"{out['first_frame_main_thread_s']:.2f} s), the training process "
        f"{out['first_frame_training_process_cpu_s']:.2f} s on the other core (validating the scenario; torch "
        f"waits for the first paint). The earlier design (GENSTEP_WORKER=thread), alternated with it: "
        f"{out['first_frame_thread_design_wall_s']:.2f} s wall, {out['first_frame_thread_design_cpu_s']:.2f} s CPU.")
    return out


# -- training speed with the app open -----------------------------------------------------------------


class _AppWindows:
    """Measuring windows on one open app: play, wait for its pace, count, pause."""

    def __init__(self, app: PtyApp, window: float):
        self.app, self.window = app, window
        self.cpu_per_step: list[float] = []
        self.threads: list[list[float]] = []  # the busiest threads' share of a core, per window

    def __call__(self) -> float | None:
        app = self.app
        app.send(" ")  # play
        app.pump(0.7)  # the worker sizes its chunks and reaches its pace
        t_start, s_start, c_start, th_start = time.monotonic(), app.step_now(), app.cpu_s(), app.threads_cpu()
        app.pump(self.window)
        t_end, s_end, c_end, th_end = time.monotonic(), app.step_now(), app.cpu_s(), app.threads_cpu()
        app.send(" ")  # pause
        app.pump(0.4)
        seen = [(t, s) for t, s in app.steps if t_start - 0.3 <= t <= t_end]
        if len(seen) < 2 or seen[-1][1] <= seen[0][1]:
            return None
        (ta, sa), (tb, sb) = seen[0], seen[-1]
        self.cpu_per_step.append((c_end - c_start) / max(1, (s_end or 0) - (s_start or 0)))
        deltas = sorted((th_end.get(k, v) - v for k, v in th_start.items()), reverse=True)
        self.threads.append([d / (t_end - t_start) for d in deltas[:3]])
        return (sb - sa) / (tb - ta)

    def busiest(self) -> list[float]:
        return [round(median([s[i] for s in self.threads if len(s) > i]), 2) for i in range(3)] if self.threads else []


def tui_vs_headless(quick: bool = False, thread_design: bool = False) -> dict:
    """App windows and headless windows, alternated; with `thread_design`, a second app of the
    earlier design (GENSTEP_WORKER=thread: training in a thread of the app's process) joins the
    rotation, as a what-if beside the figure."""
    from genstep.engine import Session
    from genstep.engine.session import use_one_cpu_thread

    use_one_cpu_thread()
    sc = load_scenario()
    window = 2.5
    rounds = 5 if quick else 8
    headless = Session(sc, seed=0, device="cpu")
    headless.step(25)
    head_cpu: list[float] = []

    def run_headless() -> float:
        t0, c0, s0 = time.monotonic(), time.thread_time(), headless.steps
        while time.monotonic() - t0 < window:
            headless.step(25)
        wall, cpu = time.monotonic() - t0, time.thread_time() - c0
        head_cpu.append(cpu / max(1, headless.steps - s0))
        return (headless.steps - s0) / wall

    apps = [PtyApp(120, 36)]
    if thread_design:
        apps.append(PtyApp(120, 36, env={"GENSTEP_WORKER": "thread"}))
    try:
        for app in apps:
            _wait_loaded(app, sc)
        for app in apps:
            app.send("." * 12)  # fastest speed: x1000 steps per tick
            app.pump(0.3)
        shipped = _AppWindows(apps[0], window)
        old = _AppWindows(apps[1], window) if thread_design else None
        f_app, f_head, f_old = [], [], []
        for r in range(rounds):
            order = [("app", shipped), ("head", run_headless)] + ([("old", old)] if old else [])
            if r % 2:
                order.reverse()
            got = {}
            for name, fn in order:
                got[name] = fn()
                for other in apps:  # keep every terminal drained
                    other.pump(0.01)
            f_app.append(got["app"])
            f_head.append(got["head"])
            if old:
                f_old.append(got["old"])
    finally:
        for app in apps:
            app.close()

    ratios = pair_ratios(f_app, f_head)
    out = {
        "tui_vs_headless": round(median(ratios), 3) if ratios else None,
        "app_steps_per_s": round(median(f_app), 1), "headless_steps_per_s": round(median(f_head), 1),
        "app_cpu_ms_per_step": round(1000 * median(shipped.cpu_per_step), 2) if shipped.cpu_per_step else None,
        "headless_cpu_ms_per_step": round(1000 * median(head_cpu), 2),
        "app_busiest_threads_cores": shipped.busiest(), "rounds": rounds, "window_s": window,
    }
    say("tui_vs_headless",
        f"with the app open at 120x36 (fastest speed, default redraw rate) training runs "
        f"{out['tui_vs_headless']:.2f}x the headless engine's steps/s (median of {rounds} interleaved pairs of "
        f"{window} s windows, pair range {spread(ratios)}; app {out['app_steps_per_s']:.0f} vs headless "
        f"{out['headless_steps_per_s']:.0f} steps/s wall clock). Goal >= 0.80.")
    say("tui_vs_headless",
        f"CPU per step: the app (its process and its training process, all threads) spends "
        f"{out['app_cpu_ms_per_step']} ms against {out['headless_cpu_ms_per_step']} ms headless; the busiest "
        f"threads use {out['app_busiest_threads_cores']} of a core each.")
    if old:
        r1 = pair_ratios(f_old, f_head)
        out.update(tui_thread_design_vs_headless=round(median(r1), 3) if r1 else None,
                   thread_design_cpu_ms_per_step=round(1000 * median(old.cpu_per_step), 2) if old.cpu_per_step else None,
                   thread_design_busiest_threads_cores=old.busiest())
        say("tui_vs_headless",
            f"what-if, same rotation: the earlier design, training in a thread of the app's process "
            f"(GENSTEP_WORKER=thread), runs {out['tui_thread_design_vs_headless']}x headless (pair range {spread(r1)}), "
            f"{out['thread_design_cpu_ms_per_step']} ms CPU per step, busiest threads "
            f"{out['thread_design_busiest_threads_cores']} of a core.")
    return out


def default_speed_rate(quick: bool = False) -> dict:
    """What a user sees by default: the lesson's own speed per tick (not part of the JSON)."""
    from genstep.tui.run.local import TICK_S, default_speed

    sc = load_scenario()
    speed = default_speed(int(sc.lesson.steps))
    return {"default_speed": speed, "default_cap_steps_per_s": speed / TICK_S}


# -- bytes on the wire --------------------------------------------------------------------------------


def bytes_per_s(quick: bool = False) -> dict:
    sc = load_scenario()
    window = 5.0 if quick else 10.0
    with PtyApp(80, 24) as app:
        _wait_loaded(app, sc)
        app.send(" ")
        app.pump(1.5)
        b0, t0, s0 = app.bytes, time.monotonic(), app.step_now()
        app.pump(window)
        normal = (app.bytes - b0) / (time.monotonic() - t0)
        steps_normal = (app.step_now() or 0) - (s0 or 0)
        app.send("l")
        app.pump(4.5)  # the notification toast comes and goes
        b0, t0, s0 = app.bytes, time.monotonic(), app.step_now()
        app.pump(window)
        low = (app.bytes - b0) / (time.monotonic() - t0)
        steps_low = (app.step_now() or 0) - (s0 or 0)
    info = default_speed_rate()
    out = {"bytes_per_s_80x24": round(low), "bytes_per_s_80x24_normal": round(normal),
           "bytes_steps_normal": steps_normal, "bytes_steps_low": steps_low, "bytes_window_s": window, **info}
    say("bytes_per_s_80x24",
        f"at 80x24, training at the lesson's default speed (x{info['default_speed']}/tick), the app writes "
        f"{low / 1000:.1f} KB/s in low-bandwidth mode (`l`) and {normal / 1000:.1f} KB/s in normal mode "
        f"({window:.0f} s each, counted on the pty). Goal <= 60 KB/s (low-bandwidth).")
    return out


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    t = time.perf_counter()
    print(first_frame(quick))
    print(bytes_per_s(quick))
    print(tui_vs_headless(quick))
    print(f"{time.perf_counter() - t:.1f} s")
