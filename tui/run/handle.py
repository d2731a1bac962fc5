"""What the app holds of a run: the `RunHandle` protocol, the `RunState` it reports, its errors.

A handle is opened in the dashboard's worker thread, which then spends its life in `handle.run()`
(the training loop itself for a `LocalRun`, the reading end of the pipe for a `RemoteRun`). The UI
thread only sends named requests (`call("set", "beta", "0.2")`, see `tui.run.local.OPS`), each
answered by a Future, and learns of a new state through the callbacks given to `watch()`: they run
in the handle's thread with the newest `RunState` and the newest Frame, and the dashboard turns
them into a Textual message that coalesces, so a flood of states can never starve the keys.

Stdlib only: imported by the command line before the first paint.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class RunState:
    """The run as the status bar shows it; a new one (never changed in place) after every change."""

    version: int = 0  # bumped at every new Frame
    running: bool = False
    rate: float = 0.0  # measured steps per second while running
    diverged: str = ""  # the engine's message when the run stopped on a non-finite value
    last_good: int | None = None  # the step the engine kept when the run diverged
    pending: int = 0  # steps asked for with n / N, not yet run
    speed: int = 1  # steps per tick while running
    checkpoints: tuple[int, ...] = ()  # the steps `g` can rewind to
    ended: bool = False  # the run is over for good (its process died): only another lesson helps
    notice: str = ""  # the newest thing the loop has to say (e.g. "modes <= 2: held at step 812")
    until: str = ""  # the condition the run is playing until, while it does


Watcher = Callable[[RunState, Any], None]  # (state, newest Frame or None before the first)


class RunRefused(ValueError):
    """The run refused a request or could not open the lesson (the message says why)."""


class RunDied(RuntimeError):
    """The training process ended without saying why (its last line of stderr is in the message)."""


@runtime_checkable
class RunHandle(Protocol):
    """One lesson's run, as the app sees it, wherever it trains."""

    scenario: Any  # the validated Scenario (once loaded)
    device_reason: str  # why the engine picked its device (shown by `?`)
    state: RunState  # the newest state (a new object at each change)
    latest: Any  # the newest Frame, or None
    speed: int  # steps per tick: set at once by `set_speed`, then as the run reports it
    finished: threading.Event  # set once `run()` has returned
    thread: threading.Thread | None  # the thread in `run()`, once it started

    def watch(self, callback: Watcher) -> None:
        """Call `callback(state, frame)` from the run's thread at every new state."""

    def call(self, op: str, *args: Any) -> Future:
        """Queue the request `op` (a name in `tui.run.local.OPS`); it runs between two steps."""

    def play(self, on: bool) -> Future: ...

    def request_steps(self, n: int) -> Future: ...

    def set_speed(self, speed: int) -> None: ...

    def run(self) -> None:
        """The body of the app's worker thread: returns when the run has stopped."""

    def stop(self) -> None:
        """Ask the run to stop (it finishes its chunk of steps); `join` waits for it."""

    def join(self, timeout: float = 10.0) -> bool: ...


def available() -> bool:
    """Whether a training process can be started here (it needs POSIX file-descriptor passing)."""
    return os.name == "posix"


def wanted(worker: str | None = None) -> bool:
    """Whether to train in a process: `worker`, else GENSTEP_WORKER ("process" when unset or empty,
    "thread" for the in-process runner), and only where `available()`."""
    return (worker or os.environ.get("GENSTEP_WORKER", "") or "process") == "process" and available()
