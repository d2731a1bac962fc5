"""The family registry: what a method family declares, and where it is found by name.

A family is the unit of extension. Its spec, registered here, owns the `[model]` and `[train]`
sections of a scenario (pydantic models; every `[train]` field can be exposed as a knob), the
typed payload it adds to every Frame (a frozen dataclass of numpy arrays and floats), its metric
names with one glossary line each, and a `build` function that makes the torch side (a
`engine.families.base.Family`). Nothing else in the engine or the app names a family: the scenario
schema, `Session.frame`, the pipe's record list, the metric glossary and the app's views are all
derived from this registry.

This module and every family's spec module are free of torch, so validating a scenario (the app's
first moments) never waits for it; `build` imports the family's training code when called.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FamilySpec:
    name: str  # the scenario's `family = "..."`
    title: str  # one line, e.g. "adversarial (GAN, WGAN, WGAN-GP)"
    model: type  # pydantic model of the [model] section
    train: type  # pydantic model of the [train] section (its fields are the possible knobs)
    build: Callable[..., Any]  # (scenario, data, device, gen, probe_gen) -> Family
    payload: type | None = None  # the frozen dataclass each Frame carries as `payload`
    records: tuple[type, ...] = ()  # other dataclasses nested in the payload (sent over the app's pipe)
    metrics: dict[str, str] = field(default_factory=dict)  # metric name -> glossary line
    charts: dict[str, tuple[str, ...]] = field(default_factory=dict)  # `genstep plot`: title -> metrics
    counts: tuple[str, ...] = ()  # metrics that are whole numbers (integers in the --json summary)


FAMILIES: dict[str, FamilySpec] = {}


def register(spec: FamilySpec) -> FamilySpec:
    """Add (or replace) a family. Shipped families register on import of `engine.families`; a
    script or a test can register its own the same way before loading a scenario that uses it."""
    if not spec.name.replace("-", "_").isidentifier():
        raise ValueError(f"family name {spec.name!r}: expected letters, digits, - or _")
    FAMILIES[spec.name] = spec
    return spec


def unregister(name: str) -> None:
    FAMILIES.pop(name, None)


def glossary() -> dict[str, str]:
    """Every registered family's metrics, first definition wins (shared names mean the same)."""
    out: dict[str, str] = {}
    for spec in FAMILIES.values():
        for name, line in spec.metrics.items():
            out.setdefault(name, line)
    return out


def chart_groups() -> dict[str, tuple[str, ...]]:
    """`genstep plot`'s charts: every family's groups, merged by title in registry order."""
    out: dict[str, list[str]] = {}
    for spec in FAMILIES.values():
        for title, names in spec.charts.items():
            group = out.setdefault(title, [])
            group.extend(n for n in names if n not in group)
    return {title: tuple(names) for title, names in out.items()}
