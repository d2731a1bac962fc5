"""Lesson notes that fire at a step or when a metric condition first holds."""

from __future__ import annotations

import operator

from genstep.engine.frame import Note

_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
        "==": operator.eq, "!=": operator.ne}


class NoteWatcher:
    """Fires each note once, in step order; rewinding un-fires the notes after the target."""

    def __init__(self, notes):
        self.notes = list(notes)
        self.fired: list[Note] = []
        self._done: set[int] = set()
        # parsed once: check() runs after every step
        self._conditions = [None if n.at_step is not None else n.condition() for n in self.notes]

    def check(self, step: int, values: dict[str, float]) -> list[Note]:
        new = []
        for i, n in enumerate(self.notes):
            if i in self._done:
                continue
            if n.at_step is not None:
                hit, trigger = step >= n.at_step, f"step {n.at_step}"
            else:
                metric, op, threshold = self._conditions[i]
                v = values.get(metric)
                hit, trigger = v is not None and _OPS[op](v, threshold), n.when
            if hit:
                self._done.add(i)
                note = Note(step, n.text, trigger)
                self.fired.append(note)
                new.append(note)
        return new

    def truncate(self, step: int) -> None:
        keep = [(i, f) for i, f in zip(self._fired_index(), self.fired) if f.step <= step]
        self.fired = [f for _, f in keep]
        self._done = {i for i, _ in keep}

    def _fired_index(self) -> list[int]:
        index, seen = [], set()
        for f in self.fired:  # map each fired note back to its declaration
            i = next(j for j, n in enumerate(self.notes) if n.text == f.text and j not in seen)
            seen.add(i)
            index.append(i)
        return index


class Until:
    """A stopping condition in the notes' language, `metric op number` (e.g. `modes <= 2`), or
    `step op number`. Checked after every step on that step's metrics; a sample-based metric is
    seen at the steps where it is measured (every `probe.every` steps)."""

    def __init__(self, text: str, family: str | None = None):
        from genstep.engine.config import _COND
        from genstep.engine.errors import ScenarioError, shorten

        m = _COND.match(text)
        if not m:
            raise ScenarioError(f"--until {shorten(repr(text))}: expected \"metric op number\", e.g. \"modes <= 2\" "
                                f"or \"step >= 5000\" (op: < <= > >= == !=)")
        self.text = " ".join(text.split())
        self.metric, self.op, self.threshold = m.group(1), m.group(2), float(m.group(3))
        self.met_at: int | None = None
        from genstep.engine.families import FAMILIES

        if family in FAMILIES and self.metric != "step":
            known = FAMILIES[family].metrics
            if self.metric not in known:
                raise ScenarioError(f"--until {shorten(repr(text))}: {self.metric!r} is never reported by the "
                                    f"{family} family (its metrics: {', '.join(known)}, or step)")

    def unreported(self, session) -> str:
        """Why the condition can never hold in this run ("" while it may): after the first probe,
        a metric the lesson does not report (the family's glossary covers all its lessons)."""
        if self.metric == "step" or session.steps < session.scenario.probe.every or self.metric in session.latest():
            return ""
        reported = ", ".join(sorted(session.latest())) or "none"
        return (f"--until {self.text!r}: this lesson does not report {self.metric} "
                f"(it reports: {reported}); the condition can never hold")

    def __call__(self, step: int, row: dict[str, float]) -> bool:
        v = step if self.metric == "step" else row.get(self.metric)
        if v is not None and _OPS[self.op](v, self.threshold):
            self.met_at = step
            return True
        return False
