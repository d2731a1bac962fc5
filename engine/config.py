"""Scenario files: TOML parsed into validated, typed sections.

Unknown keys, wrong types and out-of-range values are errors naming the file, the dotted field
path and what was expected. Dotted overrides (`model.hidden=64`) are applied to the raw table and
go through the same validation, so an override can never do what a file could not.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator, model_validator

from genstep.engine.errors import ScenarioError, one_line, shorten, show as _show
from genstep.engine.knobs import parse_assignment

MAX_TOML_BYTES = 4 << 20  # a scenario is a few KB; refuse anything bigger than this instead of reading on


class _Strict(BaseModel):
    # allow_inf_nan=False: NaN and inf are refused as "not a finite number" before any range check
    # (NaN fails every comparison, so it would otherwise read "should be <= 10 (got nan)")
    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


PosFloat = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegFloat = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Finite = Annotated[float, Field(allow_inf_nan=False)]

# ---- data ---------------------------------------------------------------------------------


class RingData(_Strict):
    kind: Literal["ring"]
    n_modes: Annotated[int, Field(ge=2, le=64)] = 8
    radius: Annotated[float, Field(gt=0, le=100)] = 2.0
    sd: Annotated[float, Field(gt=0, le=10)] = 0.02
    batch: Annotated[int, Field(ge=1, le=65536)] = 256


class GridData(_Strict):
    kind: Literal["grid"]
    size: Annotated[int, Field(ge=2, le=10)] = 5
    spacing: Annotated[float, Field(gt=0, le=100)] = 2.0
    sd: Annotated[float, Field(gt=0, le=10)] = 0.05
    batch: Annotated[int, Field(ge=1, le=65536)] = 256


class NoisyShapeData(_Strict):
    kind: Literal["moons", "swissroll"]
    noise: Annotated[float, Field(ge=0, le=10)] = 0.05
    batch: Annotated[int, Field(ge=1, le=65536)] = 256


class LinesData(_Strict):
    kind: Literal["lines"]
    batch: Annotated[int, Field(ge=1, le=65536)] = 256


class CsvData(_Strict):
    kind: Literal["csv"]
    path: Annotated[str, Field(min_length=1)]
    standardize: bool = True
    batch: Annotated[int, Field(ge=1, le=65536)] = 256
    resolved_path: str = Field(default="", exclude=True)


DataCfg = Annotated[
    Union[RingData, GridData, NoisyShapeData, LinesData, CsvData], Field(discriminator="kind")
]

# ---- probing ------------------------------------------------------------------------------


class Probe(_Strict):
    samples: Annotated[int, Field(ge=100, le=100_000)] = 2500
    every: Annotated[int, Field(ge=1, le=100_000)] = 100  # sample-based metrics cadence (steps)
    heat: Annotated[int, Field(ge=4, le=256)] = 48  # heat map resolution per side
    arrows: Annotated[int, Field(ge=0, le=2500)] = 64
    w1_points: Annotated[int, Field(ge=10, le=2000)] = 400
    checkpoint_every: Annotated[int, Field(ge=1, le=100_000)] = 100
    history: Annotated[int, Field(ge=64, le=1_000_000)] = 4096  # points kept per curve


# ---- knobs and lesson -----------------------------------------------------------------------


class KnobSpec(_Strict):
    """A knob the scenario exposes: its range, step and what it does."""

    min: Finite | None = None
    max: Finite | None = None
    step: PosFloat | None = None
    log: bool = False  # +/- multiply/divide by `step` instead of adding it
    choices: list[str] | None = None
    help: str = ""
    # filled from the training section when the scenario is loaded
    name: str = Field(default="", exclude=True)
    kind: str = Field(default="", exclude=True)
    default: float | int | str | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _range(self):
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        if self.log and self.step is not None and self.step <= 1:
            raise ValueError("a log knob's step is a factor and must be > 1")
        return self


_COND = re.compile(r"^\s*([a-z_][a-z0-9_]*)\s*(<=|>=|==|!=|<|>)\s*([-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)\s*$")


class LessonNote(_Strict):
    text: Annotated[str, Field(min_length=1)]
    at_step: Annotated[int, Field(ge=0)] | None = None
    when: str | None = None  # "metric op number", e.g. "modes <= 2"

    @field_validator("when")
    @classmethod
    def _cond(cls, v):
        if v is not None and not _COND.match(v):
            raise ValueError('expected a condition "metric op number", e.g. "modes <= 2" (op: < <= > >= == !=)')
        return v

    @model_validator(mode="after")
    def _one_trigger(self):
        if (self.at_step is None) == (self.when is None):
            raise ValueError("a note needs exactly one of at_step or when")
        return self

    def condition(self) -> tuple[str, str, float] | None:
        if self.when is None:
            return None
        m = _COND.match(self.when)
        return m.group(1), m.group(2), float(m.group(3))


class Lesson(_Strict):
    title: Annotated[str, Field(min_length=1)]
    summary: str = ""
    watch: str = ""
    steps: Annotated[int, Field(ge=1, le=10_000_000)] = 2000
    cure: list[str] = []
    cure_steps: Annotated[int, Field(ge=0, le=10_000_000)] = 0
    why: str = ""  # why the cure works, in the lecture's terms
    notes: list[LessonNote] = []


# ---- the scenario ---------------------------------------------------------------------------


class _ScenarioBase(_Strict):
    name: str = ""
    data: DataCfg
    probe: Probe = Probe()
    knobs: dict[str, KnobSpec] = {}
    lesson: Lesson


Scenario = _ScenarioBase  # every family's scenario class derives from it (see _root below)
_ROOTS: dict[tuple, type[BaseModel]] = {}


def _root() -> type[BaseModel]:
    """The validating model for the registered families: a union tagged by `family`, one member per
    family, whose `model` and `train` sections are the family's own. Rebuilt when the registry
    changes (a test or a script may register a family of its own)."""
    from genstep.engine.families import FAMILIES

    key = tuple((name, id(spec)) for name, spec in FAMILIES.items())
    root = _ROOTS.get(key)
    if root is None:
        members = tuple(
            create_model(f"{name.title().replace('-', '').replace('_', '')}Scenario", __base__=_ScenarioBase,
                         family=(Literal[name], ...),
                         model=(spec.model, Field(default_factory=spec.model)),
                         train=(spec.train, Field(default_factory=spec.train)))
            for name, spec in FAMILIES.items())
        union = Union[members] if len(members) > 1 else members[0]
        root = create_model("_Root", scenario=(Annotated[union, Field(discriminator="family")], ...))
        _ROOTS.clear()
        _ROOTS[key] = root
    return root


def _tags() -> set[str]:
    """Union tags pydantic puts in an error's location: family names and data kinds, never fields."""
    from genstep.engine.families import FAMILIES

    kinds = {k for cfg in DataCfg.__args__[0].__args__ for k in cfg.model_fields["kind"].annotation.__args__}
    return set(FAMILIES) | kinds


