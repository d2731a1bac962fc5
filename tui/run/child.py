"""The training process itself: `python -m genstep.tui.run.child IN OUT`, started by `tui.run.remote`.

It validates the lesson (`Valid` or `Invalid`), waits for `Go`, builds the Session and its loop
(`tui.run.build`, importing torch), and runs the loop (`LocalRun`) on its main thread, reading
requests from the pipe on one thread and sending answers and states from another (the messages are
in `tui.run.messages`). Nothing here imports textual.
"""

from __future__ import annotations

import os
import sys
import threading
from collections import deque
from concurrent.futures import Future
from typing import Any

from genstep.tui.pipe import Connection, encode
from genstep.tui.run.handle import RunState
from genstep.tui.run.messages import Answer, Bye, Call, Failed, Go, Invalid, Loaded, Open, State, Valid


class _Outbox:
    """The child's sending thread: answers in order; of the states, only the newest is kept (with
    the newest frame), so a slow reader never holds up training."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.cond = threading.Condition()
        self.answers: deque[Any] = deque()
        self.state: RunState | None = None
        self.frame: Any = None
        self.sent_version = -1  # the version whose frame the app has
        self.closed = False
        self.thread = threading.Thread(target=self._run, name="genstep-outbox", daemon=True)
        self.thread.start()

    def answer(self, message: Any) -> None:
        with self.cond:
            self.answers.append(message)
            self.cond.notify()

    def publish(self, state: RunState, frame: Any) -> None:
        with self.cond:
            self.state, self.frame = state, frame
            self.cond.notify()

    def close(self, last: Any) -> None:
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
                    new = frame is not None and state.version != self.sent_version
                    self.conn.send(State(state, frame if new else None))
                    if new:
                        self.sent_version = state.version
                for message in answers:
                    self.conn.send(message)
            except (OSError, ValueError):
                return  # the app is gone
            if closing and not self.answers:
                return


def _portable(value: Any) -> Any:
    """A result the pipe can carry (plain values, engine Events); else None: "it worked" is all
    the app needs of it."""
    try:
        encode(value)
        return value
    except TypeError:
        return None


def serve(conn_in: Connection, conn_out: Connection) -> int:
    """The child's whole life: validate, wait for Go, build the session, run the loop."""

    def receive() -> Any:
        try:
            return conn_in.recv()
        except (EOFError, OSError):
            return None

    opened = receive()
    if not isinstance(opened, Open):
        return 0
    from genstep.tui.run.build import build, validate

    try:
        scenario = validate(opened.name, opened.overrides)
    except Exception as exc:  # noqa: BLE001 - the reason goes to the app, one line
        conn_out.send(Invalid(str(exc) or type(exc).__name__))
        return 0
    conn_out.send(Valid(scenario.model_dump(mode="json")))  # the app re-validates it when it needs it
    if not isinstance(receive(), Go):
        return 0
    try:
        _, run = build(opened.name, opened.seed, opened.device, autoplay=opened.autoplay, scenario=scenario)
    except Exception as exc:  # noqa: BLE001 - e.g. cuda asked for and missing
        conn_out.send(Failed(str(exc) or type(exc).__name__))
        return 0
    import torch

    outbox = _Outbox(conn_out)
    run.watch(outbox.publish)
    conn_out.send(Loaded(run.session.device, run.device_reason, run.speed, torch.get_num_threads()))

    def read() -> None:
        while isinstance(message := receive(), Call):  # anything else is Stop (or the app left)

            def answer(future: Future, ident: int = message.ident) -> None:
                error = future.exception()
                outbox.answer(Answer(ident, _portable(future.result())) if error is None
                              else Answer(ident, error=str(error) or type(error).__name__))

            try:
                run.call(message.op, *message.args).add_done_callback(answer)
            except KeyError:
                outbox.answer(Answer(message.ident, error=f"unknown request {message.op!r}"))
        run.stop()

    threading.Thread(target=read, name="genstep-inbox", daemon=True).start()
    run.run()
    outbox.close(Bye())
    return 0


def main(argv: list[str]) -> int:
    conn_in, conn_out = Connection(int(argv[0])), Connection(int(argv[1]))
    try:
        return serve(conn_in, conn_out)
    finally:
        conn_out.close()


if __name__ == "__main__":
    code = main(sys.argv[1:])
    # all is said (Bye); skip the interpreter's teardown, which with torch loaded took 2-5 s of a
    # loaded 2-core machine and so held up the app's quit (it waits for this process to end)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
