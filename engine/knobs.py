"""Knobs: the training settings a scenario lets the user turn while it runs.

`knob=value` and `STEP:knob=value` are the textual forms used by `--at`, the lesson's `cure` list
and the app's dialog; all of them end in `config.coerce_knob`, so a value is checked the same way
wherever it comes from.
"""

from __future__ import annotations

import math
import re

from genstep.engine.errors import ScenarioError, shorten


class KnobError(ScenarioError):
    """A knob value that was refused; the message says why and what is allowed."""


def parse_assignment(text: str) -> tuple[str, str]:
    shown = shorten(repr(text))
    if "=" not in text:
        raise ScenarioError(f"{shown}: expected knob=value, e.g. beta=0.1")
    name, _, value = text.partition("=")
    name, value = name.strip(), value.strip()
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ScenarioError(f"{shown}: {shorten(repr(name))} is not a knob name")
    if not value:
        raise ScenarioError(f"{shown}: missing value after '='")
    return name, value


def parse_at(text: str) -> tuple[int, str, str]:
    """`3000:beta=0.1` -> (3000, "beta", "0.1")."""
    step, sep, rest = text.partition(":")
    shown = shorten(repr(text))
    if not sep:
        raise ScenarioError(f"--at {shown}: expected STEP:knob=value, e.g. 3000:beta=0.1")
    step = step.strip()
    if not re.fullmatch(r"[0-9]+", step):
        raise ScenarioError(f"--at {shown}: the step {shorten(repr(step))} is not a whole number >= 0")
    if len(step.lstrip("0")) > 18:  # also keeps int() clear of Python's 4300-digit limit
        raise ScenarioError(f"--at {shown}: the step is too large (at most 18 digits)")
    try:
        name, value = parse_assignment(rest)
    except ScenarioError as e:
        raise ScenarioError(f"--at {e}") from None
    return int(step.lstrip("0") or "0"), name, value


def bumped(spec, current, direction: int):
    """The value one step up (+1) or down (-1) from `current`, clamped to the range."""
    if spec.kind == "choice":
        i = spec.choices.index(current) if current in spec.choices else 0
        return spec.choices[(i + direction) % len(spec.choices)]
    if spec.log:
        v = current * spec.step if direction > 0 else current / spec.step
        v = float(f"{v:.6g}")
    else:
        v = current + direction * spec.step
        v = float(f"{v:.10g}")  # keep 0.1 + 0.2 from showing as 0.30000000000000004
    lo = spec.min if spec.min is not None else -math.inf
    hi = spec.max if spec.max is not None else math.inf
    v = min(max(v, lo), hi)
    return int(round(v)) if spec.kind == "int" else v
