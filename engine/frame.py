"""What the engine hands to anyone who draws: plain numpy arrays, floats and strings.

A Frame is a side-effect-free probe of a Session at one step. Nothing in it is a tensor,
so the TUI (or a test, or a script) can hold on to it without touching torch.

Coordinates: every 2D array of points is (N, 2) float32 in data space, x then y.
`bounds` = (xmin, xmax, ymin, ymax) is the extent the picture should show.
Every Frame has the common fields below; what only one family has (a critic's heat map, a VAE's
latent codes, ...) is that family's `payload`, a frozen dataclass its spec declares.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


SUBSTEP = "substep"  # the `knob` of an Event that is a sub-step: one player updated alone


@dataclass(frozen=True)
class Event:
    """A knob change: applied after `step` completed steps, before the next one.

    Or a sub-step (`knob` == SUBSTEP, `new` the player, e.g. "critic"; `old` None): one update of
    one player alone, taken at that point. Both are replayed by rewind in the order they happened."""

    step: int
    knob: str
    old: float | int | str | None
    new: float | int | str

    def as_dict(self) -> dict:
        return {"step": self.step, "knob": self.knob, "old": self.old, "new": self.new}


@dataclass(frozen=True)
class Note:
    """A lesson note that fired at `step` (by step number or by a metric condition)."""

    step: int
    text: str
    trigger: str  # e.g. "step 500" or "modes <= 2"


@dataclass(frozen=True)
class Curve:
    """One metric's history: steps and values, both 1-D and of equal length (downsampled)."""

    steps: np.ndarray
    values: np.ndarray


@dataclass(frozen=True)
class Frame:
    step: int
    scenario: str
    title: str
    family: str  # the registered family's name ("gan", "vae", ...)
    device: str
    seed: int
    status: str  # "ok" | "diverged"
    metrics: dict[str, float]  # latest value of every metric (cheap and sample-based)
    knobs: dict[str, float | int | str]  # current knob values
    bounds: tuple[float, float, float, float]
    real: np.ndarray  # data samples (N, 2)
    fake: np.ndarray  # generated samples from fixed probe noise (N, 2); VAE: prior samples
    real_labels: np.ndarray | None = None  # (N,) int cluster of each real point, if known
    payload: Any = None  # the family's own arrays (its spec's payload dataclass), or None
    view: str = ""  # the registered view that draws this frame ("" = the family's own)
    history: dict[str, Curve] = field(default_factory=dict)
    events: tuple[Event, ...] = ()
    notes: tuple[Note, ...] = ()  # every note fired so far, oldest first
    message: str = ""  # e.g. why the run stopped ("loss_d became nan at step 812")
    # comparison (the app's forked branches): this frame's branch, and every branch's frame
    branch: str = ""  # e.g. "fork 1 @300: beta=0.2" ("" for a run that was never forked)
    branches: tuple = ()  # every branch's Frame, this one's among them, when the run has forks
    selected: int = 0  # which of `branches` this frame is (the one the knob keys act on)
    updates: dict[str, int] = field(default_factory=dict)  # updates per player so far, sub-steps
    # included, by the player's short label ({"D": 6170, "G": 1234}); empty when the family has none


def record_types() -> dict[str, type]:
    """Every dataclass a Frame may contain, by class name: the common records here and each
    registered family's payload (what the app's pipe may rebuild; nothing else is)."""
    from genstep.engine.families import FAMILIES

    out: dict[str, type] = {c.__name__: c for c in (Frame, Curve, Event, Note)}
    for spec in FAMILIES.values():
        for cls in ((spec.payload,) if spec.payload else ()) + tuple(spec.records):
            out.setdefault(cls.__name__, cls)
    return out
