"""The dashboard's view keys: what is drawn and how (arrows, the view's cursor, the curve groups,
low bandwidth), and what is written or shown about it (screenshot, metrics export, the lesson, the
keys). They never change the run; the keys that steer it are in RunKeys and CompareKeys.
"""

from __future__ import annotations

from textual.binding import Binding

from genstep.tui.widgets.chart import ChartView
from genstep.tui.widgets.curves import CurvesPanel
from genstep.tui.widgets.notes import lesson_text
from genstep.tui.widgets.picture import PicturePanel
from genstep.tui.widgets.status import StatusBar

from .dialogs import TextDialog, keys_text
from .run_keys import knob_info


class ViewKeys:
    """Mixed into DashboardScreen (its `frame`, `views`, `scenario`, `arrows`, `low_bandwidth`, `BINDINGS`)."""

    def action_toggle_arrows(self) -> None:
        self.arrows = not self.arrows
        self.query_one(PicturePanel).configure(arrows=self.arrows, heat=not self.low_bandwidth, live=self.running)

    def action_move_cursor(self, direction: int) -> None:
        view = self.views.for_frame(self.frame) if self.frame is not None else None
        shown = view.move_cursor(self.frame, direction) if view is not None else ""
        if not shown:
            self.notify("this lesson's view has nothing to move with { and }", markup=False)
            return
        for panel in self.query(ChartView):
            panel.redraw()
        self.notify(shown, markup=False)

    def action_cycle_curves(self) -> None:
        panel = self.query_one("#curves-a", CurvesPanel)
        panel.set_group("divergences" if panel.group == "losses" else "losses")
        self.query_one("#curves-b", CurvesPanel).set_group("losses" if panel.group == "divergences" else "divergences")

    def action_low_bandwidth(self) -> None:
        self.low_bandwidth = not self.low_bandwidth
        self.query_one(StatusBar).low_bandwidth = self.low_bandwidth
        self.query_one(PicturePanel).configure(arrows=self.arrows, heat=not self.low_bandwidth, live=self.running)
        self.notify("low-bandwidth mode: 3 redraws/s, no heat map" if self.low_bandwidth else "full redraw rate",
                    markup=False)

    def action_screenshot(self) -> None:
        step = self.frame.step if self.frame else 0
        path = self.app.save_screenshot(f"genstep-{self.scenario_name}-step{step}.svg")
        self.notify(f"saved {path}", markup=False)

    def action_export(self) -> None:
        frame = self.frame
        name = f"genstep-{self.scenario_name}-seed{frame.seed if frame else self.seed}-step{frame.step if frame else 0}.jsonl"
        self._send("export", name, done=f"metrics written to {name}")

    def action_lesson(self) -> None:
        lesson = getattr(self.scenario, "lesson", None)
        if lesson is None:
            return
        body = lesson_text(lesson.summary, lesson.watch, self.frame.notes if self.frame else (), list(lesson.cure))
        self.app.push_screen(TextDialog(lesson.title, body))

    def action_help(self) -> None:
        players = self.frame is not None and bool(self.frame.updates)  # else no sub-step keys to list
        rows = [(_key_name(b), b.tooltip or b.description) for b in self.BINDINGS
                if (b.tooltip or b.description) and (players or not b.action.startswith("substep"))]
        rows.append(("ctrl+p", "Command palette (open another lesson)"))
        knobs = [(n, knob_info(s, self.frame.knobs.get(n, "") if self.frame else "").replace("\n", " · "))
                 for n, s in (self.scenario.knobs.items() if self.scenario else [])]
        device = self.device_reason if self.device == "auto" else ""
        self.app.push_screen(TextDialog("keys", keys_text(rows, knobs, device)))


def _key_name(binding: Binding) -> str:
    names = {"space": "space", "question_mark": "?", "full_stop": ".", "comma": ",", "plus": "+",
             "minus": "-", "equals_sign": "=", "underscore": "_", "left_square_bracket": "[",
             "right_square_bracket": "]", "greater_than_sign": ">", "less_than_sign": "<"}
    return " ".join(names.get(k, k) for k in binding.key.split(","))
