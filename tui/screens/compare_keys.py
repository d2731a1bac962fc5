"""The dashboard's comparison keys: fork the run into branches, swap and close them, run until a
condition holds, save the run, and write it as the command that replays it.

Each key is a named request to the run's handle (`tui.run.local.OPS`), so it works the same when
the run trains in a child process and in this one.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.message import Message

from .dialogs import TextDialog, ValueDialog

UNTIL_EXAMPLES = {"gan": "modes <= 2", "vae": "kl < 0.01"}


class CompareKeys:
    """Mixed into DashboardScreen (its `driver`, `frame`, `scenario`, `scenario_name`, `overrides`)."""

    def action_fork(self) -> None:
        self._send("fork", done="forked: the new branch is selected, change a knob in it (w swaps, x closes)")

    def action_switch_branch(self) -> None:
        frame = self.frame
        if frame is None or len(frame.branches) < 2:
            self.notify("one branch only: f forks the run at this step", markup=False)
            return
        self._send("select", (frame.selected + 1) % len(frame.branches),
                   done="")

    def action_close_branch(self) -> None:
        if self.frame is None or len(self.frame.branches) < 2:
            self.notify("no fork to close", markup=False)
            return
        self._send("close", done="closed the branch")

    def action_until(self) -> None:
        if self.driver is None:
            return
        driver = self.driver
        family = getattr(self.scenario, "family", "")
        example = UNTIL_EXAMPLES.get(family, "step >= 1000")
        metrics = ", ".join(sorted(self.frame.metrics)) if self.frame else ""
        info = (f"Play until a condition holds: metric op number (op: < <= > >= == !=), or step >= N.\n"
                f"This lesson reports: {metrics or 'nothing yet'}.")

        async def submit(value: str) -> str | None:
            try:
                shown = await asyncio.wrap_future(driver.call("until", value))
            except Exception as exc:
                return str(exc).removeprefix("--until ") or "refused"
            self.running = True
            self.notify(f"playing until {shown}", markup=False)
            return None

        self.app.push_screen(ValueDialog("Run until", info, example, submit))

    def _run_file_name(self, suffix: str) -> str:
        frame = self.frame
        stem = Path(self.scenario_name).stem
        return f"genstep-{stem}-seed{frame.seed if frame else self.seed}-step{frame.step if frame else 0}{suffix}"

    def action_save_run(self) -> None:
        name = self._run_file_name(".genstep")
        self._send("save", name, done=f"run saved to {name}: genstep tui --load {name} continues it exactly")

    def action_replay_command(self) -> None:
        """Write the command that replays this run (seed, --set, every knob change as --at) to a
        script, and show it: a teaching assistant can replay a demo exactly in front of a class."""
        if self.driver is None:
            return
        name = self._run_file_name(".sh")

        def finished(f) -> None:
            error = f.exception()
            self.post_message(CommandReady(None if error else f.result(), str(error or ""), name))

        self.driver.call("command", self.scenario_name, list(self.overrides)).add_done_callback(finished)

    def on_command_ready(self, message: "CommandReady") -> None:
        if message.command is None:
            self.notify(message.error or "could not make the command", title="refused", severity="error",
                        markup=False)
            return
        from genstep.engine.records import atomic_write_bytes

        try:
            atomic_write_bytes(message.name, f"#!/bin/sh\n# replays the run exactly\n{message.command}\n".encode())
            where = f"Written to {message.name}.\n\n"
        except (OSError, ValueError) as exc:
            where = f"Could not write {message.name} ({exc}).\n\n"
        self.app.push_screen(TextDialog("replay this run", Text(where + message.command)))


class CommandReady(Message):
    """The run's replay command came back (or `error` says why not)."""

    def __init__(self, command: str | None, error: str, name: str) -> None:
        super().__init__()
        self.command, self.error, self.name = command, error, name
