"""The training loop around a Session (`LocalRun`): the in-process runner, and the loop in the child.

The loop owns the Session and runs in one thread: a thread worker of the app's process when the app
trains in-process (GENSTEP_WORKER=thread, the tests' fakes), the main thread of the training
process otherwise (`tui.run.child`). Nobody else calls the Session: requests are queued by name
(`call("set", "beta", "0.2")`, the `OPS` below, so the same requests can cross a pipe) and applied
between two steps, so a knob change lands exactly between two steps and is recorded by the engine
as an event. Each request answers through a `Future` (its result, or the engine's refusal).

The loop probes a new Frame at most ~12 times a second while running (less when a probe is
expensive, so probing never takes more than about a quarter of the training time) and at once
after a request, and tells its watchers (`watch()`) of every new `RunState`. Nothing here imports
textual.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from genstep.tui.run.handle import RunState, Watcher

TICK_S = 0.1  # one "tick": the driver does `speed` steps per tick while running
PUBLISH_S = 1 / 12  # at most this often a new frame is probed while running
CHUNK_S = 0.03  # steps run in chunks of about this long; commands wait at most one chunk
SPEEDS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)

Command = Callable[[Any], Any]


def default_speed(horizon: int, seconds: float = 30.0) -> int:
    """Steps per tick that show a lesson's horizon in about `seconds` (at best)."""
    want = max(1.0, horizon / (seconds / TICK_S))
    return min(SPEEDS, key=lambda s: abs(s - want))


def rewind_to(session: Any, step: int) -> int:
    """`session.rewind(step)`, also from a diverged run: the engine's rewind replays nothing while
    the session is diverged (it lands on the checkpoint before `step`), so the gap is run as steps,
    which replays the same knob events and gives the same state."""
    done = session.rewind(step)
    if done < step and session.status == "ok":
        session.step(step - done)
    return session.steps


def _back(driver: "LocalRun", session: Any) -> int:
    """Back to the checkpoint before the current step, or, after a divergence, to the last good step."""
    driver.cancel_steps()
    if driver.diverged and driver.last_good is not None:
        return rewind_to(session, driver.last_good)
    earlier = [c for c in session.checkpoint_steps if c < session.steps]
    return session.rewind(max(earlier, default=0))


def _cure(driver: "LocalRun", session: Any, items: list[str]) -> None:
    for item in items:
        knob, _, value = str(item).partition("=")
        session.set(knob.strip(), value.strip())


def _set_running(driver: "LocalRun", session: Any, on: bool) -> bool:
    driver.running = bool(on) and session.status == "ok"
    return driver.running


def _add_steps(driver: "LocalRun", session: Any, n: int) -> int:
    driver.pending += max(0, int(n))
    return driver.pending


def _set_speed(driver: "LocalRun", session: Any, speed: int) -> int:
    driver.speed = max(1, int(speed))
    return driver.speed


def _branches(driver: "LocalRun") -> Any:
    """The run's Branches, made on the first fork (a lone Session until then)."""
    from genstep.tui.run.branches import Branches

    if not isinstance(driver.session, Branches):
        driver.session = Branches(driver.session)
    return driver.session


def _fork(driver: "LocalRun", session: Any) -> str:
    return _branches(driver).fork()


def _select(driver: "LocalRun", session: Any, index: int) -> str:
    return _branches(driver).select(index)


def _close(driver: "LocalRun", session: Any) -> str:
    return _branches(driver).close()


def _until(driver: "LocalRun", session: Any, text: str) -> str:
    """Run until the condition holds (the notes' language, or `step >= N`); refused when this
    family never reports the metric."""
    from genstep.engine.lesson import Until

    driver.until = Until(text, family=getattr(driver.scenario, "family", None))
    driver.notice = ""
    driver.running = session.status == "ok"
    return driver.until.text


def _save(driver: "LocalRun", session: Any, path: str) -> str:
    from genstep.engine import runfile

    return str(runfile.save(getattr(session, "current", session), path))


def _command(driver: "LocalRun", session: Any, name: str, overrides: list[str]) -> str:
    from genstep.engine import runfile

    return runfile.replay_command(getattr(session, "current", session), name, overrides)


def _restart(method: str) -> Callable[..., Any]:
    def op(driver: "LocalRun", session: Any, *args: Any) -> Any:
        driver.cancel_steps()
        return getattr(session, method)(*args)

    return op


