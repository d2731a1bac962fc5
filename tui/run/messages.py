"""The messages between the app and its training process: dataclasses, sent as plain data.

`tui.pipe` carries any dataclass whose class is listed by `message_types()` as a record of its
fields (and refuses every other name), so a message is never code. A conversation:

    app -> child   Open  then  Go  (or Stop)
                   Call ...  Stop
    child -> app   Valid (the scenario as plain data) or Invalid, after validating the scenario
                   Loaded or Failed, after building the Session (torch is imported then)
                   State (a RunState, with the Frame when there is a new one)  Answer ...  Bye

The child validates at once, so `genstep tui bad.toml` fails with one line before any window opens,
and builds the Session only on Go, which the app sends after its first paint. Stdlib only: the
`Valid` answer must reach the app without numpy or torch being imported on either side.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from genstep.tui.run.handle import RunState

# -- app -> child ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Open:
    """Validate this lesson (and keep it for Go)."""

    name: str
    seed: int = 0
    device: str = "auto"
    overrides: tuple[str, ...] = ()
    autoplay: bool = False


@dataclass(frozen=True)
class Go:
    """Build the Session and start the loop."""


@dataclass(frozen=True)
class Call:
    """Run the request `op` (a name in `tui.run.local.OPS`) between two steps; answered by `ident`."""

    ident: int
    op: str
    args: tuple = ()


@dataclass(frozen=True)
class Stop:
    """Finish the current chunk of steps, say Bye and leave."""


# -- child -> app ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Valid:
    scenario: dict  # `Scenario.model_dump(mode="json")`; the app re-validates it when it needs it


@dataclass(frozen=True)
class Invalid:
    reason: str


@dataclass(frozen=True)
class Loaded:
    device: str
    device_reason: str
    speed: int
    threads: int  # torch's intra-op threads in the training process


@dataclass(frozen=True)
class Failed:
    reason: str  # e.g. cuda asked for and missing


@dataclass(frozen=True)
class State:
    state: RunState
    frame: Any = None  # the Frame of `state.version` when the app has not had it yet, else None


@dataclass(frozen=True)
class Answer:
    ident: int
    result: Any = None  # when `error` is empty; None also for results the pipe cannot carry
    error: str = field(default="")  # the refusal, when the request was refused


@dataclass(frozen=True)
class Bye:
    """The loop has stopped; nothing follows."""


_TYPES = (Open, Go, Call, Stop, Valid, Invalid, Loaded, Failed, State, Answer, Bye, RunState)


def message_types() -> dict[str, type]:
    """Every class the pipe may carry for the run, by name (the engine's Frame records aside)."""
    return {cls.__name__: cls for cls in _TYPES}