def _describe(err: dict) -> str:
    tags = _tags()
    loc = [shorten(p) for p in err["loc"][1:] if str(p) not in tags]  # drop root and union tags
    where = ".".join(loc) or "(top level)"
    kind, msg = err["type"], err["msg"]
    if kind == "extra_forbidden":
        return f"{where}: unknown key"
    if kind == "missing":
        return f"{where}: required field is missing"
    if kind == "union_tag_not_found":
        key = err.get("ctx", {}).get("discriminator", "").strip("'")
        field = ".".join(loc + [key]) if key else where
        return f"{field}: required field is missing"
    if kind == "union_tag_invalid":
        ctx = err.get("ctx", {})
        if not loc:  # the top level's tag: name the key itself (family)
            where = ctx.get("discriminator", "").strip("'") or where
        return f"{where}: expected one of {ctx.get('expected_tags', '')}, got {shorten(repr(ctx.get('tag')))}"
    got = err.get("input")
    got_s = "" if isinstance(got, (dict, list)) else f" (got {_show(got)})"
    return f"{where}: {msg[0].lower() + msg[1:]}{got_s}"


def validate(raw: dict, source: str) -> Scenario:
    """Validate a raw table; every problem becomes one ScenarioError naming file and field."""
    try:
        sc = _root().model_validate({"scenario": raw}).scenario
    except ValidationError as e:
        errs = e.errors()
        first = _describe(errs[0])
        more = f" (and {len(errs) - 1} more problem{'s' if len(errs) > 2 else ''})" if len(errs) > 1 else ""
        raise ScenarioError(f"{source}: {first}{more}") from None
    _bind_knobs(sc, source)
    _check_lesson(sc, source)
    return sc


