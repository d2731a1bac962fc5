"""Scenario files: TOML parsed into validated, typed sections.

Unknown keys, wrong types and out-of-range values are errors naming the file, the dotted field
path and what was expected. Dotted overrides (`model.hidden=64`) are applied to the raw table and
go through the same validation, so an override can never do what a file could not.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

LOSSES = ("ns", "minimax", "lsgan", "wasserstein", "wgan-gp")
OPTIMIZERS = ("adam", "rmsprop", "sgd")


MAX_TOML_BYTES = 4 << 20  # a scenario is a few KB; refuse anything bigger than this instead of reading on
_SHOW = 60  # user-supplied text (keys, values, overrides) is quoted up to this many characters in messages


def one_line(text: str) -> str:
    """`text` with every line break and control character escaped, so a message is always one line."""
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in str(text))


def shorten(text: str, limit: int = _SHOW) -> str:
    text = str(text)
    return text if len(text) <= limit else f"{text[:limit]}...({len(text)} chars)"


class ScenarioError(ValueError):
    """A scenario that cannot be used; the message names the file, the field and what was expected.

    The message is always one line: whatever it quotes from the user is escaped by `one_line`."""

    def __init__(self, message: str = ""):
        super().__init__(one_line(message))


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

# ---- models and training ------------------------------------------------------------------


class GanModel(_Strict):
    generator: Literal["mlp", "shift"] = "mlp"
    hidden: Annotated[int, Field(ge=1, le=4096)] = 128
    depth: Annotated[int, Field(ge=1, le=8)] = 2
    critic_hidden: Annotated[int, Field(ge=1, le=4096)] | None = None
    critic_depth: Annotated[int, Field(ge=1, le=8)] | None = None
    noise_dim: Annotated[int, Field(ge=1, le=256)] = 2
    theta0: Finite = 1.0  # shift generator only: where theta starts


class GanTrain(_Strict):
    loss: Literal["ns", "minimax", "lsgan", "wasserstein", "wgan-gp"] = "ns"
    lr_g: Annotated[float, Field(gt=0, le=10)] = 1e-3
    lr_d: Annotated[float, Field(gt=0, le=10)] = 1e-3
    opt_g: Literal["adam", "rmsprop", "sgd"] = "adam"
    opt_d: Literal["adam", "rmsprop", "sgd"] = "adam"
    betas: tuple[Annotated[float, Field(ge=0, lt=1)], Annotated[float, Field(ge=0, lt=1)]] = (0.5, 0.999)
    n_critic: Annotated[int, Field(ge=1, le=100)] = 1
    d_warmup: Annotated[int, Field(ge=0, le=100000)] = 0  # critic steps before the first G step
    clip: Annotated[float, Field(gt=0, le=100)] = 0.01
    gp: Annotated[float, Field(ge=0, le=1000)] = 10.0


class VaeModel(_Strict):
    latent: Annotated[int, Field(ge=1, le=64)] = 2
    hidden: Annotated[int, Field(ge=1, le=4096)] = 128
    depth: Annotated[int, Field(ge=1, le=8)] = 2
    decoder: Literal["gaussian", "autoregressive"] = "gaussian"
    decoder_sd: Annotated[float, Field(gt=0, le=100)] = 1.0  # Gaussian decoder's noise scale
    learn_sd: bool = False  # learn the decoder's noise scale instead of fixing it
    components: Annotated[int, Field(ge=1, le=64)] = 8  # autoregressive mixture decoder


class VaeTrain(_Strict):
    lr: Annotated[float, Field(gt=0, le=10)] = 1e-3
    optimizer: Literal["adam", "rmsprop", "sgd"] = "adam"
    beta: Annotated[float, Field(ge=0, le=100)] = 1.0
    free_bits: Annotated[float, Field(ge=0, le=100)] = 0.0  # nats per latent dimension
    warmup: Annotated[int, Field(ge=0, le=10_000_000)] = 0  # steps over which beta ramps from 0


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


class GanScenario(_ScenarioBase):
    family: Literal["gan"]
    model: GanModel = GanModel()
    train: GanTrain = GanTrain()


class VaeScenario(_ScenarioBase):
    family: Literal["vae"]
    model: VaeModel = VaeModel()
    train: VaeTrain = VaeTrain()


class _Root(BaseModel):
    scenario: Annotated[Union[GanScenario, VaeScenario], Field(discriminator="family")]


Scenario = Union[GanScenario, VaeScenario]
_TAGS = {"gan", "vae", "ring", "grid", "moons", "swissroll", "lines", "csv"}


def _describe(err: dict) -> str:
    loc = [shorten(p) for p in err["loc"][1:] if str(p) not in _TAGS]  # drop root and union tags
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


def _show(value) -> str:
    """repr(value), shortened; huge ints are not spelled out (and may exceed int->str limits)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"an integer of about {int(value.bit_length() * 0.30103)} digits"
    return shorten(repr(value))


def validate(raw: dict, source: str) -> Scenario:
    """Validate a raw table; every problem becomes one ScenarioError naming file and field."""
    try:
        sc = _Root.model_validate({"scenario": raw}).scenario
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
                spec.choices = list(LOSSES) if name == "loss" else [default]
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


def _check_lesson(sc: Scenario, source: str) -> None:
    from engine.knobs import parse_assignment  # late: knobs imports this module

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
