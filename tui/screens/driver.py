"""The training loop behind the dashboard: owns the Session, runs in one thread worker.

Nothing here imports textual. The UI thread never calls the Session; it sends commands
(callables taking the session) through a queue, and the driver applies them between steps, so a
knob change lands exactly between two steps and is recorded by the engine as an event. Each
command answers through a `Future` (its result, or the engine's refusal).

The driver publishes the latest Frame (with a version number) at most ~12 times a second while
running (less when a probe is expensive, so probing never takes more than about a quarter of the
training time) and at once after a command; the UI polls `version` on its own timer.

The dashboard asks for things by name (`call("set", "beta", "0.2")`, the `OPS` below), not with
callables, so the same requests can cross a pipe: in the app the driver runs in a training process
of its own (`tui.trainer`), out of reach of the UI thread's hold on the GIL.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

TICK_S = 0.1  # one "tick": the driver does `speed` steps per tick while running
PUBLISH_S = 1 / 12  # at most this often a new frame is probed while running
CHUNK_S = 0.03  # steps run in chunks of about this long; commands wait at most one chunk
SPEEDS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
# the Driver's state a copy in another process mirrors (tui.trainer), besides `version` and `latest`
MIRRORED = ("running", "rate", "diverged", "last_good", "pending", "speed", "checkpoints")

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


def _back(driver: "Driver", session: Any) -> int:
    """Back to the checkpoint before the current step, or, after a divergence, to the last good step."""
    driver.cancel_steps()
    if driver.diverged and driver.last_good is not None:
        return rewind_to(session, driver.last_good)
    earlier = [c for c in session.checkpoint_steps if c < session.steps]
    return session.rewind(max(earlier, default=0))


def _cure(driver: "Driver", session: Any, items: list[str]) -> None:
    for item in items:
        knob, _, value = str(item).partition("=")
        session.set(knob.strip(), value.strip())


def _set_running(driver: "Driver", session: Any, on: bool) -> bool:
    driver.running = bool(on) and session.status == "ok"
    return driver.running


def _add_steps(driver: "Driver", session: Any, n: int) -> int:
    driver.pending += max(0, int(n))
    return driver.pending


def _set_speed(driver: "Driver", session: Any, speed: int) -> int:
    driver.speed = max(1, int(speed))
    return driver.speed


def _restart(method: str) -> Callable[..., Any]:
    def op(driver: "Driver", session: Any, *args: Any) -> Any:
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
    "cure": _cure,
    "back": _back,
    "rewind": lambda d, s, step: (d.cancel_steps(), rewind_to(s, int(step)))[1],
    "reset": _restart("reset"),
    "reseed": _restart("reseed"),
    "export": lambda d, s, path: (s.write_metrics(path), None)[1],
}


class Driver:
    """Runs steps and commands for one session; `run()` is the body of the thread worker."""

    def __init__(self, session: Any, speed: int = 10) -> None:
        self.session = session
        self.speed = speed
        self.running = False
        self.version = 0  # bumped at every publish
        self.latest = None  # the last Frame
        self.checkpoints: list[int] = []
        self.rate = 0.0  # measured steps per second while running
        self.diverged: str = ""  # the engine's message when a run stops on a non-finite value
        self.last_good: int | None = None  # the step the engine kept when the run diverged
        self.thread: threading.Thread | None = None  # the thread running `run()`, once started
        self._commands: queue.SimpleQueue[tuple[Command, Future]] = queue.SimpleQueue()
        self._stop = threading.Event()
        self.finished = threading.Event()
        self._dirty = True
        self.pending = 0  # steps asked for with n / N, not yet run
        self._per_step = 0.001  # measured seconds per step, to size chunks
        self._last_publish = 0.0
        self._probe_s = 0.0  # measured seconds per frame() probe
        self._window = (0.0, 0)  # (start, steps) of the current steps/s window
        # called (in the loop's thread) as `listener(driver, published)` after every publish
        # (published=True) and after every turn of the loop (False): how a training process
        # forwards the driver's state to the app
        self.listener: Callable[[Driver, bool], None] | None = None

    # -- called from the UI thread -----------------------------------------------------------

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
        """Wait until the loop has left (only after it was started); True if it did."""
        return self.finished.wait(timeout)

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
                if self.listener is not None:
                    self.listener(self, False)
                if self.running and not self.pending:  # hold `speed` steps per tick
                    rest = TICK_S - (time.monotonic() - tick_start)
                    if rest > 0:
                        self._drain(block=True, timeout=rest)
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
            n = self.session.step(chunk)
            elapsed = time.monotonic() - t0
            if n:
                self._per_step = 0.7 * self._per_step + 0.3 * elapsed / n
            done += n
            self._window = (self._window[0], self._window[1] + n)
            self._dirty = self._dirty or n > 0
            if self.pending:
                self.pending = max(0, self.pending - n)
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
        if self.listener is not None:
            self.listener(self, True)
