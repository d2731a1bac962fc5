"""The training process itself: `python -m tui.trainer_child IN OUT`, started by `tui.trainer`.

It validates the lesson, waits for "go", builds the Session (importing torch) and runs the real
`Driver`, reading requests from the pipe on one thread and sending answers and states from another
(see `tui.trainer` for the messages). Nothing here imports textual.
"""

from __future__ import annotations

import sys
import threading
from collections import deque
from concurrent.futures import Future
from typing import Any

from tui.pipe import Connection, encode
from tui.screens.driver import MIRRORED, Driver, default_speed


class _Outbox:
    """The child's sending thread: answers in order; of the states, only the newest is kept (with
    the newest frame), so a slow reader never holds up training."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.cond = threading.Condition()
        self.answers: deque[tuple] = deque()
        self.state: dict | None = None
        self.frame: Any = None
        self.closed = False
        self.thread = threading.Thread(target=self._run, name="genstep-outbox", daemon=True)
        self.thread.start()

    def answer(self, message: tuple) -> None:
        with self.cond:
            self.answers.append(message)
            self.cond.notify()

    def publish(self, state: dict, frame: Any) -> None:
        with self.cond:
            self.state = state
            if frame is not None:
                self.frame = frame
            self.cond.notify()

    def close(self, last: tuple) -> None:
        with self.cond:
            self.answers.append(last)
            self.closed = True
            self.cond.notify()
        self.thread.join(30)

    def _run(self) -> None:
        while True:
            with self.cond:
                while not (self.answers or self.state is not None):
                    self.cond.wait()
                answers, self.answers = list(self.answers), deque()
                state, frame = self.state, self.frame
                self.state = self.frame = None
                closing = self.closed
            try:
                if state is not None:
                    self.conn.send(("state", state, frame))
                for message in answers:
                    self.conn.send(message)
            except (OSError, ValueError):
                return  # the app is gone
            if closing and not self.answers:
                return


def _state(driver: Any) -> dict:
    state = {key: getattr(driver, key) for key in ("version", *MIRRORED)}
    state["checkpoints"] = list(state["checkpoints"])  # sent later, from the outbox's thread
    return state


def _portable(value: Any) -> Any:
    """A result the pipe can carry (plain values, engine Events); else None: "it worked" is all
    the app needs of it."""
    try:
        encode(value)
        return value
    except TypeError:
        return None


def serve(conn_in: Connection, conn_out: Connection) -> int:
    """The child's whole life: validate, wait for "go", build the session, run the driver."""

    def first(kinds: tuple[str, ...]) -> tuple | None:
        try:
            message = conn_in.recv()
        except (EOFError, OSError):
            return None
        return message if message[0] in kinds else None

    opened = first(("open",))
    if opened is None:
        return 0
    _, name, seed, device, overrides, autoplay = opened
    try:
        from engine.catalog import load_scenario

        scenario = load_scenario(name, overrides)
    except Exception as exc:  # noqa: BLE001 - the reason goes to the app, one line
        conn_out.send(("invalid", str(exc) or type(exc).__name__))
        return 0
    conn_out.send(("valid", scenario.model_dump(mode="json")))  # the app re-validates it when it needs it
    if first(("go",)) is None:
        return 0
    try:
        import torch

        from engine.session import Session, use_one_cpu_thread

        session = Session(scenario, seed=seed, device=device)
        if session.device == "cpu":  # tiny models: one thread is faster, far faster on shared cores
            use_one_cpu_thread()
    except Exception as exc:  # noqa: BLE001 - e.g. cuda asked for and missing
        conn_out.send(("failed", str(exc) or type(exc).__name__))
        return 0
    driver = Driver(session, default_speed(int(scenario.lesson.steps)))
    driver.running = bool(autoplay)
    outbox = _Outbox(conn_out)
    sent: dict = {}

    def forward(d: Any, published: bool) -> None:  # a new frame, or the status bar's figures changed
        state = _state(d)
        if published or state != sent:
            sent.clear()
            sent.update(state)
            outbox.publish(state, d.latest if published else None)

    driver.listener = forward
    conn_out.send(("loaded", session.device, str(getattr(session, "device_reason", "") or ""),
                   driver.speed, torch.get_num_threads()))

    def read() -> None:
        while True:
            try:
                message = conn_in.recv()
            except (EOFError, OSError):
                break
            if message[0] != "call":
                break  # "stop"
            _, ident, op, args = message

            def answer(future: Future, ident: int = ident) -> None:
                error = future.exception()
                outbox.answer(("answer", ident, True, _portable(future.result())) if error is None
                              else ("answer", ident, False, str(error) or type(error).__name__))

            try:
                driver.call(op, *args).add_done_callback(answer)
            except KeyError:
                outbox.answer(("answer", ident, False, f"unknown request {op!r}"))
        driver.stop()

    threading.Thread(target=read, name="genstep-inbox", daemon=True).start()
    driver.run()
    outbox.close(("bye",))
    return 0


def main(argv: list[str]) -> int:
    conn_in, conn_out = Connection(int(argv[0])), Connection(int(argv[1]))
    try:
        return serve(conn_in, conn_out)
    finally:
        conn_out.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