def _bind_knobs(sc: Scenario, source: str) -> None:
    train = sc.train
    for name, spec in sc.knobs.items():
        if name not in type(train).model_fields:
            allowed = ", ".join(type(train).model_fields)
            raise ScenarioError(f"{source}: knobs.{shorten(name)}: not a training setting of this family (one of: {allowed})")
        filled = {"name", "kind", "default"} & spec.model_fields_set  # filled in here, never from the file
        if filled:
            raise ScenarioError(f"{source}: knobs.{name}.{min(filled)}: unknown key (the default comes from train.{name})")
        default = getattr(train, name)
        if isinstance(default, bool) or not isinstance(default, (int, float, str)):
            raise ScenarioError(f"{source}: knobs.{name}: only numbers and choices can be knobs")
        spec.name = name
        spec.default = default
        if isinstance(default, str):
            spec.kind = "choice"
            if spec.choices is None:
                spec.choices = _choices(type(train).model_fields[name].annotation) or [default]
            if default not in spec.choices:
                raise ScenarioError(f"{source}: knobs.{name}.choices: must include the default {default!r}")
        else:
            spec.kind = "int" if isinstance(default, int) else "float"
            lo = spec.min if spec.min is not None else -math.inf
            hi = spec.max if spec.max is not None else math.inf
            if not lo <= default <= hi:
                raise ScenarioError(f"{source}: train.{name}: {default} is outside the knob's range [{spec.min}, {spec.max}]")
            if spec.step is None:
                spec.step = 1 if spec.kind == "int" else (2.0 if spec.log else abs(default) / 10 or 0.1)


def _choices(annotation) -> list[str]:
    """The values of a Literal[...] field (a choice knob's default list), else []."""
    if getattr(annotation, "__origin__", None) is Literal:
        return [str(a) for a in annotation.__args__]
    return []


def _check_lesson(sc: Scenario, source: str) -> None:
    for i, text in enumerate(sc.lesson.cure):
        try:
            name, value = parse_assignment(text)
            coerce_knob(sc, name, value)
        except ScenarioError as e:
            raise ScenarioError(f"{source}: lesson.cure[{i}]: {e}") from None


def coerce_knob(sc: Scenario, name: str, value) -> float | int | str:
    """Check a knob value against the scenario's declared range; return it typed."""
    spec = sc.knobs.get(name)
    if spec is None:
        names = ", ".join(sc.knobs) or "none"
        raise ScenarioError(f"unknown knob {name!r} (this scenario's knobs: {names})")
    if spec.kind == "choice":
        v = str(value).strip()
        if v not in spec.choices:
            raise ScenarioError(f"{name}: expected one of {', '.join(spec.choices)}, got {_show(v)}")
        return v
    try:
        if isinstance(value, str):
            v = float(value.strip())
        elif isinstance(value, bool):
            raise ValueError
        else:
            v = float(value)
    except (ValueError, TypeError, OverflowError):
        raise ScenarioError(f"{name}: expected a number, got {_show(value)}") from None
    if not math.isfinite(v):
        raise ScenarioError(f"{name}: expected a finite number, got {_show(value)}")
    if spec.kind == "int":
        if v != int(v):
            raise ScenarioError(f"{name}: expected a whole number, got {_show(value)}")
        v = int(v)
    lo, hi = spec.min, spec.max
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        bound = lambda b, inf: inf if b is None else f"{b:g}"  # noqa: E731 - an open end of the range
        raise ScenarioError(f"{name}: {v:g} is out of range [{bound(lo, '-inf')}, {bound(hi, 'inf')}]")
    try:  # the training section's own bounds too
        setattr(sc.train.model_copy(), name, v)
    except ValidationError as e:
        raise ScenarioError(f"{name}: {e.errors()[0]['msg'].lower()} (got {v:g})") from None
    return v


# ---- loading ----------------------------------------------------------------------------------
