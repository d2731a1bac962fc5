"""The app's default runner (`RemoteRun`): the Session and its loop train in a child process.

Why a process: the UI thread spends 10-14 ms of pure Python on each redraw, holding the GIL, and a
training thread in the same process waits for it after every torch call; measured, that cost the
training about half its speed on 2 shared cores (docs/performance.md). In its own process the
training loop never waits for the UI.

`RemoteRun` starts `python -m genstep.tui.run.child IN OUT` and talks with it over two pipes (file
descriptors IN and OUT) in the typed messages of `tui.run.messages`, carried by `tui.pipe` as
data, never code. The child validates the scenario at once, so the command line can refuse a bad
lesson with one line while the app imports Textual beside it; it builds the Session (torch) only
on `go()`, which the app sends after its first paint. The child's stdout is /dev/null and its
stderr a temporary file, so nothing it prints can reach the app's terminal; if it dies, the handle
reports it (`RunState.ended`, with the file's last line). Nothing here imports textual.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import Future
from dataclasses import replace
from pathlib import Path
from typing import Any

from genstep.tui.pipe import Connection
from genstep.tui.run.handle import RunDied, RunRefused, RunState, Watcher
from genstep.tui.run.messages import Answer, Bye, Call, Failed, Go, Invalid, Loaded, Open, State, Stop, Valid

START_TIMEOUT_S = 60.0  # validating a scenario, or building a session (torch import included)
CHILD = "genstep.tui.run.child"  # the module the training process runs (`python -m`)


class RemoteRun:
    """A run in a child process, seen from the app: its newest state and frame; the same requests."""

    def __init__(self, name: str, seed: int = 0, device: str = "auto", overrides: list[str] | tuple = (),
                 autoplay: bool = False) -> None:
        self.request = Open(name, int(seed), str(device), tuple(str(o) for o in overrides), bool(autoplay))
        self.state = RunState()
        self.latest: Any = None
        self._speed = 1
        self._scenario_data: dict | None = None  # the validated Scenario, as plain data (see `scenario`)
        self._scenario: Any = None
        self.device = ""
        self.device_reason = ""
        self.threads = 0  # torch's intra-op threads in the training process, once loaded
        self.thread: threading.Thread | None = None  # the app's thread reading the pipe (`run()`)
        self.finished = threading.Event()
        self._watchers: list[Watcher] = []
        self._ids = itertools.count(1)
        self._futures: dict[int, Future] = {}
        self._send_lock = threading.Lock()
        self._stopped = False
        self._log = tempfile.TemporaryFile()
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        env = dict(os.environ)
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", CHILD, str(to_child_r), str(from_child_w)],
                pass_fds=(to_child_r, from_child_w), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=self._log, env=env, start_new_session=True)  # the terminal's signals stay with the app
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        self._out = Connection(to_child_w)
        self._in = Connection(from_child_r)
        self._send(self.request)

    # -- starting ------------------------------------------------------------------------------

    def wait_valid(self, timeout: float = START_TIMEOUT_S) -> None:
        """Return once the child has validated the scenario; raise RunRefused with the reason
        when it is not valid."""
        if self._scenario_data is not None:
            return
        message = self._receive(timeout)
        if isinstance(message, Valid):
            self._scenario_data = message.scenario
            return
        if isinstance(message, Invalid):
            raise RunRefused(message.reason)
        raise RunDied(self._died())

    def go(self, timeout: float = START_TIMEOUT_S) -> None:
        """Build the Session (torch is imported now); raises RunRefused if it cannot be built."""
        self._send(Go())
        message = self._receive(timeout)
        if isinstance(message, Failed):
            raise RunRefused(message.reason)
        if not isinstance(message, Loaded):
            raise RunDied(self._died())
        self.device, self.device_reason, self.threads = message.device, message.device_reason, message.threads
        self._speed = message.speed
        self.state = replace(self.state, speed=message.speed)

    def _receive(self, timeout: float) -> Any:
        try:
            if self._in.poll(timeout):
                return self._in.recv()
        except (EOFError, OSError):
            pass
        return None

    def _died(self) -> str:
        """Why the child is gone: its exit code and the last line it wrote to stderr."""
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return "the training process did not answer"
        self._log.seek(0)
        lines = [ln for ln in self._log.read().decode("utf-8", "replace").splitlines() if ln.strip()]
        last = lines[-1].strip() if lines else "no message"
        return f"the training process ended (exit code {code}): {last}"

    @property
    def scenario(self) -> Any:
        """The validated Scenario, rebuilt from the child's plain data on first use: that imports
        pydantic (~0.14 s), which the command line's check must not wait for before the first paint."""
        if self._scenario is None and self._scenario_data is not None:
            from genstep.engine.config import validate

            self._scenario = validate(self._scenario_data, self.request.name)
        return self._scenario

    # -- the state, as the child last reported it (tests and scripts read these) ---------------

    speed = property(lambda self: self._speed, doc="steps per tick: as set here, then as reported")
    running = property(lambda self: self.state.running)
    rate = property(lambda self: self.state.rate)
    diverged = property(lambda self: self.state.diverged)
    last_good = property(lambda self: self.state.last_good)
    pending = property(lambda self: self.state.pending)
    checkpoints = property(lambda self: list(self.state.checkpoints))
    version = property(lambda self: self.state.version)

    # -- what the app calls --------------------------------------------------------------------

    def watch(self, callback: Watcher) -> None:
        """Call `callback(state, frame)` from the reading thread at every state the child sends."""
        self._watchers.append(callback)

    def call(self, op: str, *args: Any) -> Future:
        future: Future = Future()
        ident = next(self._ids)
        self._futures[ident] = future
        if not self._send(Call(ident, op, args)):
            self._futures.pop(ident, None)
            future.set_exception(RuntimeError("the run was stopped"))
        return future

    def play(self, on: bool) -> Future:
        return self.call("play", on)

    def request_steps(self, n: int) -> Future:
        return self.call("steps", n)

    def set_speed(self, speed: int) -> None:
        self._speed = max(1, int(speed))
        self.call("speed", self._speed)

    def stop(self) -> None:
        """Ask the child to stop (it finishes its chunk of steps and leaves); `join` waits for it."""
        self._stopped = True
        self._send(Stop())

    def join(self, timeout: float = 10.0) -> bool:
        if self.thread is None:  # never read from: nothing waits on the pipe but the child
            self.stop()
            self._reap(timeout)
            self.finished.set()
            return True
        return self.finished.wait(timeout)

    def _send(self, message: Any) -> bool:
        with self._send_lock:
            try:
                self._out.send(message)
                return True
            except (OSError, ValueError):  # the child is gone (or the pipe closed): nothing to tell it
                return False

    # -- the app's reading thread --------------------------------------------------------------

    def run(self) -> None:
        """Take the child's states and answers until it leaves; the body of the app's worker thread."""
        self.thread = threading.current_thread()
        try:
            while True:
                try:
                    message = self._in.recv()
                except (EOFError, OSError):
                    if not self._stopped:
                        self._tell(replace(self.state, running=False, pending=0, diverged=self._died(), ended=True))
                    break
                except (TypeError, ValueError) as exc:  # refused by the pipe, or a record of other fields:
                    self.stop()  # a child running other code than this app (the files changed meanwhile)
                    self._tell(replace(self.state, running=False, pending=0, ended=True,
                                       diverged=f"the training process sent what this app cannot read ({exc})"))
                    break
                if isinstance(message, State):
                    if message.frame is not None:
                        self.latest = message.frame
                    self._speed = message.state.speed
                    self._tell(message.state)
                elif isinstance(message, Answer):
                    self._answer(message)
                elif isinstance(message, Bye):
                    break
        finally:
            for future in self._futures.values():
                if not future.done():
                    future.set_exception(RuntimeError("the run was stopped"))
            self._futures.clear()
            self._reap(10.0)
            self.finished.set()

    def _tell(self, state: RunState) -> None:
        self.state = state
        for callback in self._watchers:
            callback(state, self.latest)

    def _answer(self, answer: Answer) -> None:
        future = self._futures.pop(answer.ident, None)
        if future is None or future.done():
            return
        if answer.error:
            future.set_exception(RunRefused(answer.error))
        else:
            future.set_result(answer.result)

    def _reap(self, timeout: float) -> None:
        with self._send_lock:  # no send may find the descriptor closed and reused
            for end in (self._out, self._in):
                try:
                    end.close()
                except OSError:
                    pass
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if not self._log.closed:
            self._log.close()
