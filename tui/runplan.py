"""What `genstep run` does besides stepping one session: fork branches (`--fork`), stop on a
condition (`--until`), continue a saved run (`--load`) and save one (`--save`).

Everything is checked before torch loads, so a typo is one line and exit 2 at once. Branches are
exact: a branch is `Session.fork()` of the main run at its step (bit-identical state), with the
fork's knob changes applied as events; both then run to the same total step count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from genstep.engine.errors import ScenarioError, shorten


@dataclass
class Fork:
    text: str  # as typed, e.g. "2000:loss=wgan-gp,n_critic=5"
    step: int
    changes: list[tuple[str, str]]
    session: object = None  # the branch, once forked


@dataclass
class Plan:
    forks: list[Fork] = field(default_factory=list)
    until: object = None  # engine.lesson.Until
    save: Path | None = None


def parse_fork(text: str, sc) -> Fork:
    """`STEP:knob=value[,knob=value...]`, each value checked against the scenario's knob ranges."""
    from genstep.engine.config import coerce_knob
    from genstep.engine.knobs import parse_assignment, parse_at

    shown = shorten(repr(text))
    step, sep, rest = text.partition(":")
    if not sep or not rest.strip():
        raise ScenarioError(f"--fork {shown}: expected STEP:knob=value[,knob=value], e.g. 2000:loss=wgan-gp,n_critic=5")
    changes = []
    for part in rest.split(","):
        try:
            at, knob, value = parse_at(f"{step}:{part}")
            coerce_knob(sc, knob, value)
        except ScenarioError as e:
            raise ScenarioError(f"--fork {shown}: {str(e).removeprefix('--at ')}") from None
        changes.append((knob, value))
    return Fork(text, at, changes)


def make_plan(args, sc, start_step: int = 0) -> Plan:
    from genstep.engine.lesson import Until
    from genstep.engine.records import RecordError, target_problem

    plan = Plan(forks=sorted((parse_fork(t, sc) for t in args.fork), key=lambda f: f.step))
    for f in plan.forks:
        if f.step < start_step:
            raise ScenarioError(f"--fork {shorten(repr(f.text))}: step {f.step} is before the loaded run's step {start_step}")
    if args.until:
        plan.until = Until(args.until, family=sc.family)
    if args.save:
        p = Path(args.save)
        if why := target_problem(p):
            raise RecordError(f"--save {p}: {why}")
        plan.save = p
    return plan


def check_until_seen(plan: Plan, session) -> None:
    """After the first probe, a condition on a metric this lesson never reports can never hold: say so."""
    why = plan.until.unreported(session) if plan.until is not None else ""
    if why:
        raise ScenarioError(why)


def fork_due(plan: Plan, session) -> None:
    """Fork every branch whose step the main run has reached."""
    for f in plan.forks:
        if f.session is None and f.step == session.steps:
            f.session = session.fork()
            for knob, value in f.changes:
                f.session.set(knob, value)


def next_stop(plan: Plan, session, steps: int) -> int:
    """The main run's next step at which something must happen (a fork), capped at `steps`."""
    due = [f.step for f in plan.forks if f.session is None and f.step > session.steps]
    return min([steps] + due)


def until_summary(plan: Plan) -> dict | None:
    u = plan.until
    return None if u is None else {"condition": u.text, "met": u.met_at is not None, "step": u.met_at}
