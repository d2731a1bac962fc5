"""A Session: one training run you can step, probe, steer, rewind and reset.

Determinism is the contract: a Session draws every random number (data, noise, init) from its
own torch.Generator, so the same scenario, seed and knob events give bit-identical metrics on the
CPU, whether the steps run at once, in chunks with frames probed in between, or replayed after a
rewind. Probes use fixed noise drawn once at start from a separate generator, and never touch
training state.

A Session is not thread-safe: one thread drives it (the CLI's main thread; in the app, the loop of
the training process, or of the in-process fallback's thread).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import torch

from genstep.engine import data as datalib
from genstep.engine.config import Scenario, ScenarioError, coerce_knob
from genstep.engine.errors import shorten
from genstep.engine.families import FAMILIES
from genstep.engine.frame import SUBSTEP, Event, Frame, Note
from genstep.engine.history import History
from genstep.engine.knobs import KnobError, bumped
from genstep.engine.lesson import NoteWatcher

DENSE_CHECKPOINTS = 32  # the most recent checkpoints are all kept; older ones are thinned


class DeviceError(ScenarioError):
    pass


def use_one_cpu_thread() -> None:
    """The lesson models are tiny MLPs: one intra-op thread is faster than several, and far
    faster when another process shares the cores (measured on 2 cores: 176 steps/s with one
    thread, 12 with two while a second process ran). The setting belongs to the calling thread
    (OpenMP), so the CLI calls it before stepping, and the app's training loop from its own thread."""
    torch.set_num_threads(1)


# Below this much work per step (batch x hidden^2), a CUDA GPU loses to one CPU thread: the
# step is a few dozen tiny kernels and launch latency dominates. Measured on an H100 machine
# (steps/s, cpu vs cuda): hidden 128 x batch 256: 179 vs 154; hidden 256 x batch 256: 84 vs 139;
# hidden 128 x batch 1024: 93 vs 163. The crossover lies between 4.2M and 16.8M.
AUTO_CUDA_MIN_WORK = 8_000_000


def step_work(scenario) -> int:
    return int(scenario.data.batch * getattr(scenario.model, "hidden", 128) ** 2)


def resolve_device(device: str, scenario=None) -> tuple[str, str]:
    """The device to train on, and why (shown by the CLI and the app for `auto`)."""
    if device not in ("auto", "cpu", "cuda"):
        raise DeviceError(f"--device {device!r}: expected auto, cpu or cuda")
    has_cuda = torch.cuda.is_available()
    if device == "cuda" and not has_cuda:
        raise DeviceError("--device cuda: torch sees no CUDA GPU on this machine (use --device cpu or auto)")
    if device != "auto":
        return device, f"{device}: as asked"
    if not has_cuda:
        return "cpu", "cpu: torch sees no CUDA GPU"
    if scenario is not None and step_work(scenario) < AUTO_CUDA_MIN_WORK:
        return "cpu", ("cpu: these models are small enough that one CPU thread outruns the GPU "
                       "(kernel launch latency dominates); use --device cuda to insist")
    return "cuda", "cuda: torch sees a GPU and the models are large enough to gain from it"


_ATOMS = (int, float, str, bool, type(None))


