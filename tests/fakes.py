"""A numpy-only stand-in for the engine's Scenario/Session, with the same methods and Frames, and
the few Pilot helpers the app tests share (at the end).

Deterministic: every Frame is a pure function of (scenario, seed, step, knob events), so the app
can be tested (and snapshotted) without torch. Three families, like the shipped lessons:
"fake-gan" (a ring of 8 modes collapsing), "fake-disjoint" (theta walking to 0), "fake-vae".
Setting lr_g above 0.05 makes the next step diverge, as the real engine reports it: the session stays
at its last good step with status "diverged" until a knob changes or it is rewound.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

import numpy as np

from genstep.engine.families.gan import GanPayload, ThetaLandscape
from genstep.engine.families.vae import VaePayload
from genstep.engine.frame import Curve, Event, Frame, Note

CHECKPOINT_EVERY = 100


class KnobError(ValueError):
    """A refused knob value (the message says why and gives the range)."""


class ScenarioError(ValueError):
    """An unknown scenario."""


@dataclass
class KnobSpec:
    name: str
    kind: str  # "float" | "int" | "choice"
    min: float | None = None
    max: float | None = None
    step: float = 1
    log: bool = False
    choices: list[str] = field(default_factory=list)
    help: str = ""
    default: float | int | str = 0


@dataclass
class Lesson:
    title: str
    summary: str
    watch: str
    steps: int
    cure: list[str]
    cure_steps: int
    notes: list = field(default_factory=list)


@dataclass
class Scenario:
    name: str
    family: str
    lesson: Lesson
    knobs: dict[str, KnobSpec]


def _knobs(family: str) -> dict[str, KnobSpec]:
    if family == "vae":
        specs = [
            KnobSpec("beta", "float", 0.0, 10.0, 2.0, True, help="weight of the KL term", default=1.0),
            KnobSpec("free_bits", "float", 0.0, 2.0, 0.1, help="nats per dim", default=0.0),
        ]
    else:
        specs = [
            KnobSpec("lr_g", "float", 1e-5, 1.0, 2.0, True, help="generator lr", default=1e-3),
            KnobSpec("n_critic", "int", 1, 10, 1, help="critic steps per step", default=1),
            KnobSpec("loss", "choice", choices=["ns", "minimax", "wgan-gp"], default="ns"),
        ]
    return {k.name: k for k in specs}


SCENARIOS = {
    "fake-gan": ("gan", "Mode collapse (fake)"),
    "fake-disjoint": ("disjoint", "Disjoint supports (fake)"),
    "fake-vae": ("vae", "Posterior collapse (fake)"),
}


def load_scenario(name: str, overrides=()) -> Scenario:
    if name not in SCENARIOS:
        raise ScenarioError(f"unknown scenario {name!r}; try one of {', '.join(SCENARIOS)}")
    family, title = SCENARIOS[name]
    cure = ["beta=0.1"] if family == "vae" else ["loss=wgan-gp", "n_critic=5"]
    lesson = Lesson(title, f"What {title} shows.", "Watch the yellow points.", 1000, cure, 300)
    return Scenario(name, family, lesson, _knobs(family))


class FakeSession:
    def __init__(self, scenario: Scenario, seed: int = 0, device: str = "auto") -> None:
        self.scenario = scenario
        self.device = "cpu" if device == "auto" else device
        self.device_reason = "cpu: the fake engine has no GPU"
        self.seed = seed
        self.rewind_s = 0.0  # a slow rewind (seconds), for tests that quit in the middle of one
        self.reset()

    # -- the Session API --------------------------------------------------------------------

    def reset(self) -> None:
        self.steps = 0
        self.events: list[Event] = []
        self.knob_values = {k: s.default for k, s in self.scenario.knobs.items()}
        self.status, self.message = "ok", ""

    def reseed(self, seed: int) -> None:
        self.seed = seed
        self.reset()

    def step(self, n: int = 1) -> int:
        if self.status != "ok":
            return 0
        if float(self.knob_values.get("lr_g", 0)) > 0.05:
            self.status = "diverged"
            self.message = (f"loss_d became nan at step {self.steps + 1}; "
                            f"stopped at step {self.steps}, the last good state")
            return 0
        self.steps += n
        return n

    def _check(self, knob: str, value):
        spec = self.scenario.knobs.get(knob)
        if spec is None:
            raise KnobError(f"no knob {knob!r} in this scenario")
        if spec.kind == "choice":
            if value not in spec.choices:
                raise KnobError(f"{knob}: expected one of {', '.join(spec.choices)}, got {value!r}")
            return value
        try:
            v = int(value) if spec.kind == "int" else float(value)
        except (ValueError, OverflowError):  # like the engine, the refusal quotes what was typed
            raise KnobError(f"{knob}: expected a number, got {value!r}") from None
        if not spec.min <= v <= spec.max:
            raise KnobError(f"{knob}={value} is out of range [{spec.min:g}, {spec.max:g}]")
        return v

    def set(self, knob: str, value) -> Event:
        new = self._check(knob, value)
        if self.status == "diverged":
            self.status, self.message = "ok", ""
        ev = Event(self.steps, knob, self.knob_values[knob], new)
        self.knob_values[knob] = new
        self.events.append(ev)
        return ev

    def bump(self, knob: str, direction: int) -> Event:
        spec, old = self.scenario.knobs[knob], self.knob_values[knob]
        if spec.kind == "choice":
            i = spec.choices.index(old)
            return self.set(knob, spec.choices[(i + direction) % len(spec.choices)])
        new = old * spec.step**direction if spec.log else old + direction * spec.step
        return self.set(knob, min(max(new, spec.min), spec.max))

    @property
    def checkpoint_steps(self) -> list[int]:
        return list(range(0, self.steps + 1, CHECKPOINT_EVERY))

    def rewind(self, step: int) -> int:
        time.sleep(self.rewind_s)
        step = max(0, min(step, self.steps))
        self.steps = step
        self.events = [e for e in self.events if e.step < step]
        self.knob_values = {k: s.default for k, s in self.scenario.knobs.items()}
        for e in self.events:
            self.knob_values[e.knob] = e.new
        self.status, self.message = "ok", ""
        return step

    def write_metrics(self, path) -> None:
        f = self.frame()
        first = next(iter(f.history.values()))
        with open(path, "w") as out:
            for i, s in enumerate(first.steps):
                row = {"step": int(s)}
                row.update({k: float(c.values[i]) for k, c in f.history.items()})
                out.write(json.dumps(row) + "\n")

    def frame(self) -> Frame:
        return fake_frame(self.scenario, self.seed, self.steps, self.knob_values, self.events,
                          self.status, self.message, self.device)


def fake_frame(scenario: Scenario, seed=0, step=0, knobs=None, events=(), status="ok",
               message="", device="cpu") -> Frame:
    """A deterministic Frame for `scenario` at `step` (also used to feed snapshot tests)."""
    knobs = knobs or {k: s.default for k, s in scenario.knobs.items()}
    rng = np.random.default_rng(seed)
    fam = scenario.family
    t = 1 - np.exp(-step / 400)  # progress 0 -> 1
    hs = np.linspace(0, step, min(step + 1, 200))
    curve = lambda f: Curve(hs, f(hs).astype(np.float32))  # noqa: E731
    ang = np.arange(8) * np.pi / 4
    centres = np.stack([2 * np.cos(ang), 2 * np.sin(ang)], 1)
    labels = rng.integers(0, 8, 600)
    real = (centres[labels] + rng.normal(0, 0.05, (600, 2))).astype(np.float32)
    noise = rng.normal(0, 1, (600, 2))
    notes = (Note(200, "Two modes left: the generator found a safe bet.", "step 200"),) if step >= 200 else ()
    common = dict(step=step, scenario=scenario.name, title=scenario.lesson.title, device=device,
                  seed=seed, status=status, knobs=dict(knobs), events=tuple(events),
                  notes=notes, message=message, bounds=(-3.0, 3.0, -3.0, 3.0))
    if fam == "vae":
        recon = (real * (1 - 0.8 * t)).astype(np.float32)
        latent = (noise * 0.3 + centres[labels] * (1 - t) * 0.5).astype(np.float32)
        kl = np.array([2.0 * (1 - t), 1.5 * (1 - t), 0.01, 0.0], np.float32)
        hist = {"loss": curve(lambda s: 3 - np.log1p(s) / 4), "recon": curve(lambda s: 2.5 - np.log1p(s) / 5),
                "kl": curve(lambda s: 1.2 * np.exp(-s / 300)), "mi": curve(lambda s: 0.8 * np.exp(-s / 250))}
        metrics = {k: float(c.values[-1]) for k, c in hist.items()} | {"active_units": float((kl > 0.1).sum())}
        return Frame(family="vae", metrics=metrics, real=real, real_labels=labels,
                     fake=noise.astype(np.float32) * 1.5,
                     payload=VaePayload(recon=recon, latent=latent, kl_per_dim=kl), history=hist, **common)
    kept = 8 - int(6 * t)
    fake = (centres[np.arange(600) % kept] * t + noise * (1 - t) * 0.8).astype(np.float32)
    xx, yy = np.meshgrid(np.linspace(-3, 3, 48), np.linspace(-3, 3, 48))
    heat = np.tanh(np.cos(xx + step / 200) * np.sin(yy)).astype(np.float32)
    hist = {"loss_d": curve(lambda s: 1.2 + 0.2 * np.sin(s / 40) * np.exp(-s / 500)),
            "loss_g": curve(lambda s: 0.7 + np.log1p(s) / 8),
            "js_grid": curve(lambda s: 0.69 * np.exp(-s / 600)), "w1": curve(lambda s: 1.5 * np.exp(-s / 500))}
    metrics = {k: float(c.values[-1]) for k, c in hist.items()} | {"modes": float(kept), "modes_total": 8.0,
                                                                 "hq": float(0.5 + 0.4 * t)}
    extra, view = {}, ""
    if fam == "disjoint":
        view = "gan-disjoint"
        theta = float(1.5 * (1 - t))
        grid = np.linspace(-2, 2, 81)
        extra["theta"] = ThetaLandscape(grid, np.where(np.abs(grid) < 1e-9, 0.0, np.log(2)), np.abs(grid), theta)
        ys = rng.uniform(0, 1, 300)
        real = np.stack([np.zeros(300), ys], 1).astype(np.float32)
        fake = np.stack([np.full(300, theta), ys], 1).astype(np.float32)
        hist["w1_true"] = curve(lambda s: 1.5 * np.exp(-s / 400))
        hist["js_true"] = curve(lambda s: np.full_like(s, np.log(2)))
        hist["theta"] = curve(lambda s: 1.5 * np.exp(-s / 400))
        hist["grad_theta"] = curve(lambda s: 1e-4 * np.exp(s / 60))
        metrics |= {"theta": theta, "grad_theta": float(hist["grad_theta"].values[-1])}
        common["bounds"] = (-2.0, 2.0, -0.5, 1.5)
        labels = None
    arrows = np.concatenate([fake[:40], -fake[:40] * 0.1], axis=1)
    payload = GanPayload(heat=heat, arrows=arrows, mode_centres=centres, captured=np.arange(8) < kept, **extra)
    return Frame(family="gan", metrics=metrics, real=real, real_labels=labels, fake=fake, payload=payload,
                 view=view, history=hist, **common)


class FakeFactory:
    """What the app is handed instead of the engine: opens fake sessions, lists fake scenarios."""

    def __init__(self, start_step: int = 0) -> None:
        self.opened: list[FakeSession] = []
        self.start_step = start_step  # sessions open already this far (for fixed snapshots)

    def scenarios(self) -> list[tuple[str, str]]:
        return [(name, title) for name, (_, title) in SCENARIOS.items()]

    def summaries(self) -> dict[str, str]:
        return {name: load_scenario(name).lesson.summary for name in SCENARIOS}

    def __call__(self, name: str, seed: int = 0, device: str = "auto", overrides=()):
        sc = load_scenario(name, overrides)
        session = FakeSession(sc, seed, device)
        session.step(self.start_step)
        self.opened.append(session)
        return sc, session


# -- helpers the app tests share (Pilot) ------------------------------------------------------


def aio(test):
    """Run an async test in its own event loop (no pytest-asyncio needed)."""
    import asyncio
    import functools

    @functools.wraps(test)
    def run(*args, **kwargs):
        asyncio.run(test(*args, **kwargs))

    return run


async def until(pilot, condition, timeout=5.0, every=0.02):
    """Let the app run until `condition()` holds (the worker and the poll timer are real)."""
    for _ in range(int(timeout / every)):
        if condition():
            return
        await pilot.pause(every)
    raise AssertionError("timed out waiting for the app")


async def open_dashboard(pilot, timeout=5.0):
    """Wait for the lesson to load and its first frame to arrive; returns the dashboard."""
    from genstep.tui.screens.dashboard import DashboardScreen

    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, DashboardScreen) and app.screen.frame is not None,
                timeout=timeout)
    return app.screen


def screen_text(app) -> str:
    """The top screen as plain text, line by line: what a user reads there now."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())