OPS: dict[str, Callable[..., Any]] = {
    # name: op(driver, session, *args) -> result; each runs between two steps
    "play": _set_running,
    "steps": _add_steps,
    "speed": _set_speed,
    "set": lambda d, s, knob, value: s.set(knob, value),
    "bump": lambda d, s, knob, direction: s.bump(knob, direction),
    "substep": lambda d, s, player: s.substep(player),  # one update of one player alone (an event)
    "cure": _cure,
    "back": _back,
    "rewind": lambda d, s, step: (d.cancel_steps(), rewind_to(s, int(step)))[1],
    "reset": _restart("reset"),
    "reseed": _restart("reseed"),
    "export": lambda d, s, path: (s.write_metrics(path), None)[1],
    "fork": _fork,
    "select": _select,
    "close": _close,
    "until": _until,
    "save": _save,
    "command": _command,
}


class LocalRun:
    """Runs steps and requests for one session; `run()` is the body of the thread it trains in.
    A `RunHandle` (`tui.run.handle`); `tui.run.build.build()` makes one."""

    def __init__(self, session: Any, speed: int = 10, scenario: Any = None, autoplay: bool = False) -> None:
        self.session = session
        self.scenario = scenario if scenario is not None else getattr(session, "scenario", None)
        self.device_reason = str(getattr(session, "device_reason", "") or "")
        self.speed = speed
        self.running = bool(autoplay)
        self.version = 0  # bumped at every publish
        self.latest = None  # the last Frame
        self.checkpoints: list[int] = []
        self.rate = 0.0  # measured steps per second while running
        self.diverged: str = ""  # the engine's message when a run stops on a non-finite value
        self.last_good: int | None = None  # the step the engine kept when the run diverged
        self.thread: threading.Thread | None = None  # the thread running `run()`, once started
        self.state = RunState(speed=speed, running=self.running)  # what the watchers were last told
        self._commands: queue.SimpleQueue[tuple[Command, Future]] = queue.SimpleQueue()
        self._stop = threading.Event()
        self.finished = threading.Event()
        self._dirty = True
        self.pending = 0  # steps asked for with n / N, not yet run
        self._per_step = 0.001  # measured seconds per step, to size chunks
        self._last_publish = 0.0
        self._probe_s = 0.0  # measured seconds per frame() probe
        self._window = (0.0, 0)  # (start, steps) of the current steps/s window
        self._watchers: list[Watcher] = []  # told of every new state, from the loop's thread
        self.until: Any = None  # engine.lesson.Until while running until a condition holds
        self.notice = ""  # the last thing the loop has to tell (e.g. the condition held)

    # -- called from the UI thread (watch: before `run()` starts) -----------------------------

    def watch(self, callback: Watcher) -> None:
        """Call `callback(state, frame)` from the loop's thread at every new state."""
        self._watchers.append(callback)

    def send(self, command: Command) -> Future:
        """Queue `command(session)`; it runs between two steps. The Future holds its result."""
        future: Future = Future()
        self._commands.put((command, future))
        return future

    def call(self, op: str, *args: Any) -> Future:
        """Queue `OPS[op](driver, session, *args)`; the Future holds its result or refusal."""
        fn = OPS[op]
        return self.send(lambda session: fn(self, session, *args))

    def play(self, on: bool) -> Future:
        """Start or pause the run (as a command, so it wakes a waiting loop at once)."""
        return self.call("play", on)

    def set_speed(self, speed: int) -> None:
        """Steps per tick from now on (a plain attribute: the loop reads it once per tick)."""
        self.speed = max(1, int(speed))

    def stop(self) -> None:
        self._stop.set()
        self._commands.put((lambda s: None, Future()))  # wake a waiting loop

    def join(self, timeout: float = 10.0) -> bool:
        """Wait until the loop has left; True if it did (at once if it never started)."""
        return self.thread is None or self.finished.wait(timeout)

    def request_steps(self, n: int) -> Future:
        """Queue n steps (for a paused run); they run in short chunks, so keys stay responsive."""
        return self.call("steps", n)

    def cancel_steps(self) -> None:
        """Drop queued steps (call from a command: reset, reseed and rewind do)."""
        self.pending = 0

    # -- the loop (worker thread) -----------------------------------------------------------

    def run(self) -> None:
        self.thread = threading.current_thread()
        try:
            self._publish()
            self._last_publish = time.monotonic()
            self._window = (time.monotonic(), 0)
            while not self._stop.is_set():
                tick_start = time.monotonic()
                self._drain(block=not (self.running or self.pending))
                budget = self.pending or (self.speed if self.running else 0)
                if budget:
                    self._run_steps(budget)
                self._measure()
                self._maybe_publish()
                self._tell()
                if self.running and not self.pending:  # hold `speed` steps per tick
                    rest = TICK_S - (time.monotonic() - tick_start)
                    if rest > 0:
                        self._drain(block=True, timeout=rest)
        except Exception as exc:  # a bug, not a divergence: said on screen, never a silent stop
            self.diverged = f"the training loop failed: {type(exc).__name__}: {exc}"
            self._tell(ended=True)
            raise
        finally:
            self.running = False
            self._refuse_queued()
            self.finished.set()

    def _refuse_queued(self) -> None:
        """After the loop: answer every command still queued, so nobody awaits a dead loop."""
        while True:
            try:
                _, future = self._commands.get_nowait()
            except queue.Empty:
                return
            if not future.done():
                future.set_exception(RuntimeError("the run was stopped"))

    def _note_divergence(self) -> None:
        self.running, self.pending = False, 0
        self.diverged = self.session.message or "the run stopped"
        self.last_good = self.session.steps
        self._dirty = True  # the engine went back to its last good state: show that state

    def _run_steps(self, budget: int) -> None:
        """Up to `budget` steps in chunks of ~CHUNK_S, applying commands and publishing between."""
        done = 0
        while done < budget and not self._stop.is_set():
            chunk = max(1, min(budget - done, int(CHUNK_S / max(self._per_step, 1e-6))))
            t0 = time.monotonic()
            until = self.until
            n = self.session.step(chunk, until=until) if until is not None else self.session.step(chunk)
            elapsed = time.monotonic() - t0
            if n:
                self._per_step = 0.7 * self._per_step + 0.3 * elapsed / n
            done += n
            self._window = (self._window[0], self._window[1] + n)
            self._dirty = self._dirty or n > 0
            if self.pending:
                self.pending = max(0, self.pending - n)
            if until is not None and until.met_at is not None:
                self.notice = f"{until.text}: held at step {until.met_at}"
                self.until, self.running, self.pending = None, False, 0
                self._dirty = True
                return
            if until is not None and (missing := until.unreported(self.session)):
                self.notice = missing
                self.until, self.running, self.pending = None, False, 0
                return
            if self.session.status != "ok" or n < chunk:
                self._note_divergence()
                return
            self._maybe_publish()
            if not self._commands.empty():
                self._drain(block=False)
                if not (self.running or self.pending):
                    return
                budget = min(budget, self.pending or self.speed)

    def _measure(self) -> None:
        start, steps = self._window
        now = time.monotonic()
        if now - start >= 0.5:
            self.rate = steps / (now - start) if (self.running or self.pending) else 0.0
            self._window = (now, 0)

    def _maybe_publish(self) -> None:
        busy = self.running or self.pending
        # probing costs time too: while busy, keep it under about a quarter of the worker's time
        gap = max(PUBLISH_S, 3.0 * self._probe_s)
        if self._dirty and (not busy or time.monotonic() - self._last_publish >= gap):
            self._publish()
            self._last_publish = time.monotonic()

    def _drain(self, block: bool, timeout: float = 0.25) -> None:
        """Apply every queued command; if `block`, first wait up to `timeout` for one."""
        try:
            item = self._commands.get(timeout=timeout) if block else self._commands.get_nowait()
        except queue.Empty:
            return
        while True:
            command, future = item
            try:
                future.set_result(command(self.session))
            except Exception as exc:  # the engine's refusal goes back to whoever asked
                future.set_exception(exc)
            self._dirty = True
            if self.session.status != "ok":
                if not self.diverged:
                    self._note_divergence()
                self.running = False
            elif self.diverged:
                self.diverged, self.last_good = "", None  # reset, rewind or a knob change brought it back
            try:
                item = self._commands.get_nowait()
            except queue.Empty:
                return

    def _publish(self) -> None:
        t0 = time.monotonic()
        self.latest = self.session.frame()
        self._probe_s = 0.5 * self._probe_s + 0.5 * (time.monotonic() - t0)
        self.checkpoints = list(self.session.checkpoint_steps)
        self._dirty = False
        self.version += 1
        self._tell()

    def _tell(self, ended: bool = False) -> None:
        """Tell the watchers if the state changed (a new frame changes `version`)."""
        state = RunState(self.version, self.running, self.rate, self.diverged, self.last_good, self.pending,
                         self.speed, tuple(self.checkpoints), ended, self.notice,
                         self.until.text if self.until is not None else "")
        if state == self.state:
            return
        self.state = state
        for callback in self._watchers:
            callback(state, self.latest)
