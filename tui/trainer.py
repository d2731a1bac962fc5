"""The app's training process, seen from the app: the Session and Driver run in a child process.

Why a process: the UI thread spends 10-14 ms of pure Python on each redraw, holding the GIL, and a
training thread in the same process waits for it after every torch call; measured, that cost the
training about half its speed on 2 shared cores (docs/performance.md). In its own process the
training loop never waits for the UI.

`RemoteDriver` (the app's side) has the attributes and methods of `tui.screens.driver.Driver` that
the dashboard uses; `python -m tui.trainer_child IN OUT` (the child) runs the real Driver and talks
over two pipes (file descriptors IN and OUT) with tuples of plain data (`tui.pipe`: never code):

    app -> child   ("open", name, seed, device, overrides, autoplay)  then  ("go",)  or ("stop",)
                   ("call", id, op, args)  ...  ("stop",)
    child -> app   ("valid", scenario as data) or ("invalid", message)  after validating the scenario
                   ("loaded", device, device_reason, speed, threads) or ("failed", message)
                   ("state", {...}, frame or None)  ("answer", id, ok, result or message)  ("bye",)

The child validates the scenario at once (so `genstep tui bad.toml` fails with one line before any
window opens, while the app imports Textual beside it), and builds the Session, importing torch,
only on "go", which the app sends after its first paint. Its stdout is /dev/null and its stderr a
temporary file, so nothing it prints can reach the app's terminal; if it dies, the app shows the
file's last line. Nothing here imports textual.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from tui.pipe import Connection
from tui.screens.driver import MIRRORED

START_TIMEOUT_S = 60.0  # validating a scenario, or building a session (torch import included)


class TrainerError(ValueError):
    """The training process refused or could not open the lesson (the message says why)."""


class TrainerDied(RuntimeError):
    """The training process ended without saying why (its last line of stderr is in the message)."""


def available() -> bool:
    """Whether a training process can be started here (it needs POSIX file-descriptor passing)."""
    return os.name == "posix"


def wanted(worker: str | None = None) -> bool:
    """Whether to train in a process: `worker`, else GENSTEP_WORKER ("process" when unset or empty,
    "thread" for the in-process thread), and only where `available()`."""
    return (worker or os.environ.get("GENSTEP_WORKER", "") or "process") == "process" and available()


# -- the app's side -----------------------------------------------------------------------------


class RemoteDriver:
    """A `Driver` in a child process, seen from the app: the same state, mirrored; the same calls."""

    def __init__(self, name: str, seed: int = 0, device: str = "auto", overrides: list[str] | tuple = (),
                 autoplay: bool = False) -> None:
        self.request = (name, int(seed), str(device), list(overrides), bool(autoplay))
        self.speed = 1
        self.running = False
        self.version = 0
        self.latest = None
        self.checkpoints: list[int] = []
        self.rate = 0.0
        self.diverged = ""
        self.last_good: int | None = None
        self.pending = 0
        self._scenario_data: dict | None = None  # the validated Scenario, as plain data (see `scenario`)
        self._scenario: Any = None
        self.device = ""
        self.device_reason = ""
        self.threads = 0  # torch's intra-op threads in the training process, once loaded
        self.thread: threading.Thread | None = None  # the app's thread reading the pipe (`run()`)
        self.finished = threading.Event()
        self._ids = itertools.count(1)
        self._futures: dict[int, Future] = {}
        self._send_lock = threading.Lock()
        self._stopped = False
        self._log = tempfile.TemporaryFile()
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parent.parent)  # so `-m tui.trainer` resolves from anywhere
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tui.trainer_child", str(to_child_r), str(from_child_w)],
                pass_fds=(to_child_r, from_child_w), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=self._log, env=env, start_new_session=True)  # the terminal's signals stay with the app
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        self._out = Connection(to_child_w)
        self._in = Connection(from_child_r)
        self._send(("open", *self.request))

    # -- starting ------------------------------------------------------------------------------

    def wait_valid(self, timeout: float = START_TIMEOUT_S) -> None:
        """Return once the child has validated the scenario; raise TrainerError with the reason
        when it is not valid."""
        if self._scenario_data is not None:
            return
        kind, *rest = self._receive(timeout)
        if kind == "valid":
            self._scenario_data = rest[0]
            return
        if kind == "invalid":
            raise TrainerError(rest[0])
        raise TrainerDied(self._died())

    def go(self, timeout: float = START_TIMEOUT_S) -> None:
        """Build the Session (torch is imported now); raises TrainerError if it cannot be built."""
        self._send(("go",))
        kind, *rest = self._receive(timeout)
        if kind == "failed":
            raise TrainerError(rest[0])
        if kind != "loaded":
            raise TrainerDied(self._died())
        self.device, self.device_reason, self.speed, self.threads = rest

    def _receive(self, timeout: float) -> tuple:
        try:
            if self._in.poll(timeout):
                return self._in.recv()
        except (EOFError, OSError):
            pass
        return ("died",)

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
            from engine.config import validate

            self._scenario = validate(self._scenario_data, self.request[0])
        return self._scenario

    # -- what the dashboard calls --------------------------------------------------------------

    def call(self, op: str, *args: Any) -> Future:
        future: Future = Future()
        ident = next(self._ids)
        self._futures[ident] = future
        if not self._send(("call", ident, op, args)):
            self._futures.pop(ident, None)
            future.set_exception(RuntimeError("the run was stopped"))
        return future

    def play(self, on: bool) -> Future:
        return self.call("play", on)

    def request_steps(self, n: int) -> Future:
        return self.call("steps", n)

    def set_speed(self, speed: int) -> None:
        self.speed = max(1, int(speed))
        self.call("speed", self.speed)

    def stop(self) -> None:
        """Ask the child to stop (it finishes its chunk of steps and leaves); `join` waits for it."""
        self._stopped = True
        self._send(("stop",))

    def join(self, timeout: float = 10.0) -> bool:
        if self.thread is None:  # never read from: nothing waits on the pipe but the child
            self.stop()
            self._reap(timeout)
            return True
        return self.finished.wait(timeout)

    def _send(self, message: tuple) -> bool:
        with self._send_lock:
            try:
                self._out.send(message)
                return True
            except (OSError, ValueError):  # the child is gone (or the pipe closed): nothing to tell it
                return False

    # -- the app's reading thread --------------------------------------------------------------

    def run(self) -> None:
        """Mirror the child's state until it leaves; the body of the dashboard's worker thread."""
        self.thread = threading.current_thread()
        try:
            while True:
                try:
                    message = self._in.recv()
                except (EOFError, OSError):
                    if not self._stopped:
                        self.running, self.diverged = False, self._died()
                        self.version += 1  # so the app looks
                    break
                kind = message[0]
                if kind == "state":
                    self._mirror(message[1], message[2])
                elif kind == "answer":
                    self._answer(*message[1:])
                elif kind == "bye":
                    break
        finally:
            self.running = False
            for future in self._futures.values():
                if not future.done():
                    future.set_exception(RuntimeError("the run was stopped"))
            self._futures.clear()
            self._reap(10.0)
            self.finished.set()

    def _mirror(self, state: dict, frame: Any) -> None:
        for key in MIRRORED:
            setattr(self, key, state[key])
        if frame is not None:
            self.latest = frame
            self.version = state["version"]  # last: the app reads `latest` once it sees a new version

    def _answer(self, ident: int, ok: bool, result: Any) -> None:
        future = self._futures.pop(ident, None)
        if future is None or future.done():
            return
        if ok:
            future.set_result(result)
        else:
            future.set_exception(TrainerError(result))

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
        self._log.close()
