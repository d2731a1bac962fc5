"""Branches of one run, compared side by side: the "what if I had turned this knob instead?" of
every lesson.

`Branches` holds up to four Sessions forked from one another (`Session.fork()`: the exact state,
so a branch with no knob change follows its parent bit for bit) and looks like one Session to the
training loop (`tui.run.local.LocalRun`): every branch steps in lockstep, knob requests go to the
selected branch, and `frame()` is the selected branch's Frame carrying every branch's Frame in
`branches`, each labelled with what was changed in it since it was forked.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

MAX_BRANCHES = 4


@dataclass
class Branch:
    session: Any
    forked_at: int | None  # None for the run the others were forked from
    name: str  # "main", "fork 1", ...

    def label(self) -> str:
        """The branch and what was changed in it since its fork, e.g. "fork 1: beta=0.2 @300"."""
        if self.forked_at is None:
            return self.name
        changes = [f"{e.knob}={e.new}" for e in self.session.events if e.step >= self.forked_at]
        return f"{self.name} @{self.forked_at}" + (f": {', '.join(changes)}" if changes else ": as main")


class Branches:
    """Several sessions behind the one-session interface the training loop uses."""

    def __init__(self, session: Any) -> None:
        self.branches = [Branch(session, None, "main")]
        self.selected = 0
        self._made = 0

    # -- the branches ---------------------------------------------------------------------------
    @property
    def current(self) -> Any:
        return self.branches[self.selected].session

    def fork(self) -> str:
        """A new branch from the selected one, in exactly its state; the new branch is selected."""
        if len(self.branches) >= MAX_BRANCHES:
            raise ValueError(f"at most {MAX_BRANCHES} branches: close one first (x)")
        self._made += 1
        twin = self.current.fork()
        self.branches.append(Branch(twin, twin.steps, f"fork {self._made}"))
        self.selected = len(self.branches) - 1
        return self.branches[self.selected].label()

    def select(self, index: int) -> str:
        self.selected = int(index) % len(self.branches)
        return self.branches[self.selected].label()

    def close(self) -> str:
        """Drop the selected branch (not the main one); the main branch is selected after."""
        if self.selected == 0:
            raise ValueError("the main branch stays: select a fork (w) to close it")
        gone = self.branches.pop(self.selected)
        self.selected = 0
        return gone.label()

    def __len__(self) -> int:
        return len(self.branches)

    # -- what the loop asks of a session ------------------------------------------------------------
    def step(self, n: int = 1, until=None) -> int:
        """n steps for every branch, in lockstep (the selected branch first: `until` watches it)."""
        done = self.current.step(n, until=until) if until is not None else self.current.step(n)
        for b in self.branches:
            if b.session is not self.current and b.session.status == "ok":
                b.session.step(done)
        return done

    def frame(self) -> Any:
        frames = tuple(replace(b.session.frame(), branch=b.label()) for b in self.branches)
        return replace(frames[self.selected], branches=frames, selected=self.selected)

    def rewind(self, step: int) -> int:
        """Every branch back to `step`; a branch forked after it did not exist then and is dropped."""
        keep = [b for b in self.branches if b.forked_at is None or b.forked_at <= step]
        chosen = self.branches[self.selected]
        self.branches = keep
        self.selected = keep.index(chosen) if chosen in keep else 0
        done = [b.session.rewind(step) for b in self.branches]
        return done[self.selected]

    def reset(self) -> None:
        self._single().reset()

    def reseed(self, seed: int) -> None:
        self._single().reseed(seed)

    def _single(self) -> Any:
        main = self.branches[0].session
        self.branches, self.selected = self.branches[:1], 0
        return main

    @property
    def status(self) -> str:
        """"diverged" when any branch did (the loop stops them all), else the selected one's."""
        return next((b.session.status for b in self.branches if b.session.status != "ok"), self.current.status)

    @property
    def message(self) -> str:
        bad = next((b for b in self.branches if b.session.status != "ok"), None)
        return f"{bad.label()}: {bad.session.message}" if bad is not None else self.current.message

    def __getattr__(self, name: str) -> Any:  # set, bump, schedule, steps, ... of the selected branch
        return getattr(self.current, name)
