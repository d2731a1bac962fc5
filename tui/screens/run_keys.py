"""The dashboard's keys that steer the run: each becomes a named request to the run's handle
(`driver.call(op, ...)`, see `tui.run`), answered later as a CommandFinished message or awaited by
a dialog. What a key may do is decided by the run's newest state (`self.state`, a RunState)."""

from __future__ import annotations

import asyncio
from typing import Any

from genstep.tui.widgets.curves import knob_label
from genstep.tui.widgets.status import KnobBar, StatusBar

from genstep.tui.run.local import SPEEDS

from .dialogs import ValueDialog


class RunKeys:
    """Mixed into DashboardScreen, whose `driver` (the RunHandle), `state`, `frame`, `scenario`, `knob`
    and widgets it uses."""

    def _send(self, op: str, *args: Any, done: str = "") -> bool:
        """Queue a request for the run; its outcome comes back as CommandFinished."""
        if self.driver is None:
            self.notify("still loading the lesson…", markup=False)
            return False

        def finished(future) -> None:
            error = future.exception()
            self.post_message(self.CommandFinished(done, str(error) if error else ""))

        self.driver.call(op, *args).add_done_callback(finished)
        return True

    def action_toggle_run(self) -> None:
        if self.driver is None:
            self.notify("still loading the lesson…", markup=False)
        elif self.state.diverged and not self.state.running:
            self.notify(self._way_back(), title="the run stopped", severity="warning", markup=False)
        else:
            self.running = not self.running  # at once; the run's next state confirms it
            self.driver.play(self.running)

    def _ended(self) -> bool:
        """The run is over for good: its training process died (or its loop failed)."""
        return self.driver is not None and self.state.ended and not self._stopping.is_set()

    def _way_back(self) -> str:
        if self._ended():
            return "the training has ended: o opens a lesson again, q quits"
        good = self.state.last_good
        back = f"b rewinds to step {good}, the last good state; " if good is not None else ""
        return f"{back}e changes a knob (a smaller learning rate), g rewinds further back"

    def action_step(self, n: int) -> None:
        if self.driver is None:
            self.notify("still loading the lesson…", markup=False)
        elif self.state.diverged:
            self.notify(self._way_back(), title="the run stopped", severity="warning", markup=False)
        else:
            self.driver.request_steps(n)

    def action_substep(self, player: str) -> None:
        """One update of one player alone (D: the critic, G: the generator), the other standing still."""
        if self.driver is None:
            self.notify("still loading the lesson…", markup=False)
        elif self.state.diverged:
            self.notify(self._way_back(), title="the run stopped", severity="warning", markup=False)
        elif not (self.frame is not None and self.frame.updates):
            self.notify("this lesson's model has no critic or generator to update alone", markup=False)
        else:
            self._send("substep", player)

    action_substep_key = action_substep  # the same key, bound twice (see DashboardScreen.check_action)

    def action_speed(self, direction: int) -> None:
        if self.driver is None:
            return
        i = min(range(len(SPEEDS)), key=lambda k: abs(SPEEDS[k] - self.driver.speed))
        self.driver.set_speed(SPEEDS[max(0, min(len(SPEEDS) - 1, i + direction))])
        self.query_one(StatusBar).speed = self.driver.speed

    def action_select_knob(self, direction: int) -> None:
        names = list(self.frame.knobs) if self.frame else []
        if names:
            i = names.index(self.knob) if self.knob in names else 0
            self.knob = self.query_one(KnobBar).selected = names[(i + direction) % len(names)]

    def action_bump(self, direction: int) -> None:
        if self.knob:
            knob = self.knob
            self._send("bump", knob, direction)

    def action_edit_knob(self) -> None:
        if not self.knob or self.driver is None:
            return
        knob, driver = self.knob, self.driver
        spec = self.scenario.knobs.get(knob) if self.scenario else None
        current = self.frame.knobs.get(knob, "") if self.frame else ""
        info = knob_info(spec, current)

        async def submit(value: str) -> str | None:
            if not value:
                return f"type a value for {knob} (escape cancels)"
            try:
                event = await asyncio.wrap_future(driver.call("set", knob, value))
            except Exception as exc:
                return str(exc) or f"{knob}={value} was refused"
            if event is None:
                self.notify(f"{knob} is already {shown}", markup=False)
            else:
                self.notify(f"{knob_label(knob, event.new)} from step {event.step}", markup=False)
            return None

        shown = knob_label(knob, current).split("=", 1)[1]
        self.app.push_screen(ValueDialog(f"Set {knob}", info, shown, submit))

    def action_cure(self) -> None:
        cure = list(getattr(getattr(self.scenario, "lesson", None), "cure", []) or [])
        if not cure:
            self.notify("this lesson has no cure to apply", markup=False)
            return

        within = getattr(self.scenario.lesson, "cure_steps", 0)
        self._send("cure", cure, done=f"applied the cure: {', '.join(cure)} — watch the next {within} steps")

    def action_back(self) -> None:
        """Back to the previous checkpoint, or, after a divergence, to the last good step."""
        state = self.state
        if self.driver is not None and state.diverged and state.last_good is not None:
            self._send("back", done=f"rewound to step {state.last_good}, the last good state: change a "
                       "knob before playing, or it will diverge again")
        else:
            self._send("back", done="rewound to the previous checkpoint")

    def action_goto(self) -> None:
        if self.driver is None:
            return
        driver, state = self.driver, self.state
        now = self.frame.step if self.frame else 0
        marks = list(state.checkpoints)
        shown = ", ".join(str(c) for c in marks[-8:]) or "none yet"
        info = (f"Now at step {now}. Checkpoints: {shown}.\nThe engine restores the nearest earlier "
                "checkpoint and replays your knob changes up to the step you type.")
        initial = str(marks[-2] if len(marks) > 1 else 0)
        if state.diverged and state.last_good is not None:
            now = state.last_good
            initial = str(state.last_good)
            info = f"The run stopped; step {state.last_good} is the last good state.\n" + info

        async def submit(value: str) -> str | None:
            try:
                step = int(value)
            except ValueError:
                shown = value if len(value) <= 40 else value[:39] + "…"
                return f"{shown!r} is not a step number"
            if not 0 <= step <= now:
                return f"type a step between 0 and {now} (the run is at step {now})"
            try:
                done = await asyncio.wrap_future(driver.call("rewind", step))
            except Exception as exc:
                return str(exc) or f"could not rewind to step {step}"
            self.notify(f"rewound to step {done}", markup=False)
            return None

        self.app.push_screen(ValueDialog("Rewind to step", info, initial, submit))

    def action_reset(self) -> None:
        self._seen_notes = 0
        self._send("reset", done="reset: step 0, same initial weights")

    def action_reseed(self) -> None:
        seed = (self.frame.seed if self.frame else self.seed) + 1
        self._seen_notes = 0
        self._send("reseed", seed, done=f"started over with seed {seed}")


def knob_info(spec: Any, current: Any) -> str:
    if spec is None:
        return f"now {current}"
    if spec.kind == "choice":
        rng = "one of " + ", ".join(spec.choices)
    else:
        step = f"×/÷ {spec.step:g}" if spec.log else f"± {spec.step:g}"
        rng = f"range [{spec.min:g}, {spec.max:g}], {step} per press"
    help_ = (spec.help + "\n") if spec.help else ""
    shown = knob_label(spec.name, current).split("=", 1)[1]
    return f"{help_}now {shown}; {rng}"