def _clone(obj):
    """A deep copy of a state dict: tensors cloned, containers rebuilt, plain values shared (3x
    faster than copy.deepcopy on an optimizer's state, which checkpoints take every K steps)."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().clone()
    if isinstance(obj, dict):
        return {k: _clone(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_clone(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_clone(v) for v in obj)
    return obj if isinstance(obj, _ATOMS) else copy.deepcopy(obj)


@dataclass
class _Pending:
    step: int
    knob: str
    value: object
    origin: str  # "scheduled" (--at, kept on branching) or "tape" (the future of a rewind)


class Session:
    def __init__(self, scenario: Scenario, seed: int = 0, device: str = "auto"):
        self.scenario = scenario
        self.device, self.device_reason = resolve_device(device, scenario)
        self.listeners: list = []  # called as fn(step, row) after every step (not during replay)
        self._pending: list[_Pending] = []
        self._build(seed)

    # -- construction -----------------------------------------------------------------------------
    def _build(self, seed: int) -> None:
        sc = self.scenario
        self.seed = int(seed)
        dev = torch.device(self.device)
        self.gen = torch.Generator(device=dev)
        self.gen.manual_seed(self.seed)
        probe_gen = torch.Generator(device=dev)
        probe_gen.manual_seed(self.seed + 0x5EED)  # probes never consume training randomness
        self.data = datalib.build(sc.data)
        self.family = FAMILIES[sc.family].build(sc, self.data, dev, self.gen, probe_gen)
        self.knobs: dict = {k: getattr(sc.train, k) for k in type(sc.train).model_fields}
        self.knobs = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.knobs.items()}
        self.steps = 0
        self.events: list[Event] = []
        self._pending = [p for p in self._pending if p.origin == "scheduled"]
        self.history = History(sc.probe.history)
        self.notes = NoteWatcher(sc.lesson.notes)
        self.status = "ok"
        self.message = ""
        self._replaying = False
        self._checkpoints: dict[int, dict] = {}
        self._checkpoints[0] = self._snapshot()

    # -- knobs --------------------------------------------------------------------------------------
    @property
    def knob_values(self) -> dict:
        return {k: self.knobs[k] for k in self.scenario.knobs}

    def _coerce(self, knob: str, value):
        try:
            return coerce_knob(self.scenario, knob, value)
        except ScenarioError as e:
            raise KnobError(str(e)) from None

    def set(self, knob: str, value) -> Event | None:
        """Change a knob between steps; validated against its range; logged as an event.

        Changing a knob after a rewind starts a new timeline: the rewound future is dropped."""
        v = self._coerce(knob, value)
        self._pending = [p for p in self._pending if p.origin != "tape"]
        if self.status == "diverged":
            self.status, self.message = "ok", ""
        return self._apply(knob, v)

    def bump(self, knob: str, direction: int) -> Event | None:
        spec = self.scenario.knobs.get(knob)
        if spec is None:
            self._coerce(knob, 0)  # raises the unknown-knob message
        return self.set(knob, bumped(spec, self.knobs[knob], 1 if direction > 0 else -1))

    def schedule(self, step: int, knob: str, value) -> None:
        """Change a knob after `step` completed steps (the `--at` option); `substep=critic` there
        is one update of the critic alone."""
        if step < self.steps:
            raise KnobError(f"{step}:{knob}={value}: step {step} is already past (now at step {self.steps})")
        value = self._player(value) if knob == SUBSTEP else self._coerce(knob, value)
        self._pending.append(_Pending(step, knob, value, "scheduled"))
        self._pending.sort(key=lambda p: p.step)

    def _apply(self, knob, value) -> Event | None:
        old = self.knobs[knob]
        if old == value:
            return None
        self.knobs[knob] = value
        self.family.on_knob(knob, value)
        ev = Event(self.steps, knob, old, value)
        self.events.append(ev)
        return ev

    def _apply_pending(self) -> None:
        while self._pending and self._pending[0].step <= self.steps:
            p = self._pending.pop(0)
            if p.knob == SUBSTEP:
                self._substep(p.value)
            else:
                self._apply(p.knob, p.value)

    # -- sub-steps ----------------------------------------------------------------------------------
    @property
    def players(self) -> dict[str, str]:
        """Who can be updated alone (name -> short label), e.g. a GAN's critic ("D") and generator ("G")."""
        return dict(self.family.players)

    def _player(self, player) -> str:
        name = str(player).strip()
        if name not in self.family.players:
            have = ", ".join(self.family.players)
            raise KnobError(f"substep={shorten(name)}: " + (f"expected one of {have}" if have else
                            f"a {self.scenario.family} model has no player to update alone"))
        return name

    def substep(self, player: str) -> Event | None:
        """One update of `player` alone (a GAN's critic or generator), between two steps.

        It does not count as a step; it is an event (knob SUBSTEP), replayed by rewind in its place
        among the knob changes, so rewinding across it is exact. Like a knob change, it starts a new
        timeline after a rewind. Returns the event, or None when the run is stopped (diverged)."""
        name = self._player(player)
        if self.status == "diverged":
            return None
        self._pending = [p for p in self._pending if p.origin != "tape"]
        self._apply_pending()  # changes due now (--at) come first, as before a step
        return self._substep(name)

    def _substep(self, player: str) -> Event | None:
        out = self.family.update_alone(player, self.knobs, self.gen, self.steps)
        row = dict(zip(out, torch.stack([v.reshape(()).float() for v in out.values()]).tolist()))  # one sync
        bad = next((k for k, v in row.items() if not math.isfinite(v)), None)
        if bad is not None:
            self.rewind(self.steps)  # the state before this update: the checkpoint, then the events so far
            self._apply_pending()
            self.status = "diverged"
            self.message = (f"{bad} became {'nan' if math.isnan(row[bad]) else 'inf'} in an update of the "
                            f"{player} alone; stopped at step {self.steps}, the last good state")
            return None
        ev = Event(self.steps, SUBSTEP, None, player)
        self.events.append(ev)
        return ev

    # -- stepping -----------------------------------------------------------------------------------
    def step(self, n: int = 1, until=None) -> int:
        """Run n training steps; returns how many ran (fewer if the run went non-finite, or once
        `until(step, row)` holds after a step: `row` is that step's metrics, as notes see them)."""
        if self.status == "diverged":
            return 0
        sc = self.scenario
        every, ck = sc.probe.every, sc.probe.checkpoint_every
        done = 0
        for _ in range(n):
            self._apply_pending()
            out = self.family.train_step(self.knobs, self.gen, self.steps)
            values = torch.stack([v.reshape(()).float() for v in out.values()]).tolist()  # one sync
            row = dict(zip(out.keys(), values))
            bad = next((k for k, v in row.items() if not math.isfinite(v)), None)
            if bad is not None:
                self._diverged(bad, row[bad])
                break
            self.steps += 1
            done += 1
            if self._replaying:
                if self.steps % every == 0:
                    self._measure()  # not recorded again, but keeps the family's running state
                continue
            if self.steps % every == 0:
                row.update(self._measure())
            self.history.add(self.steps, row)
            self.notes.check(self.steps, row)
            if self.steps % ck == 0:
                self._checkpoint()
            for fn in self.listeners:
                fn(self.steps, row)
            if until is not None and until(self.steps, row):
                break
        return done

    def _measure(self) -> dict:
        probed = self.family.probe(self.knobs, full=False)
        return self.family.measure(probed, self.knobs)

    def _diverged(self, quantity: str, value: float) -> None:
        bad_step = self.steps + 1
        target = self.steps
        self.rewind(target)
        self._apply_pending()  # the changes made at the last good step, as before the bad step
        while target > 0 and self.family.parameters_finite() is not None:
            target -= 1  # the weights went bad before the losses showed it
            self.rewind(target)
            self._apply_pending()
        what = "nan" if math.isnan(value) else "inf"
        self.status = "diverged"
        self.message = (f"{quantity} became {what} at step {bad_step}; "
                        f"stopped at step {self.steps}, the last good state")

    # -- checkpoints, rewind, reset -------------------------------------------------------------------
    def _snapshot(self) -> dict:
        return {
            "modules": {k: _clone(m.state_dict()) for k, m in self.family.modules().items()},
            "optimizers": {k: _clone(o.state_dict()) for k, o in self.family.optimizers().items()},
            "gen": self.gen.get_state(),
            "knobs": copy.deepcopy(self.knobs),
            "extra": copy.deepcopy(self.family.extra_state()),
        }

    def _restore(self, snap: dict) -> None:
        for k, m in self.family.modules().items():
            m.load_state_dict(snap["modules"][k])
        for k, o in self.family.optimizers().items():
            o.load_state_dict(_clone(snap["optimizers"][k]))  # it would alias the snapshot's tensors
        self.gen.set_state(snap["gen"])
        self.knobs = copy.deepcopy(snap["knobs"])
        self.family.load_extra_state(copy.deepcopy(snap["extra"]))

    def _checkpoint(self) -> None:
        self._checkpoints[self.steps] = self._snapshot()
        k = self.scenario.probe.checkpoint_every
        dense = DENSE_CHECKPOINTS * k
        for s in list(self._checkpoints):
            age = self.steps - s
            if s == 0 or age <= dense:
                continue
            level = int(math.log2(age / dense)) + 1
            if (s // k) % (2**level):
                del self._checkpoints[s]

    @property
    def checkpoint_steps(self) -> list[int]:
        return sorted(self._checkpoints)

    def rewind(self, step: int) -> int:
        """Go back to the state after `step` steps: restore the nearest earlier checkpoint and
        replay, re-applying the knob events on the way. Later events wait on the tape and fire
        again when their step comes round, unless a knob is changed first."""
        target = max(0, min(int(step), self.steps))
        self.status, self.message = "ok", ""  # a stopped run must replay too
        base = max(s for s in self._checkpoints if s <= target)
        kept = [e for e in self.events if e.step < base]
        replay = [e for e in self.events if e.step >= base]
        self.events = kept
        tape = [_Pending(e.step, e.knob, e.new, "tape") for e in replay]
        self._pending = sorted(tape + self._pending, key=lambda p: p.step)
        self._restore(self._checkpoints[base])
        self.steps = base
        for s in [s for s in self._checkpoints if s > target]:
            del self._checkpoints[s]
        self._replaying = True
        try:
            self.step(target - base) if target > base else None
        finally:
            self._replaying = False
        self.history.truncate(target)
        self.notes.truncate(target)
        return self.steps

    def fork(self) -> "Session":
        """A second, independent Session in exactly this state (weights, optimizer state, random
        generator, knobs, history, notes, events, checkpoints, scheduled changes): stepped alike,
        the two stay bit-identical on the CPU until a knob is changed in one of them."""
        twin = Session.__new__(Session)
        twin.scenario, twin.device, twin.device_reason = self.scenario, self.device, self.device_reason
        twin.listeners, twin._pending = [], []
        twin._build(self.seed)
        twin._restore(self._snapshot())
        twin.steps, twin.events, twin._pending = self.steps, list(self.events), list(self._pending)
        twin.history, twin.notes = copy.deepcopy(self.history), copy.deepcopy(self.notes)
        twin.status, twin.message = self.status, self.message
        twin._checkpoints = dict(self._checkpoints)  # snapshots are never changed once taken
        return twin

    def reset(self) -> None:
        """Back to step 0 with the same initial weights; scheduled (--at) changes stay."""
        self._build(self.seed)

    def reseed(self, seed: int) -> None:
        self._build(seed)

    # -- probing ----------------------------------------------------------------------------------
    def latest(self) -> dict[str, float]:
        return self.history.latest()

    def frame(self) -> Frame:
        """A side-effect-free probe: no gradient step, no training randomness consumed."""
        p = self.family.probe(self.knobs, full=True)
        sc = self.scenario
        return Frame(
            step=self.steps, scenario=sc.name, title=sc.lesson.title, family=sc.family,
            device=self.device, seed=self.seed, status=self.status, metrics=self.latest(),
            knobs=dict(self.knob_values), bounds=p["bounds"], real=p["real"], fake=p["fake"],
            real_labels=p.get("real_labels"), payload=p.get("payload"), view=p.get("view", ""),
            history=self.history.curves(), events=tuple(self.events),
            notes=tuple(self.notes.fired), message=self.message,
            updates={self.family.players[k]: n for k, n in self.family.update_counts().items()},
        )

    # -- export -----------------------------------------------------------------------------------
    def write_metrics(self, path) -> None:
        """The (downsampled) history as JSONL or CSV, by extension; written atomically."""
        from genstep.engine.records import write_history

        write_history(self.history, path)


__all__ = ["Session", "DeviceError", "Note"]
